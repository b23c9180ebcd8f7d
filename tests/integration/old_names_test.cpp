// Exports from older or sloppier producers, end to end with the real `ferry`: OneRoster 1.0 names
// (demographics keyed by userSourcedId, users' userId and agents, classes' and courses' grade) and
// dateLastModified without a T arrive under the preset's names; a file whose key column has a name
// no version uses fails that stream alone, in `ferry sync`, `ferry check` and `ferry status`, and
// every other stream is spooled.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/fault/child_process.hpp"
#include "tests/integration/csv_table.hpp"
#include "tests/integration/pipeline_site.hpp"
#include "tests/integration/spool_reader.hpp"
#include "tests/netfault/wait_until.hpp"

namespace ferry {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;

constexpr std::size_t kUsers = 30;

// Renames columns in the header row of `file` (its first line), each {from, to} once.
void rename_columns(const fs::path& file,
                    const std::vector<std::pair<std::string, std::string>>& renames) {
  std::string text = test::read_file(file);
  const std::size_t end = text.find_first_of("\r\n");
  std::string header = "," + text.substr(0, end) + ",";
  for (const auto& [from, to] : renames) {
    const auto at = header.find("," + from + ",");
    REQUIRE(at != std::string::npos);
    header.replace(at + 1, from.size(), to);
  }
  std::ofstream(file, std::ios::binary | std::ios::trunc)
      << header.substr(1, header.size() - 2) << text.substr(end);
}

// The pseudonym of `value` in `domain`, as ferry makes it.
std::string token_of(const test::PipelineSite& site, const std::string& domain,
                     const std::string& value) {
  const auto made = site.ferry({"pseudonymize", "--domain", domain, value});
  REQUIRE(made.exit_code == 0);
  return made.out.substr(0, made.out.find('\n'));
}

// The entry of `stream` in the status of `source`, or an empty object.
boost::json::object stream_status(const boost::json::object& source, std::string_view stream) {
  const auto* streams = source.if_contains("streams");
  if (streams == nullptr || !streams->is_array()) return {};
  for (const auto& item : streams->as_array()) {
    const auto* name = item.is_object() ? item.as_object().if_contains("name") : nullptr;
    if (name != nullptr && name->is_string() && name->as_string() == stream) {
      return item.as_object();
    }
  }
  return {};
}

// A string member of a JSON object; "<null>" for null, "" when absent or of another type.
std::string text_at(const boost::json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (value == nullptr) return "";
  if (value->is_null()) return "<null>";
  return value->is_string() ? std::string(value->as_string()) : "";
}

}  // namespace

TEST_CASE("ferry sync reads an export with OneRoster 1.0 names under the preset's names") {
  test::PipelineSite site;
  REQUIRE(site.generate({"--users", std::to_string(kUsers), "--seed", "31"}).exit_code == 0);
  REQUIRE(site.ferry({"keys", "init"}).exit_code == 0);
  const fs::path dir = site.export_dir();
  {
    auto users = test::CsvTable::load(dir / "users.csv");
    users.rows()[0][users.column("agentSourcedIds")] = "u-00000002,u-00000003";
    for (auto& row : users.rows()) row[users.column("dateLastModified")] = "2026-11-23 10:00:00";
    users.save(dir / "users.csv");
    auto classes = test::CsvTable::load(dir / "classes.csv");
    for (auto& row : classes.rows()) row[classes.column("grades")] = "09";
    classes.save(dir / "classes.csv");
  }
  rename_columns(dir / "users.csv", {{"userIds", "userId"}, {"agentSourcedIds", "agents"}});
  rename_columns(dir / "demographics.csv",
                 {{"sourcedId", "userSourcedId"}, {"birthDate", "birthdate"}});
  rename_columns(dir / "classes.csv", {{"grades", "grade"}});
  rename_columns(dir / "courses.csv", {{"grades", "grade"}});

  const auto synced = site.ferry({"sync", "--no-upload"});
  INFO(synced.out << synced.err);
  REQUIRE(synced.exit_code == 0);

  const auto spool = test::read_spool(site.spool_db(), site.tenant().private_key);
  const auto demographics = spool.of("demographics");
  CHECK(demographics.size() == test::CsvTable::load(dir / "demographics.csv").rows().size());
  for (const auto* row : demographics) {
    CHECK(test::text_of(*row, "sourcedId").starts_with("p1."));
    CHECK(test::text_of(*row, "birthDate").size() == 4);
    CHECK_FALSE(row->fields.contains("userSourcedId"));
  }
  // The same person has the same token in users and demographics: the tables join.
  const std::string first = token_of(site, "user", "u-00000001");
  const auto has_first = [&](const test::SpooledRow* row) {
    return test::text_of(*row, "sourcedId") == first;
  };
  CHECK(std::count_if(demographics.begin(), demographics.end(), has_first) == 1);

  const auto users = spool.of("users");
  REQUIRE(users.size() == kUsers);
  const auto bart = std::find_if(users.begin(), users.end(), has_first);
  REQUIRE(bart != users.end());
  CHECK(test::text_of(**bart, "agentSourcedIds") ==
        token_of(site, "user", "u-00000002") + "," + token_of(site, "user", "u-00000003"));
  CHECK(test::text_of(**bart, "dateLastModified") == "2026-11-23 10:00:00");
  for (const auto* row : users) {
    for (const char* gone : {"userId", "userIds", "agents"})
      CHECK_FALSE(row->fields.contains(gone));
  }
  for (const auto* row : spool.of("classes")) CHECK(test::text_of(*row, "grades") == "09");
  CHECK_FALSE(spool.of("courses").empty());
  for (const auto* row : spool.of("courses")) CHECK(row->fields.contains("grades"));
}

TEST_CASE("ferry sync fails only the stream whose key column has an unknown name, and says so") {
  test::PipelineSite site({.log_level = "info"});
  REQUIRE(site.generate({"--users", std::to_string(kUsers), "--seed", "32"}).exit_code == 0);
  REQUIRE(site.ferry({"keys", "init"}).exit_code == 0);
  const fs::path demographics = site.export_dir() / "demographics.csv";
  rename_columns(demographics, {{"sourcedId", "personId"}});
  const std::string problem =
      "demographics.csv has no sourcedId column, which keys the rows of "
      "stream demographics (names taken for it: sourcedId, userSourcedId)";

  const auto synced = site.ferry({"sync", "--no-upload"});
  INFO(synced.out << synced.err);
  CHECK(synced.exit_code == 1);
  CHECK_THAT(synced.err, Contains("1 of 7 streams failed; stream 'demographics': " + problem) &&
                             Contains("set streams.demographics.key"));
  {
    const auto spool = test::read_spool(site.spool_db(), site.tenant().private_key);
    CHECK(spool.of("demographics").empty());
    CHECK(spool.of("users").size() == kUsers);
    for (const char* stream : {"orgs", "academicSessions", "courses", "classes", "enrollments"}) {
      INFO(stream);
      CHECK_FALSE(spool.of(stream).empty());
    }
  }

  const auto checked = site.ferry({"check"});
  INFO(checked.out << checked.err);
  CHECK(checked.exit_code == 1);
  CHECK_THAT(checked.out, Contains("FAIL  source sis: " + problem));

  {
    const auto output = site.dir() / "run-output.txt";
    test::ChildProcess agent(site.ferry_argv({"run"}), output);
    REQUIRE(
        test::wait_until([&] { return site.runs_of("sis") >= 1 || !agent.running(); }, 60s, 100ms));
    const auto source = site.source_status("sis");
    INFO(boost::json::serialize(source));
    const auto failed = stream_status(source, "demographics");
    CHECK(text_at(failed, "state") == "error");
    CHECK(text_at(failed, "last_error").starts_with(problem));
    const auto users = stream_status(source, "users");
    CHECK(text_at(users, "last_error") == "<null>");
    const auto shown = site.ferry({"status"});
    CHECK_THAT(shown.out, Contains("stream sis.demographics failed: " + problem));
    REQUIRE(agent.signal(SIGTERM));
    REQUIRE(agent.wait_for(10s) == 0);
  }

  // Fixed with a name a version uses: the stream is read, and only it is new.
  rename_columns(demographics, {{"personId", "userSourcedId"}});
  const auto fixed = site.ferry({"sync", "--no-upload"});
  INFO(fixed.out << fixed.err);
  CHECK(fixed.exit_code == 0);
  const auto spool = test::read_spool(site.spool_db(), site.tenant().private_key);
  CHECK(spool.of("demographics").size() == test::CsvTable::load(demographics).rows().size());
  CHECK(spool.of("users").size() == kUsers);
}

}  // namespace ferry
