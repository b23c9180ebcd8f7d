// `ferry run` runs its sources side by side: a source stuck on a database another process holds
// locked does not hold up the others, and `ferry status` shows which is which.
#include <chrono>
#include <csignal>
#include <string>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "common/sqlite/database.hpp"
#include "tests/fault/child_process.hpp"
#include "tests/integration/pipeline_site.hpp"
#include "tests/netfault/wait_until.hpp"
#include "tests/support/temp_dir.hpp"

namespace ferry {
namespace {

using namespace std::chrono_literals;
using test::wait_until;

std::string text_at(const boost::json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value != nullptr && value->is_string() ? std::string(value->as_string()) : std::string();
}

TEST_CASE("a source blocked by a locked database does not hold up another source") {
  test::TempDir library;
  const auto db_path = library / "library.db";
  auto db = sqlite::Database::open(db_path, sqlite::Database::Mode::kReadWriteCreate);
  REQUIRE(db);
  REQUIRE(db->exec("CREATE TABLE loans(id INTEGER PRIMARY KEY, book TEXT, updated TEXT);"
                   "INSERT INTO loans VALUES (1, 'b-1', '2026-01-01 08:00:00')"));
  // This process holds the database locked the way a writer in rollback-journal mode does, which
  // keeps every reader out; the agent's source waits up to its busy_timeout (10 minutes).
  REQUIRE(db->exec("BEGIN EXCLUSIVE; INSERT INTO loans VALUES (2, 'b-2', '2026-01-02 08:00:00')"));

  test::PipelineSite site({.max_rows = 100, .log_level = "info"},
                          fmt::format(R"(  - name: library
    type: sqlite
    path: {}
    busy_timeout: 10m
    streams:
      loans:
        key: id
        cursor: updated
        query: "SELECT id, book, updated FROM loans WHERE :cursor IS NULL OR updated >= :cursor ORDER BY updated, id"
        default: drop
        fields: {{id: keep, book: keep}}
)",
                                      db_path.string()));
  REQUIRE(site.generate({"--users", "200", "--seed", "3"}).exit_code == 0);
  REQUIRE(site.ferry({"keys", "init"}).exit_code == 0);
  const auto output = site.dir() / "run-output.txt";
  test::ChildProcess agent(site.ferry_argv({"run"}), output);

  // The OneRoster source completes its run while the library source waits for the lock.
  boost::json::object sis;
  boost::json::object blocked;
  const bool side_by_side = wait_until(
      [&] {
        sis = site.source_status("sis");
        blocked = site.source_status("library");
        return text_at(sis, "state") == "idle" && !text_at(sis, "last_success_at").empty() &&
               text_at(blocked, "state") == "running";
      },
      60s);
  INFO(boost::json::serialize(sis) << "\n"
                                   << boost::json::serialize(blocked) << "\n"
                                   << test::read_file(output));
  REQUIRE(side_by_side);
  CHECK(sis.at("rows_last_run").to_number<std::uint64_t>() > 0);
  REQUIRE(sis.at("streams").is_array());
  CHECK(sis.at("streams").as_array().size() >= 3);  // orgs, users, enrollments, ...
  CHECK(blocked.at("last_success_at").is_null());
  // And it runs again when asked (here through ferry sync, which hands the run to the agent),
  // while the library source still waits.
  const auto again = site.ferry({"sync", "--no-upload", "--source", "sis", "--timeout", "60s"});
  INFO(again.out << again.err);
  CHECK(again.exit_code == 0);
  CHECK(site.source_status("sis").at("runs").to_number<std::uint64_t>() >= 2);
  CHECK(text_at(site.source_status("library"), "state") == "running");

  // Once the lock goes, the library source gets through too.
  REQUIRE(db->exec("COMMIT"));
  const bool through = wait_until(
      [&] {
        blocked = site.source_status("library");
        return !text_at(blocked, "last_success_at").empty();
      },
      60s);
  INFO(boost::json::serialize(blocked));
  CHECK(through);
  CHECK(blocked.at("rows_last_run").to_number<std::uint64_t>() == 2);

  // Locked again, with a run of library waiting for the lock: SIGTERM still stops the agent at
  // once (the wait for the lock gives way to the stop), and it exits cleanly.
  REQUIRE(db->exec("BEGIN EXCLUSIVE; INSERT INTO loans VALUES (3, 'b-3', '2026-01-03 08:00:00')"));
  REQUIRE(site.ferry({"sync", "--no-upload", "--source", "library", "--timeout", "1s"}).exit_code ==
          1);
  REQUIRE(wait_until([&] { return text_at(site.source_status("library"), "state") == "running"; },
                     60s));
  REQUIRE(agent.signal(SIGTERM));
  const auto stopping = std::chrono::steady_clock::now();
  const auto code = agent.wait_for(30s);
  REQUIRE(code);
  CHECK(*code == 0);
  CHECK(std::chrono::steady_clock::now() - stopping < 10s);
  REQUIRE(db->exec("COMMIT"));
}

}  // namespace
}  // namespace ferry
