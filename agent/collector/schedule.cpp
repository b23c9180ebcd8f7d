#include "agent/collector/schedule.hpp"

#include <algorithm>

namespace ferry::collector {

WallClock::time_point next_run(const config::Schedule& schedule,
                               std::optional<WallClock::time_point> last_start,
                               WallClock::time_point now) {
  if (schedule.kind == config::Schedule::Kind::kCron) return schedule.cron_spec.next_after(now);
  if (!last_start) return now;
  const auto every = std::chrono::duration_cast<WallClock::duration>(schedule.every);
  return std::max(now, *last_start + every);
}

}  // namespace ferry::collector
