// A token bucket: at most `rate` requests a second on average, with bursts of up to one second's
// worth (at least one request). The client takes a token before each attempt.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stop_token>

#include "common/env/clock.hpp"

namespace ferry::http {

class RateLimiter {
 public:
  // rate <= 0: no limit.
  RateLimiter(double rate, const env::Clock& clock);

  // Waits (by the clock) until a token is there and takes it. False when `stop` came first.
  bool acquire(std::stop_token stop);

  // How long acquire() would wait now (zero when a token is there), for tests and status.
  std::chrono::milliseconds wait_needed();

 private:
  void refill(env::WallTime now);

  double rate_;
  double capacity_;
  double tokens_;
  env::WallTime last_;
  const env::Clock& clock_;
  std::mutex mutex_;
  std::condition_variable_any never_;  // nothing signals it: waits end by deadline or stop
};

}  // namespace ferry::http
