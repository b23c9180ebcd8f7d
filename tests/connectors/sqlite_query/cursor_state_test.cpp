#include "connectors/sqlite_query/cursor_state.hpp"

#include <cstring>

#include <catch2/catch.hpp>

using ferry::ErrorCode;
using ferry::connectors::sqlite_query::CursorState;
using ferry::connectors::sqlite_query::CursorValue;
using ferry::connectors::sqlite_query::decode_state;
using ferry::connectors::sqlite_query::encode_state;
using ferry::connectors::sqlite_query::StreamCursor;

TEST_CASE("the state keeps each stream's cursor with its type") {
  const CursorState state = {
      {"a", StreamCursor{"id", CursorValue::integer(-9223372036854775807 - 1)}},
      {"b", StreamCursor{"score", CursorValue::real(0.1)}},
      {"c", StreamCursor{"score", CursorValue::real(3.0)}},
      {"d", StreamCursor{"updated_at", CursorValue::text("2024-05-01 12:00:00 \"é\"")}},
  };
  const std::string text = encode_state(state);
  CHECK(text ==
        R"({"format":"ferry-sql-cursor-1","streams":{)"
        R"("a":{"column":"id","type":"integer","value":-9223372036854775808},)"
        R"("b":{"column":"score","type":"real","value":"0.1"},)"
        R"("c":{"column":"score","type":"real","value":"3"},)"
        R"("d":{"column":"updated_at","type":"text","value":"2024-05-01 12:00:00 \"é\""}}})");
  auto decoded = decode_state(text);
  REQUIRE(decoded);
  CHECK(*decoded == state);
  CHECK(decoded->at("c").value.as_real() != nullptr);  // 3.0 stays a real
}

TEST_CASE("reals come back from the state bit for bit") {
  for (const double value : {0.1, 1.0 / 3.0, 1e-300, 2.2250738585072014e-308,
                             1.7976931348623157e308, -0.0, 123456789.123456789}) {
    const CursorState state = {{"s", StreamCursor{"x", CursorValue::real(value)}}};
    auto decoded = decode_state(encode_state(state));
    REQUIRE(decoded);
    const double* back = decoded->at("s").value.as_real();
    REQUIRE(back != nullptr);
    CHECK(std::memcmp(back, &value, sizeof value) == 0);
  }
}

TEST_CASE("an empty state or a state in another format starts from the beginning") {
  CHECK(decode_state("").value().empty());
  CHECK(decode_state("not json").value().empty());
  CHECK(decode_state(R"({"files":{"users.csv":"abc"}})").value().empty());
  CHECK(decode_state(R"([1,2])").value().empty());
}

TEST_CASE("a damaged state in this format is reported as corrupt") {
  auto wrong_type = decode_state(
      R"({"format":"ferry-sql-cursor-1","streams":{"users":{"column":"id","type":"integer","value":"7"}}})");
  REQUIRE_FALSE(wrong_type);
  CHECK(wrong_type.error().code == ErrorCode::kCorrupt);
  CHECK(wrong_type.error().message ==
        "saved read position of stream 'users' is damaged (unknown type or a value that does not "
        "match it): the agent cannot resume from it; clear the source's state to read it again "
        "from the beginning");
  CHECK_FALSE(decode_state(R"({"format":"ferry-sql-cursor-1"})"));
  CHECK_FALSE(decode_state(R"({"format":"ferry-sql-cursor-1","streams":{"u":{"type":"text"}}})"));
  CHECK_FALSE(decode_state(
      R"({"format":"ferry-sql-cursor-1","streams":{"u":{"column":"x","type":"real","value":"1.5x"}}})"));
}
