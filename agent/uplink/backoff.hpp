// Re-dial delays: exponential with full jitter. Attempt n waits a random time between 0 and
// min(max_delay, min_delay * 2^n); reset() starts the series again after a connection that held.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace ferry::uplink {

class Backoff {
 public:
  using Duration = std::chrono::milliseconds;
  Backoff(Duration min_delay, Duration max_delay, std::uint64_t seed);

  Duration next();
  void reset() { attempt_ = 0; }
  int attempt() const { return attempt_; }
  // The upper bound of the next delay (for messages: "retrying within 8s").
  Duration ceiling() const;

 private:
  Duration min_;
  Duration max_;
  int attempt_ = 0;
  std::mt19937_64 random_;
};

}  // namespace ferry::uplink
