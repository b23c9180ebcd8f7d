// Which source runs when: each source's next time from its schedule, retries after failures
// (backoff.hpp), runs asked for now, and sources paused by a full spool. Pure bookkeeping on
// times given to it, with no clock and no threads of its own, so tests drive it through days of
// schedules directly; the collector calls it under its lock.
//
// A source is never taken twice at once: a source running is not due. A run asked for while the
// source runs (run_now) follows right after, since the run in progress may have read past what
// changed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/collector/source_status.hpp"
#include "common/config/settings.hpp"

namespace ferry::collector {

// How a run ended, as far as the schedule goes.
struct RunEnd {
  enum class Kind {
    kSucceeded,  // read and spooled (held deletes too: they wait for a person, not a retry)
    kFailed,     // the source, or some of its streams, failed: retried by `failure`'s rule
    kPaused,     // the spool is full: waits for room (resume_paused), or its next schedule
    kStopped,    // the agent is stopping
  };
  Kind kind = Kind::kSucceeded;
  FailureClass failure = FailureClass::kNone;
  // kPaused because the disk under the spool is full: tried again after kDiskFullRetry (acks
  // free room inside the spool file, and space freed on the disk shows only when tried).
  bool disk_full = false;
  WallTime started;
  WallTime ended;
};

// How soon a source paused by a full disk tries again: the bound on how long it waits once
// space is freed. A try reads until its first commit, so this is no busy loop.
inline constexpr std::chrono::seconds kDiskFullRetry{5};

class Scheduler {
 public:
  struct Entry {
    std::string name;
    config::Schedule schedule;
    bool scheduled = true;  // false: runs only when asked (ferry sync)
    WallTime next_run{};
    bool running = false;
    bool run_again = false;  // asked for while running
    bool paused = false;
    bool disk_full = false;  // paused by a full disk (RunEnd::disk_full)
    bool retrying = false;
    std::uint32_t failures = 0;  // in a row
  };

  // `now`: when the agent starts. Sources with `scheduled` false wait for run_now.
  Scheduler(std::vector<Entry> entries, WallTime now);

  // The due source (next_run <= now, not running) with the earliest time, marked running.
  std::optional<std::size_t> take_due(WallTime now);
  // The earliest next_run of the sources not running; nullopt when none waits for a time.
  std::optional<WallTime> next_due() const;
  // Source `index`, taken by take_due, ended its run.
  void finished(std::size_t index, const RunEnd& end);
  // Makes every source (or the one named) due at `now`. False when no source has that name.
  bool run_now(std::optional<std::string_view> name, WallTime now);
  // Sources paused by a full spool become due at `now`; true when there were any.
  bool resume_paused(WallTime now);
  bool any_paused() const;

  const std::vector<Entry>& entries() const { return entries_; }
  std::optional<std::size_t> find(std::string_view name) const;

 private:
  std::vector<Entry> entries_;
};

}  // namespace ferry::collector
