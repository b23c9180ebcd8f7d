#include "agent/collector/scheduler.hpp"

#include <algorithm>

#include "agent/collector/backoff.hpp"
#include "agent/collector/schedule.hpp"

namespace ferry::collector {
namespace {

// Far enough to mean "not by time" and to add to without overflow.
constexpr WallTime kNever = WallTime::max() - std::chrono::hours(24 * 365);

}  // namespace

Scheduler::Scheduler(std::vector<Entry> entries, WallTime now) : entries_(std::move(entries)) {
  for (Entry& entry : entries_) {
    entry.next_run = entry.scheduled ? next_run(entry.schedule, std::nullopt, now) : kNever;
  }
}

std::optional<std::size_t> Scheduler::take_due(WallTime now) {
  std::optional<std::size_t> due;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const Entry& entry = entries_[i];
    if (entry.running || entry.next_run > now) continue;
    if (!due || entry.next_run < entries_[*due].next_run) due = i;
  }
  if (due) entries_[*due].running = true;
  return due;
}

std::optional<WallTime> Scheduler::next_due() const {
  std::optional<WallTime> earliest;
  for (const Entry& entry : entries_) {
    if (entry.running || entry.next_run >= kNever) continue;
    if (!earliest || entry.next_run < *earliest) earliest = entry.next_run;
  }
  return earliest;
}

void Scheduler::finished(std::size_t index, const RunEnd& end) {
  Entry& entry = entries_.at(index);
  entry.running = false;
  entry.paused = end.kind == RunEnd::Kind::kPaused;
  entry.disk_full = entry.paused && end.disk_full;
  entry.retrying = false;
  const WallTime scheduled =
      entry.scheduled ? next_run(entry.schedule, end.started, end.ended) : kNever;
  entry.next_run = scheduled;
  switch (end.kind) {
    case RunEnd::Kind::kSucceeded:
      entry.failures = 0;
      break;
    case RunEnd::Kind::kFailed:
      ++entry.failures;
      entry.next_run = retry_at(end.failure, entry.failures, end.ended, scheduled);
      entry.retrying = entry.next_run < scheduled;
      break;
    case RunEnd::Kind::kPaused:
      if (entry.disk_full) entry.next_run = std::min(scheduled, end.ended + kDiskFullRetry);
      break;
    case RunEnd::Kind::kStopped:
      break;
  }
  if (entry.run_again) {
    entry.run_again = false;
    entry.next_run = end.ended;
  }
}

bool Scheduler::run_now(std::optional<std::string_view> name, WallTime now) {
  bool found = false;
  for (Entry& entry : entries_) {
    if (name && entry.name != *name) continue;
    found = true;
    if (entry.running) {
      entry.run_again = true;
    } else {
      entry.next_run = now;
      entry.retrying = false;
    }
  }
  return found || !name;
}

bool Scheduler::resume_paused(WallTime now) {
  bool any = false;
  for (Entry& entry : entries_) {
    if (!entry.paused || entry.running || entry.next_run <= now) continue;
    entry.next_run = now;
    any = true;
  }
  return any;
}

bool Scheduler::any_paused() const {
  return std::any_of(entries_.begin(), entries_.end(), [](const Entry& e) { return e.paused; });
}

std::optional<std::size_t> Scheduler::find(std::string_view name) const {
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].name == name) return i;
  }
  return std::nullopt;
}

}  // namespace ferry::collector
