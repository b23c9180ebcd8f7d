// The one rule for "due for rotation": agent.key_rotation_period, and none without it. Time comes
// from a FakeClock, moved past the period.
#include "common/keys/key_age.hpp"

#include <catch2/catch.hpp>

#include "tests/support/fake_clock.hpp"

namespace ferry::keys {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kCreated = "2026-11-01T09:00:00Z";

TEST_CASE("a key is due for rotation once older than the configured period and never without one") {
  test::FakeClock clock(*parse_rfc3339(kCreated));
  const std::chrono::milliseconds period = 24h * 180;

  auto fresh = key_age(kCreated, clock.now(), period);
  REQUIRE(fresh);
  CHECK(fresh->age == 0s);
  CHECK_FALSE(fresh->rotation_due);
  CHECK(fresh->due_in == std::chrono::seconds(period / 1s));

  clock.advance(24h * 180);  // exactly the period: not yet
  CHECK_FALSE(key_age(kCreated, clock.now(), period)->rotation_due);
  clock.advance(1s);
  auto due = key_age(kCreated, clock.now(), period);
  CHECK(due->rotation_due);
  CHECK(due->due_in == 0s);
  CHECK(due->age == std::chrono::seconds(24h * 180 + 1s));

  // No period: never due, however old.
  clock.advance(24h * 3650);
  auto unset = key_age(kCreated, clock.now(), std::nullopt);
  REQUIRE(unset);
  CHECK_FALSE(unset->rotation_due);
  CHECK_FALSE(unset->due_in.has_value());

  // A shorter period makes the same key due sooner.
  test::FakeClock later(*parse_rfc3339(kCreated) + 24h * 31);
  CHECK(key_age(kCreated, later.now(), std::chrono::milliseconds(24h * 30))->rotation_due);
  CHECK_FALSE(key_age(kCreated, later.now(), std::chrono::milliseconds(24h * 90))->rotation_due);
}

TEST_CASE("a created date that does not parse has no age") {
  CHECK_FALSE(key_age("yesterday", std::chrono::system_clock::now(), std::nullopt));
  CHECK_FALSE(parse_rfc3339("2026-13-01"));
}

TEST_CASE("parse_rfc3339 reads fractions and offsets as the instant they name", "[keys]") {
  const auto utc = parse_rfc3339("2026-02-26T09:30:00Z");
  REQUIRE(utc);
  CHECK(parse_rfc3339("2026-02-26T10:30:00+01:00") == utc);
  CHECK(parse_rfc3339("2026-02-26T04:30:00-0500") == utc);
  CHECK(parse_rfc3339("2026-02-26T09:30:00") == utc);
  CHECK(parse_rfc3339("2026-02-26T09:30:00.250Z") == *utc + 250ms);
  CHECK(parse_rfc3339("2026-02-26T10:30:00.5+01:00") == *utc + 500ms);
  CHECK_FALSE(parse_rfc3339("yesterday"));
}

}  // namespace
}  // namespace ferry::keys
