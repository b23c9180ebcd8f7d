#include "connectors/sqlite_query/sqlite_engine.hpp"

#include <catch2/catch.hpp>

#include "tests/connectors/sqlite_query/test_database.hpp"
#include "tests/support/temp_dir.hpp"

using ferry::ErrorCode;
using ferry::connectors::sqlite_query::CursorValue;
using ferry::connectors::sqlite_query::make_sqlite_engine;
using ferry::test::TempDir;
using ferry::test::TestDatabase;

TEST_CASE("a stop request interrupts a statement that is still working towards its first row") {
  TempDir dir;
  { TestDatabase(dir / "big.db").exec("CREATE TABLE t(x)"); }
  auto engine = make_sqlite_engine({dir / "big.db", std::chrono::seconds(1)});
  std::stop_source stop;
  auto connection = engine->connect(stop.get_token());
  REQUIRE(connection);
  // A billion-row sort: minutes of work before the first row unless interrupted.
  auto query =
      (*connection)
          ->prepare(
              "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n LIMIT 1000000000) "
              "SELECT i FROM n WHERE :cursor IS NULL ORDER BY -i");
  REQUIRE(query);
  REQUIRE((*query)->bind_cursor(CursorValue::null(), 0));
  stop.request_stop();
  auto stepped = (*query)->step();
  REQUIRE_FALSE(stepped);
  CHECK(stepped.error().code == ErrorCode::kUnavailable);
  CHECK_THAT(stepped.error().message, Catch::Contains("stopped on request"));
}

TEST_CASE("the engine reports parameters as written and whether a statement only reads") {
  TempDir dir;
  { TestDatabase(dir / "p.db").exec("CREATE TABLE t(a, b)"); }
  auto engine = make_sqlite_engine({dir / "p.db", std::chrono::seconds(1)});
  auto connection = engine->connect({});
  REQUIRE(connection);
  auto select =
      (*connection)->prepare("SELECT a, b AS bee FROM t WHERE a >= :cursor OR b = @x OR a = ?");
  REQUIRE(select);
  CHECK((*select)->columns() == std::vector<std::string>{"a", "bee"});
  CHECK((*select)->parameters() == std::vector<std::string>{":cursor", "@x", "?3"});
  CHECK((*select)->reads_only());
  auto write = (*connection)->prepare("DELETE FROM t WHERE a < :cursor");
  REQUIRE(write);
  CHECK_FALSE((*write)->reads_only());
  auto trailing = (*connection)->prepare("SELECT 1; -- fine\n ; /* fine */");
  CHECK(trailing);
  auto two = (*connection)->prepare("SELECT 1; SELECT 2");
  REQUIRE_FALSE(two);
  CHECK(two.error().message == "it holds more than one statement; keep a single SELECT");
}
