// When a source counts as stale: its data has stopped changing (docs/operations.md, "When a
// source goes stale"). A run that reads nothing new succeeds, so last_success keeps moving while
// a school's export job is dead; what stops is the last change. One rule, used by `ferry status`,
// the metrics and `ferry check`, so that all three agree:
//
//   - no stale_after configured: never stale;
//   - a change seen: stale when now - last_change > stale_after;
//   - no change ever seen (an empty export, or a spool made before changes were recorded): stale
//     when now - first_success > stale_after, the first successful run standing in for the last
//     change; a source that never succeeded is not stale (its error says more).
//
// Pure functions of their arguments (the caller passes `now`): thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "agent/collector/source_status.hpp"
#include "agent/spool/source_states.hpp"

namespace ferry::collector {

// What staleness is measured from: the last change, else the first success; nullopt when neither.
std::optional<WallTime> unchanged_since(const SourceStatus& status);

bool is_stale(const SourceStatus& status, WallTime now);

// stale_after as people write it: "36h", "2d", "1h30m" (whole days as days, else whole hours as
// hours, else format_duration's form).
std::string format_stale_after(std::chrono::milliseconds stale_after);

// The spool's record of the source (kept across restarts) into `status`.
void apply_activity(const spool::SourceActivity& activity, SourceStatus& status);

}  // namespace ferry::collector
