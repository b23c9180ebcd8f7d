#include "common/http/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace ferry::http {

RateLimiter::RateLimiter(double rate, const env::Clock& clock)
    : rate_(rate),
      capacity_(std::max(1.0, rate)),
      tokens_(std::max(1.0, rate)),
      last_(clock.now()),
      clock_(clock) {}

void RateLimiter::refill(env::WallTime now) {
  if (now <= last_) {
    last_ = now;  // the wall clock went back (NTP): count from there, never wait for it
    return;
  }
  const double seconds = std::chrono::duration<double>(now - last_).count();
  tokens_ = std::min(capacity_, tokens_ + seconds * rate_);
  last_ = now;
}

std::chrono::milliseconds RateLimiter::wait_needed() {
  if (rate_ <= 0) return std::chrono::milliseconds(0);
  std::lock_guard lock(mutex_);
  refill(clock_.now());
  if (tokens_ >= 1.0) return std::chrono::milliseconds(0);
  return std::chrono::milliseconds(
      static_cast<std::int64_t>(std::ceil((1.0 - tokens_) / rate_ * 1000.0)));
}

bool RateLimiter::acquire(std::stop_token stop) {
  if (rate_ <= 0) return !stop.stop_requested();
  std::unique_lock lock(mutex_);
  for (;;) {
    if (stop.stop_requested()) return false;
    const env::WallTime now = clock_.now();
    refill(now);
    if (tokens_ >= 1.0) {
      tokens_ -= 1.0;
      return true;
    }
    const auto wait = std::chrono::duration_cast<env::WallTime::duration>(
        std::chrono::duration<double>((1.0 - tokens_) / rate_));
    clock_.wait_until(never_, lock, stop, now + wait, [] { return false; });
  }
}

}  // namespace ferry::http
