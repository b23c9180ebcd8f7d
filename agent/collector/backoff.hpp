// When a source that failed is tried again. Each class of failure has its own rule: what may pass
// by itself (a network outage, a lock) is retried soon and then less and less often; what needs a
// person (credentials, a broken export, the settings) waits longer, and never past the source's
// next scheduled run; a source that asked us to slow down is never tried sooner than its rule.
//
//   class         first retry   doubling up to   never later than the schedule
//   unavailable   30 s          30 min           no
//   rate_limited  1 min         1 h              no
//   internal      1 min         1 h              no
//   auth          5 min         6 h              yes
//   bad_data      5 min         6 h              yes
//   config        5 min         6 h              yes
#pragma once

#include <cstdint>

#include "agent/collector/source_status.hpp"

namespace ferry::collector {

// The next attempt after the `failures`-th failure in a row (1 for the first), which ended at
// `ended`; `scheduled` is when the source's schedule would run it next.
WallTime retry_at(FailureClass failure, std::uint32_t failures, WallTime ended, WallTime scheduled);

}  // namespace ferry::collector
