// When a source runs next, from its `schedule:` (see docs/configuration.md, "Schedules").
//
// `every D`: the first run when the agent starts, then D after the start of the previous run. A run
// that takes longer than D is followed at once by the next one; missed runs are not caught up in
// a burst. A cron schedule: the first matching minute (UTC) after the previous run ended, or after
// the start of the agent; a cron source does not run at start-up.
#pragma once

#include <chrono>
#include <optional>

#include "common/config/settings.hpp"

namespace ferry::collector {

using WallClock = std::chrono::system_clock;  // the time of env::Clock

// `last_start` is the start of the previous run (nullopt before the first); `now` is when the
// previous run ended, or the agent's start.
WallClock::time_point next_run(const config::Schedule& schedule,
                               std::optional<WallClock::time_point> last_start,
                               WallClock::time_point now);

}  // namespace ferry::collector
