// `ferry preview --limit N` stops reading a stream once it has shown N rows: what lies past the
// limit (here, a broken quoted field at the end of a file, or a query row that fails) is never
// read, so it cannot fail the preview. Without --limit, the same data fails it.
#include <algorithm>
#include <string>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "common/sqlite/database.hpp"
#include "tests/integration/pipeline_site.hpp"
#include "tests/support/temp_dir.hpp"

namespace ferry {
namespace {

using Catch::Matchers::Contains;

std::size_t lines_of(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

TEST_CASE("ferry preview --limit stops reading a file at the limit") {
  test::PipelineSite site;
  REQUIRE(site.generate({"--users", "40", "--seed", "8"}).exit_code == 0);
  REQUIRE(site.ferry({"keys", "init"}).exit_code == 0);
  // The file ends inside a quoted field that never closes: reading that far fails the stream.
  const auto users = site.export_dir() / "users.csv";
  site.dir().write("export/users.csv",
                   test::read_file(users) + "u-90000001,,,true,o-sch-001,student,\"never closed\n");

  const auto limited = site.ferry({"preview", "--source", "sis", "--stream", "users", "-n", "3"});
  INFO(limited.err);
  CHECK(limited.exit_code == 0);
  CHECK(lines_of(limited.out) == 3);
  CHECK_THAT(limited.err, !Contains("cannot be read"));

  // Every stream at most 3 rows, and users still never read to its end.
  const auto all_streams = site.ferry({"preview", "--source", "sis", "--limit", "3"});
  INFO(all_streams.err);
  CHECK(all_streams.exit_code == 0);
  CHECK_THAT(all_streams.err, !Contains("cannot be read"));

  const auto whole = site.ferry({"preview", "--source", "sis", "--stream", "users"});
  CHECK(whole.exit_code == 1);
  CHECK(lines_of(whole.out) == 40);
  CHECK_THAT(whole.err, Contains("users: this stream cannot be read") &&
                            Contains("users.csv:42"));
}

TEST_CASE("ferry preview --limit stops a query at the limit") {
  test::TempDir library;
  const auto db_path = library / "library.db";
  {
    auto db = sqlite::Database::open(db_path, sqlite::Database::Mode::kReadWriteCreate);
    REQUIRE(db);
    REQUIRE(db->exec("CREATE TABLE loans(id INTEGER PRIMARY KEY, book TEXT);"
                     "INSERT INTO loans VALUES (1, 'b-1'), (2, 'b-2'), (3, 'b-3')"));
  }
  // The third row makes the query fail as it runs (abs() of the smallest integer overflows).
  test::PipelineSite site({}, fmt::format(R"(  - name: library
    type: sqlite
    path: {}
    streams:
      loans:
        key: id
        cursor: id
        query: "SELECT id, CASE WHEN id < 3 THEN book ELSE abs(-9223372036854775807 - 1) END AS book FROM loans WHERE :cursor IS NULL OR id > :cursor ORDER BY id"
        default: drop
        fields: {{id: keep, book: keep}}
)",
                                          db_path.string()));
  REQUIRE(site.generate({"--users", "5", "--seed", "8"}).exit_code == 0);
  const auto keys = site.ferry({"keys", "init"});
  INFO(keys.err);
  REQUIRE(keys.exit_code == 0);

  const auto limited = site.ferry({"preview", "--source", "library", "--limit", "2"});
  INFO(limited.err);
  CHECK(limited.exit_code == 0);
  CHECK(limited.out == "{\"_op\":\"upsert\",\"id\":1,\"book\":\"b-1\"}\n"
                       "{\"_op\":\"upsert\",\"id\":2,\"book\":\"b-2\"}\n");

  const auto whole = site.ferry({"preview", "--source", "library"});
  INFO(whole.err);
  CHECK(whole.exit_code == 1);
  CHECK_THAT(whole.err, Contains("integer overflow"));
}

}  // namespace
}  // namespace ferry
