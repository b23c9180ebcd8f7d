#include "connectors/sqlite_query/lookback.hpp"

#include <limits>

#include <catch2/catch.hpp>

using ferry::ErrorCode;
using ferry::connectors::sqlite_query::apply_lookback;
using ferry::connectors::sqlite_query::CursorValue;
using ferry::connectors::sqlite_query::Lookback;
using ferry::connectors::sqlite_query::parse_lookback;

namespace {

Lookback lookback(std::string_view text) {
  auto parsed = parse_lookback(text);
  INFO(text << ": " << (parsed ? std::string("ok") : parsed.error().message));
  REQUIRE(parsed);
  return *parsed;
}

CursorValue applied(const CursorValue& last, std::string_view text) {
  auto result = apply_lookback(last, lookback(text));
  INFO((result ? std::string("ok") : result.error().message));
  REQUIRE(result);
  return *result;
}

}  // namespace

TEST_CASE("lookback reads a plain number as an amount and anything else as a duration") {
  CHECK(lookback("100").kind == Lookback::Kind::kAmount);
  CHECK(lookback("100").whole == 100);
  CHECK(lookback("0.5").amount == 0.5);
  CHECK(lookback("0.5").whole == 1);
  CHECK(lookback("10m").kind == Lookback::Kind::kDuration);
  CHECK(lookback("1h30m").duration == std::chrono::minutes(90));

  auto bad = parse_lookback("ten minutes");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == ErrorCode::kConfig);
  CHECK(bad.error().message ==
        "lookback 'ten minutes' is neither a number (for integer or real cursors, e.g. 100) nor a "
        "duration (for ISO-8601 text cursors, e.g. 10m)");
  CHECK_FALSE(parse_lookback("-5"));
  CHECK_FALSE(parse_lookback("1.2.3"));
  CHECK_FALSE(parse_lookback(""));
}

TEST_CASE("lookback moves each kind of cursor back by its own unit") {
  CHECK(applied(CursorValue::integer(1000), "100") == CursorValue::integer(900));
  CHECK(applied(CursorValue::integer(10), "0.5") == CursorValue::integer(9));
  CHECK(applied(CursorValue::real(2.5), "0.5") == CursorValue::real(2.0));
  CHECK(applied(CursorValue::text("2024-05-01 12:30:00"), "10m") ==
        CursorValue::text("2024-05-01 12:20:00"));
  CHECK(applied(CursorValue::null(), "10m") == CursorValue::null());
  CHECK(apply_lookback(CursorValue::integer(7), Lookback{}).value() == CursorValue::integer(7));
}

TEST_CASE("an integer cursor moved back past the smallest integer stays at it") {
  constexpr auto kLowest = std::numeric_limits<std::int64_t>::min();
  CHECK(applied(CursorValue::integer(kLowest + 5), "10") == CursorValue::integer(kLowest));
  CHECK(applied(CursorValue::integer(-10), "99999999999999999999") ==
        CursorValue::integer(kLowest));
}

TEST_CASE("a lookback that does not suit the cursor's type says which form to write") {
  auto duration_on_number = apply_lookback(CursorValue::integer(5), lookback("10m"));
  REQUIRE_FALSE(duration_on_number);
  CHECK(
      duration_on_number.error().message ==
      "lookback '10m' is a duration, but the cursor column holds numbers: write the lookback as a "
      "number in the column's own unit (e.g. 600 for seconds)");

  auto number_on_text = apply_lookback(CursorValue::text("2024-05-01"), lookback("100"));
  REQUIRE_FALSE(number_on_text);
  CHECK(number_on_text.error().message ==
        "lookback '100' is a number, but the cursor column holds text: write the lookback as a "
        "duration such as 10m (for ISO-8601 timestamps)");

  auto duration_on_words = apply_lookback(CursorValue::text("last tuesday"), lookback("1h"));
  REQUIRE_FALSE(duration_on_words);
  CHECK(duration_on_words.error().code == ErrorCode::kConfig);
}
