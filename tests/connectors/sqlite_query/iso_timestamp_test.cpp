#include "connectors/sqlite_query/iso_timestamp.hpp"

#include <catch2/catch.hpp>

using ferry::connectors::sqlite_query::subtract_from_timestamp;
using namespace std::chrono_literals;

namespace {

std::string minus(std::string_view text, std::chrono::milliseconds amount) {
  auto result = subtract_from_timestamp(text, amount);
  return result ? *result : std::string("(not a timestamp)");
}

}  // namespace

TEST_CASE("a timestamp moves back and keeps the shape it was written in") {
  CHECK(minus("2024-05-01 12:30:00", 10min) == "2024-05-01 12:20:00");
  CHECK(minus("2024-05-01T12:30:00Z", 90s) == "2024-05-01T12:28:30Z");
  CHECK(minus("2024-05-01T12:30:00+02:00", 1h) == "2024-05-01T11:30:00+02:00");
  CHECK(minus("2024-05-01 12:30:00.250", 500ms) == "2024-05-01 12:29:59.750");
  CHECK(minus("2024-05-01 12:30:00.000001", 1ms) == "2024-05-01 12:29:59.999001");
  CHECK(minus("2024-05-01 12:30", 1min) == "2024-05-01 12:29");
  CHECK(minus("2024-05-01", 24h) == "2024-04-30");
  CHECK(minus("2024-05-01 12:30:00", 0ms) == "2024-05-01 12:30:00");
}

TEST_CASE("a timestamp moves back across days, months, years and leap days") {
  CHECK(minus("2024-03-01 00:00:10", 20s) == "2024-02-29 23:59:50");
  CHECK(minus("2023-03-01 00:00:00", 1s) == "2023-02-28 23:59:59");
  CHECK(minus("2024-01-01T00:00:00.5Z", 1s) == "2023-12-31T23:59:59.5Z");
  CHECK(minus("2024-05-10", std::chrono::hours(24 * 40)) == "2024-03-31");
}

TEST_CASE("what the shape cannot express rounds the timestamp earlier") {
  CHECK(minus("2024-05-01 12:30:00", 1500ms) == "2024-05-01 12:29:58");
  CHECK(minus("2024-05-01 12:30", 1s) == "2024-05-01 12:29");
  CHECK(minus("2024-05-01", 1h) == "2024-04-30");
  CHECK(minus("2024-05-01 12:30:00.5", 1ms) == "2024-05-01 12:30:00.4");
}

TEST_CASE("a timestamp moved back before year 0000 stops at its first moment") {
  CHECK(minus("0001-01-01 00:00:00", std::chrono::hours(24 * 800)) == "0000-01-01 00:00:00");
  CHECK(minus("2024-05-01", std::chrono::hours(24 * 365 * 3000)) == "0000-01-01");
  CHECK(minus("2024-05-01", std::chrono::milliseconds::max()) == "0000-01-01");
}

TEST_CASE("text that is not an ISO-8601 timestamp is refused") {
  CHECK_FALSE(subtract_from_timestamp("", 1s));
  CHECK_FALSE(subtract_from_timestamp("yesterday", 1s));
  CHECK_FALSE(subtract_from_timestamp("2024-13-01", 1s));
  CHECK_FALSE(subtract_from_timestamp("2023-02-29", 1s));
  CHECK_FALSE(subtract_from_timestamp("2024-05-01 25:00", 1s));
  CHECK_FALSE(subtract_from_timestamp("2024-05-01 12:30:00.", 1s));
  CHECK_FALSE(subtract_from_timestamp("2024-05-01 12:30:00 UTC", 1s));
  CHECK_FALSE(subtract_from_timestamp("01/05/2024", 1s));
  CHECK_FALSE(subtract_from_timestamp("2024-05-01x", 1s));
}
