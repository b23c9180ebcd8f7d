#include "common/config/schedule.hpp"

#include <catch2/catch.hpp>

using ferry::config::parse_schedule;
using ferry::config::Schedule;
using namespace std::chrono_literals;

TEST_CASE("schedules read 'every' with a duration") {
  auto schedule = parse_schedule("every 15m");
  REQUIRE(schedule);
  CHECK(schedule->kind == Schedule::Kind::kEvery);
  CHECK(schedule->every == 15min);
  CHECK(parse_schedule("  every 1h30m ").value().every == 90min);
}

TEST_CASE("schedules read a cron expression and keep it parsed") {
  auto schedule = parse_schedule("0 6 * * mon-fri");
  REQUIRE(schedule);
  CHECK(schedule->kind == Schedule::Kind::kCron);
  CHECK(schedule->cron == "0 6 * * mon-fri");
  CHECK(schedule->cron_spec.hours[6]);
  CHECK(parse_schedule("@daily").value().kind == Schedule::Kind::kCron);
}

TEST_CASE("schedules refuse intervals too short, missing or malformed") {
  CHECK(parse_schedule("every 500ms").error().message ==
        "'every 500ms' is too often: the shortest interval is every 1s");
  CHECK(parse_schedule("every").error().message == "'every' needs an interval, as in every 15m");
  CHECK(parse_schedule("every 15").error().message ==
        "'15' has no unit: add one of ms, s, m, h or d, as in 500ms, 2s, 15m, 1h, 1d");
  CHECK(parse_schedule("hourly").error().message ==
        "'hourly' is not a schedule: write 'every' and an interval (every 15m) or a 5-field cron "
        "expression (0 6 * * mon-fri)");
  CHECK_FALSE(parse_schedule("0 25 * * *"));
}
