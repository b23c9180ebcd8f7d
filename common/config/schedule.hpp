// `schedule:` of a source: "every DURATION" or a cron expression (see cron.hpp).
#pragma once

#include <string_view>

#include "common/config/settings.hpp"
#include "common/error/error.hpp"

namespace ferry::config {

// The shortest interval `every` accepts: polling faster than this is a mistake, not a schedule.
inline constexpr Duration kMinimumEvery = std::chrono::seconds(1);

// Parses "every 15m" (at least kMinimumEvery), a 5-field cron expression or a cron macro.
Result<Schedule> parse_schedule(std::string_view text);

}  // namespace ferry::config
