// What the collector knows of each source and its streams, for `ferry status`, the metrics and the
// log. Plain values, copied out under the collector's lock.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error/error.hpp"

namespace ferry::collector {

using WallTime = std::chrono::system_clock::time_point;

// Why a run failed, as far as retrying goes (backoff.hpp says when each is tried again).
enum class FailureClass {
  kNone,
  kUnavailable,  // the source is not reachable or busy now (network, a lock): soon again
  kRateLimited,  // the source asked us to slow down
  kAuth,         // credentials or permissions refused: a person must fix them
  kBadData,      // the data cannot be read as it is (a broken export, a missing file)
  kConfig,       // the settings do not fit the source (a query that fails, a missing column)
  kInternal,     // a bug of ours, or an exception out of a connector
};

// "unavailable", "rate_limited", "auth", "bad_data", "config", "internal"; "" for kNone.
std::string_view to_string(FailureClass failure);

FailureClass classify(ErrorCode code);

struct StreamStatus {
  std::string name;
  std::uint64_t rows_last_run = 0;  // rows read by the stream's last run
  std::optional<WallTime> last_success;
  std::string last_error;  // "" when its last run got through
  std::uint64_t bad_rows = 0;    // rows its last run could not read
  std::uint64_t bad_values = 0;  // values its last run could not carry as they are
};

struct SourceStatus {
  std::string name;
  std::string type;
  std::optional<WallTime> last_run;      // start of the last run
  std::optional<WallTime> last_success;  // end of the last run that succeeded
  // These three are kept in the spool, so they outlive restarts (staleness.hpp reads them).
  std::optional<WallTime> last_change;    // end of the last run that spooled rows
  std::uint64_t rows_last_change = 0;     // rows spooled by that run (upserts and deletes)
  std::optional<WallTime> first_success;  // end of the first run that succeeded
  // The source's stale_after (config): flagged when its data has not changed for this long.
  std::optional<std::chrono::milliseconds> stale_after;
  WallTime next_run{};                   // the next attempt: its schedule, or a retry
  std::uint64_t rows = 0;                // rows read by the last successful run
  std::string last_error;                // "" after a success
  FailureClass failure = FailureClass::kNone;  // of the last run
  std::uint32_t consecutive_failures = 0;      // failed runs since the last success
  bool retrying = false;  // next_run is a retry after a failure, not the schedule
  bool paused = false;    // the spool is full (when_full: pause): polling waits for room
  bool disk_full = false;  // paused because the disk under the data_dir is full
  bool running = false;   // a run is in progress
  // Since the agent started (for metrics): runs ended, runs failed, rows read, rows spooled
  // (upserts and deletes), rows of erased subjects not sent, bad rows, bad values (the field policy
  // could not carry them as they are: pipeline::StreamReport), batches spooled.
  std::uint64_t runs_total = 0;
  std::uint64_t errors_total = 0;
  std::uint64_t rows_read_total = 0;
  std::uint64_t rows_spooled_total = 0;
  std::uint64_t rows_suppressed_total = 0;
  std::uint64_t bad_rows_total = 0;
  std::uint64_t bad_values_total = 0;
  std::uint64_t batches_total = 0;
  std::vector<StreamStatus> streams;  // in the order the source last read them
};

}  // namespace ferry::collector
