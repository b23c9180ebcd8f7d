#include "agent/uplink/backoff.hpp"

#include <algorithm>

namespace ferry::uplink {

Backoff::Backoff(Duration min_delay, Duration max_delay, std::uint64_t seed)
    : min_(min_delay), max_(std::max(min_delay, max_delay)), random_(seed) {}

Backoff::Duration Backoff::ceiling() const {
  // Doubling stops once the ceiling reaches max_ (and long before the count could overflow).
  Duration cap = min_;
  for (int i = 0; i < attempt_ && cap < max_; ++i) cap *= 2;
  return std::min(cap, max_);
}

Backoff::Duration Backoff::next() {
  const Duration cap = ceiling();
  if (attempt_ < 62) ++attempt_;
  std::uniform_int_distribution<std::int64_t> pick(0, cap.count());
  // Never quite zero: a tenant that is down must not be dialled in a tight loop.
  return std::max(Duration(pick(random_)), Duration(10));
}

}  // namespace ferry::uplink
