#include "agent/collector/schedule.hpp"

#include <catch2/catch.hpp>

#include "common/config/cron.hpp"

namespace ferry::collector {
namespace {

using namespace std::chrono_literals;

// 2026-03-02 10:17:30 UTC, a Monday.
const WallClock::time_point kMonday = WallClock::from_time_t(1772446650);

config::Schedule every(config::Duration interval) {
  config::Schedule schedule;
  schedule.kind = config::Schedule::Kind::kEvery;
  schedule.every = interval;
  return schedule;
}

config::Schedule cron(std::string_view expression) {
  config::Schedule schedule;
  schedule.kind = config::Schedule::Kind::kCron;
  schedule.cron = std::string(expression);
  schedule.cron_spec = config::parse_cron(expression).value();
  return schedule;
}

TEST_CASE("an every schedule runs at start, then one interval after each run's start") {
  const auto schedule = every(15min);
  CHECK(next_run(schedule, std::nullopt, kMonday) == kMonday);
  // A 2-minute run: the next starts 15 minutes after the previous one started.
  CHECK(next_run(schedule, kMonday, kMonday + 2min) == kMonday + 15min);
}

TEST_CASE("an every schedule follows an overlong run at once and does not catch up") {
  const auto schedule = every(15min);
  // The run took 50 minutes: three runs were missed; one runs now, not three.
  CHECK(next_run(schedule, kMonday, kMonday + 50min) == kMonday + 50min);
}

TEST_CASE("a cron schedule runs at the next matching minute, not at start") {
  const auto nightly = cron("30 2 * * *");
  const auto first = next_run(nightly, std::nullopt, kMonday);
  CHECK(first == WallClock::from_time_t(1772505000));  // Tuesday 02:30 UTC
  // After that run ends at 02:34, the next is Wednesday 02:30.
  CHECK(next_run(nightly, first, first + 4min) == first + 24h);
}

TEST_CASE("a cron run that ends within its own minute is not repeated in that minute") {
  const auto hourly = cron("0 * * * *");
  const auto start = WallClock::from_time_t(1772449200);  // 11:00:00
  CHECK(next_run(hourly, start, start + 10s) == start + 1h);
}

}  // namespace
}  // namespace ferry::collector
