// The scheduler on times the test gives it: days of schedules, failures and retries, without a
// clock or a thread.
#include "agent/collector/scheduler.hpp"

#include <vector>

#include <catch2/catch.hpp>

#include "agent/collector/backoff.hpp"
#include "common/config/cron.hpp"

namespace ferry::collector {
namespace {

using namespace std::chrono_literals;
using Kind = RunEnd::Kind;

const WallTime kStart = WallTime(std::chrono::seconds(1772446650));  // 2026-03-02 10:17:30 UTC

Scheduler::Entry source(std::string name, std::string_view schedule = "every 1h") {
  Scheduler::Entry entry;
  entry.name = std::move(name);
  if (schedule.starts_with("every ")) {
    entry.schedule.kind = config::Schedule::Kind::kEvery;
    entry.schedule.every = std::chrono::duration_cast<config::Duration>(
        schedule == "every 1h" ? std::chrono::hours(1) : std::chrono::minutes(15));
  } else {
    entry.schedule.kind = config::Schedule::Kind::kCron;
    entry.schedule.cron = std::string(schedule);
    entry.schedule.cron_spec = config::parse_cron(schedule).value();
  }
  return entry;
}

RunEnd ended(Kind kind, WallTime started, WallTime at,
             FailureClass failure = FailureClass::kNone) {
  return RunEnd{kind, failure, false, started, at};
}

TEST_CASE("scheduler: every source is due at start, earliest first, and never taken twice") {
  Scheduler scheduler({source("sis"), source("lms")}, kStart);
  const auto first = scheduler.take_due(kStart);
  const auto second = scheduler.take_due(kStart);
  REQUIRE(first);
  REQUIRE(second);
  CHECK(*first != *second);
  CHECK_FALSE(scheduler.take_due(kStart + 10h));  // both are running
  CHECK_FALSE(scheduler.next_due());
  scheduler.finished(*first, ended(Kind::kSucceeded, kStart, kStart + 5min));
  CHECK(scheduler.next_due() == kStart + 1h);
  CHECK_FALSE(scheduler.take_due(kStart + 59min));
  CHECK(scheduler.take_due(kStart + 1h) == first);
}

TEST_CASE("scheduler: a cron source waits for its minute") {
  Scheduler scheduler({source("nightly", "30 2 * * *")}, kStart);
  CHECK_FALSE(scheduler.take_due(kStart));
  const WallTime tuesday_0230 = WallTime(std::chrono::seconds(1772505000));
  CHECK(scheduler.next_due() == tuesday_0230);
  CHECK(scheduler.take_due(tuesday_0230) == 0u);
}

TEST_CASE("scheduler: a source that keeps failing is retried by its class, backing off") {
  Scheduler scheduler({source("lms", "every 15m")}, kStart);
  WallTime now = kStart;
  const std::chrono::seconds expected[] = {30s, 60s, 120s, 240s, 480s, 960s, 1800s, 1800s};
  for (const auto delay : expected) {
    REQUIRE(scheduler.take_due(now) == 0u);
    scheduler.finished(0, ended(Kind::kFailed, now, now + 1s, FailureClass::kUnavailable));
    INFO("after a failure at " << (now - kStart).count());
    CHECK(scheduler.next_due() == now + 1s + delay);
    // Beyond the schedule's 15 minutes, the back-off wins: a source that is down is not hammered.
    CHECK(scheduler.entries()[0].retrying == (delay < 15min));
    now = *scheduler.next_due();
  }
  CHECK(scheduler.entries()[0].failures == 8);
  // One success and the count starts again; the schedule takes over.
  REQUIRE(scheduler.take_due(now) == 0u);
  scheduler.finished(0, ended(Kind::kSucceeded, now, now + 1s));
  CHECK(scheduler.entries()[0].failures == 0);
  CHECK(scheduler.next_due() == now + 15min);
}

TEST_CASE("scheduler: what needs a person is retried, but never later than the schedule") {
  Scheduler scheduler({source("sis", "every 1h")}, kStart);
  REQUIRE(scheduler.take_due(kStart) == 0u);
  scheduler.finished(0, ended(Kind::kFailed, kStart, kStart + 1min, FailureClass::kAuth));
  CHECK(scheduler.next_due() == kStart + 6min);  // 5 minutes after the end
  WallTime now = kStart + 6min;
  std::vector<std::chrono::minutes> waits;
  for (int i = 0; i < 6; ++i) {
    REQUIRE(scheduler.take_due(now) == 0u);
    scheduler.finished(0, ended(Kind::kFailed, now, now, FailureClass::kBadData));
    const WallTime next = *scheduler.next_due();
    waits.push_back(std::chrono::duration_cast<std::chrono::minutes>(next - now));
    now = next;
  }
  // 10, 20, 40 minutes, then capped by the hourly schedule.
  CHECK(waits == std::vector<std::chrono::minutes>{10min, 20min, 40min, 60min, 60min, 60min});
  CHECK(retry_at(FailureClass::kConfig, 10, kStart, kStart + 24h) == kStart + 6h);
  CHECK(retry_at(FailureClass::kConfig, 10, kStart, kStart + 1h) == kStart + 1h);
  CHECK(retry_at(FailureClass::kRateLimited, 1, kStart, kStart + 10s) == kStart + 1min);
  CHECK(retry_at(FailureClass::kInternal, 100, kStart, kStart) == kStart + 1h);
}

TEST_CASE("scheduler: a run asked for while running follows right after it") {
  Scheduler scheduler({source("sis"), source("lms")}, kStart);
  REQUIRE(scheduler.take_due(kStart) == 0u);
  CHECK(scheduler.run_now("sis", kStart + 1min));
  CHECK_FALSE(scheduler.run_now("nope", kStart + 1min));
  scheduler.finished(0, ended(Kind::kSucceeded, kStart, kStart + 2min));
  CHECK(scheduler.entries()[0].next_run == kStart + 2min);
  // run_now also cuts a back-off short: an admin asked.
  REQUIRE(scheduler.take_due(kStart + 2min) == 1u);
  scheduler.finished(1, ended(Kind::kFailed, kStart + 2min, kStart + 3min,
                              FailureClass::kUnavailable));
  CHECK(scheduler.run_now(std::nullopt, kStart + 3min));
  CHECK(scheduler.entries()[1].next_run == kStart + 3min);
}

TEST_CASE("scheduler: a source paused by a full spool runs again when room is made") {
  Scheduler scheduler({source("sis")}, kStart);
  REQUIRE(scheduler.take_due(kStart) == 0u);
  scheduler.finished(0, ended(Kind::kPaused, kStart, kStart + 1min));
  CHECK(scheduler.any_paused());
  CHECK(scheduler.next_due() == kStart + 1h);
  CHECK(scheduler.resume_paused(kStart + 5min));
  CHECK(scheduler.take_due(kStart + 5min) == 0u);
  scheduler.finished(0, ended(Kind::kSucceeded, kStart + 5min, kStart + 6min));
  CHECK_FALSE(scheduler.any_paused());
}

TEST_CASE("scheduler: a source paused by a full disk tries again after a few seconds") {
  Scheduler scheduler({source("sis")}, kStart);
  REQUIRE(scheduler.take_due(kStart) == 0u);
  RunEnd full = ended(Kind::kPaused, kStart, kStart + 1min);
  full.disk_full = true;
  for (int attempt = 0; attempt < 3; ++attempt) {
    scheduler.finished(0, full);
    CHECK(scheduler.any_paused());
    CHECK(scheduler.entries()[0].disk_full);
    CHECK(scheduler.entries()[0].failures == 0);  // a pause, not a failure: no back-off
    CHECK(scheduler.next_due() == full.ended + kDiskFullRetry);
    REQUIRE(scheduler.take_due(full.ended + kDiskFullRetry) == 0u);
    full.started = full.ended + kDiskFullRetry;
    full.ended = full.started + 1s;
  }
  scheduler.finished(0, ended(Kind::kSucceeded, full.started, full.ended));
  CHECK_FALSE(scheduler.any_paused());
  CHECK_FALSE(scheduler.entries()[0].disk_full);
  CHECK(scheduler.next_due() == full.started + 1h);
}

TEST_CASE("scheduler: sources that are not scheduled run only when asked") {
  Scheduler::Entry once = source("sis");
  once.scheduled = false;
  Scheduler scheduler({once}, kStart);
  CHECK_FALSE(scheduler.take_due(kStart + 1000h));
  CHECK_FALSE(scheduler.next_due());
  CHECK(scheduler.run_now("sis", kStart + 1min));
  REQUIRE(scheduler.take_due(kStart + 1min) == 0u);
  scheduler.finished(0, ended(Kind::kSucceeded, kStart + 1min, kStart + 2min));
  CHECK_FALSE(scheduler.next_due());
}

TEST_CASE("failure classes follow the error codes") {
  CHECK(classify(ErrorCode::kUnavailable) == FailureClass::kUnavailable);
  CHECK(classify(ErrorCode::kRateLimited) == FailureClass::kRateLimited);
  CHECK(classify(ErrorCode::kAuth) == FailureClass::kAuth);
  CHECK(classify(ErrorCode::kCorrupt) == FailureClass::kBadData);
  CHECK(classify(ErrorCode::kDiskFull) == FailureClass::kUnavailable);
  CHECK(classify(ErrorCode::kConfig) == FailureClass::kConfig);
  CHECK(classify(ErrorCode::kInternal) == FailureClass::kInternal);
  CHECK(to_string(FailureClass::kRateLimited) == "rate_limited");
}

}  // namespace
}  // namespace ferry::collector
