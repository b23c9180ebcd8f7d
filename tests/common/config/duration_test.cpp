#include "common/config/duration.hpp"

#include <catch2/catch.hpp>

using ferry::config::Duration;
using ferry::config::format_duration;
using ferry::config::parse_duration;
using namespace std::chrono_literals;

TEST_CASE("durations accept each unit of the configuration file") {
  CHECK(parse_duration("500ms").value() == 500ms);
  CHECK(parse_duration("2s").value() == 2s);
  CHECK(parse_duration("15m").value() == 15min);
  CHECK(parse_duration("1h").value() == 1h);
  CHECK(parse_duration("1d").value() == 24h);
  CHECK(parse_duration(" 0s ").value() == Duration(0));
}

TEST_CASE("durations add up combined parts such as 1h30m") {
  CHECK(parse_duration("1h30m").value() == 90min);
  CHECK(parse_duration("2m30s").value() == 150s);
  CHECK(parse_duration("1s500ms").value() == 1500ms);
}

TEST_CASE("durations without a unit or with an unknown one are refused with the accepted units") {
  auto bare = parse_duration("15");
  REQUIRE_FALSE(bare);
  CHECK(bare.error().message ==
        "'15' has no unit: add one of ms, s, m, h or d, as in 500ms, 2s, 15m, 1h, 1d");
  auto unknown = parse_duration("3w");
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().message ==
        "unknown unit 'w' in duration '3w' (use ms, s, m, h or d, as in 500ms, 2s, 15m, 1h, 1d)");
  CHECK_FALSE(parse_duration("15 minutes"));
  CHECK_FALSE(parse_duration("m"));
}

TEST_CASE("durations refuse negative, fractional, empty and overflowing values") {
  CHECK(parse_duration("-5s").error().message == "'-5s' is negative: a duration must be 0 or more");
  CHECK(parse_duration("1.5h").error().message ==
        "'1.5h' is not a duration: use whole numbers (1h30m rather than 1.5h)");
  CHECK_FALSE(parse_duration(""));
  CHECK_FALSE(parse_duration("   "));
  CHECK(parse_duration("99999999999999999d").error().message ==
        "'99999999999999999d' is too large for a duration");
  CHECK_FALSE(parse_duration("99999999999999999999999s"));
}

TEST_CASE("durations format back to the shortest form the parser reads") {
  CHECK(format_duration(0ms) == "0s");
  CHECK(format_duration(500ms) == "500ms");
  CHECK(format_duration(90min) == "1h30m");
  CHECK(format_duration(25h + 1ms) == "1d1h1ms");
  for (const char* text : {"1d", "2s", "1h30m", "750ms"}) {
    CHECK(format_duration(parse_duration(text).value()) == text);
  }
}
