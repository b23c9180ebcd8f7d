#include "agent/collector/staleness.hpp"

#include "common/config/duration.hpp"

namespace ferry::collector {

std::optional<WallTime> unchanged_since(const SourceStatus& status) {
  return status.last_change ? status.last_change : status.first_success;
}

bool is_stale(const SourceStatus& status, WallTime now) {
  if (!status.stale_after) return false;
  const auto since = unchanged_since(status);
  return since && now - *since > *status.stale_after;
}

std::string format_stale_after(std::chrono::milliseconds stale_after) {
  using std::chrono::hours;
  if (stale_after.count() > 0 && stale_after % hours(24) == stale_after.zero()) {
    return std::to_string(stale_after / hours(24)) + "d";
  }
  if (stale_after.count() > 0 && stale_after % hours(1) == stale_after.zero()) {
    return std::to_string(stale_after / hours(1)) + "h";
  }
  return config::format_duration(stale_after);
}

void apply_activity(const spool::SourceActivity& activity, SourceStatus& status) {
  const auto time = [](std::int64_t unix_seconds) {
    return WallTime(std::chrono::seconds(unix_seconds));
  };
  if (activity.first_success_unix) status.first_success = time(*activity.first_success_unix);
  if (activity.last_change_unix) {
    status.last_change = time(*activity.last_change_unix);
    status.rows_last_change = activity.rows_last_change;
  }
}

}  // namespace ferry::collector
