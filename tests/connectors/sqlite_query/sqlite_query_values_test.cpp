// How the sqlite connector hands over SQLite's values, and the rows it cannot hand over.
#include <catch2/catch.hpp>

#include "connectors/sqlite_query/cursor_state.hpp"
#include "connectors/sqlite_query/sqlite_query.hpp"
#include "tests/connectors/sqlite_query/test_database.hpp"
#include "tests/support/temp_dir.hpp"

using ferry::ErrorCode;
using ferry::connectors::ValueType;
using ferry::connectors::sqlite_query::CursorValue;
using ferry::connectors::sqlite_query::decode_state;
using namespace ferry::test;

namespace {

constexpr const char* kValuesQuery =
    "SELECT id, i, r, t, n, b, seq FROM v WHERE :cursor IS NULL OR seq >= :cursor ORDER BY seq, id";

using Types = std::vector<ValueType>;
using Texts = std::vector<std::string>;

}  // namespace

TEST_CASE("values keep their SQL types: numbers, text, null, and blobs as lowercase hex") {
  TempDir dir;
  TestDatabase db(dir / "values.db");
  db.exec(
      "CREATE TABLE v(id INTEGER PRIMARY KEY, i INTEGER, r REAL, t TEXT, n TEXT, b BLOB, seq);"
      "INSERT INTO v VALUES (1, 42, 0.1, 'h\xc3\xa9llo', NULL, x'00ff10', 1);"
      "INSERT INTO v VALUES (2, -9223372036854775808, 1e300, '', NULL, x'', 2);"
      "INSERT INTO v VALUES (3, 7, -2.5, '12', NULL, NULL, 3.5)");
  auto source =
      make_source(sqlite_source(dir / "values.db", {query_stream("v", "id", kValuesQuery, "seq")}));
  RecordingSink sink;
  const std::string state = read_ok(*source, "", sink);
  REQUIRE(sink.rows.size() == 3);

  constexpr auto N = ValueType::kNumber;
  constexpr auto S = ValueType::kString;
  constexpr auto Z = ValueType::kNull;
  CHECK(sink.rows[0].types == Types{N, N, N, S, Z, S, N});
  CHECK(sink.rows[0].texts == Texts{"1", "42", "0.1", "h\xc3\xa9llo", "", "00ff10", "1"});
  CHECK(sink.rows[1].types == Types{N, N, N, S, Z, S, N});
  CHECK(sink.rows[1].texts == Texts{"2", "-9223372036854775808", "1e+300", "", "", "", "2"});
  CHECK(sink.rows[2].types == Types{N, N, N, S, Z, Z, N});
  CHECK(sink.rows[2].texts == Texts{"3", "7", "-2.5", "12", "", "", "3.5"});
  // The last cursor value was a real, and the state keeps it a real.
  CHECK(decode_state(state)->at("v").value == CursorValue::real(3.5));
}

TEST_CASE("a row that cannot be sent is reported as a bad row and the others still arrive") {
  TempDir dir;
  TestDatabase db(dir / "values.db");
  db.exec(
      "CREATE TABLE v(id TEXT, i, r, t, n, b, seq);"
      "INSERT INTO v VALUES ('a', 1, 1.0, 'fine', NULL, NULL, 1);"
      "INSERT INTO v VALUES ('b', 1, 1.0, CAST(x'ff41' AS TEXT), NULL, NULL, 2);"
      "INSERT INTO v VALUES (NULL, 1, 1.0, 'no key', NULL, NULL, 3);"
      "INSERT INTO v VALUES ('c', 1, 9e999, 'infinite', NULL, NULL, 4);"
      "INSERT INTO v VALUES ('d', 1, 1.0, 'fine', NULL, NULL, 5)");
  auto source =
      make_source(sqlite_source(dir / "values.db", {query_stream("v", "id", kValuesQuery, "seq")}));
  RecordingSink sink;
  const std::string state = read_ok(*source, "", sink);

  CHECK(column_of(sink.rows, 0) == Texts{"a", "d"});
  REQUIRE(sink.bad_rows.size() == 3);
  CHECK(sink.bad_rows[0].stream == "v");
  CHECK(sink.bad_rows[0].location == "v query row 2");
  CHECK(sink.bad_rows[0].reason == "column 't' holds text that is not valid UTF-8");
  CHECK(sink.bad_rows[1].location == "v query row 3");
  CHECK(sink.bad_rows[1].reason == "key column 'id' is null");
  CHECK(sink.bad_rows[2].reason == "column 'r' holds an infinite real, which JSON cannot carry");
  CHECK(decode_state(state)->at("v").value == CursorValue::integer(5));
}

TEST_CASE("a blob in the cursor column is refused") {
  TempDir dir;
  TestDatabase db(dir / "values.db");
  db.exec(
      "CREATE TABLE v(id, i, r, t, n, b, seq);"
      "INSERT INTO v VALUES (1, 1, 1.0, 'x', NULL, NULL, x'01')");
  auto source =
      make_source(sqlite_source(dir / "values.db", {query_stream("v", "id", kValuesQuery, "seq")}));
  RecordingSink sink;
  const ferry::Error error = read_error(*source, "", sink);
  CHECK(error.code == ErrorCode::kConfig);
  CHECK(error.message ==
        "source 'db' stream 'v': the cursor column 'seq' in query row 1 holds a BLOB, which cannot "
        "be a cursor (use an integer, real or text column)");
}

TEST_CASE("rows whose cursor is null are read first and do not move the cursor") {
  TempDir dir;
  TestDatabase db(dir / "values.db");
  db.exec(
      "CREATE TABLE v(id, i, r, t, n, b, seq);"
      "INSERT INTO v VALUES (1, 1, 1.0, 'x', NULL, NULL, NULL);"
      "INSERT INTO v VALUES (2, 1, 1.0, 'x', NULL, NULL, 10)");
  auto source =
      make_source(sqlite_source(dir / "values.db", {query_stream("v", "id", kValuesQuery, "seq")}));
  RecordingSink sink;
  const std::string state = read_ok(*source, "", sink);
  CHECK(column_of(sink.rows, 0) == Texts{"1", "2"});
  CHECK(decode_state(state)->at("v").value == CursorValue::integer(10));
  sink.next_poll();
  read_ok(*source, state, sink);
  CHECK(column_of(sink.rows, 0) == Texts{"2"});  // `seq >= :cursor` is never true for NULL
}

TEST_CASE("a lookback that does not suit the cursor column is refused before any row is sent") {
  TempDir dir;
  TestDatabase db(dir / "values.db");
  db.exec(
      "CREATE TABLE v(id, i, r, t, n, b, seq);"
      "INSERT INTO v VALUES (1, 1, 1.0, 'x', NULL, NULL, 10)");
  auto source = make_source(
      sqlite_source(dir / "values.db", {query_stream("v", "id", kValuesQuery, "seq", "10m")}));
  RecordingSink sink;
  const ferry::Error error = read_error(*source, "", sink);
  CHECK(error.message ==
        "source 'db' stream 'v': lookback '10m' is a duration, but the cursor column holds "
        "numbers: write the lookback as a number in the column's own unit (e.g. 600 for "
        "seconds): fix lookback under streams.v");
  CHECK(sink.rows.empty());
}
