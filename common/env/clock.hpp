// The clock seam: every wait on wall-clock time in the agent's scheduling goes through a Clock, so
// that tests drive time instead of sleeping (LevelDB's Env is the model). SystemClock is the real
// one; tests use FakeClock (tests/support/fake_clock.hpp), which moves only when told to.
//
// Threads: both are safe to use from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <stop_token>

namespace ferry::env {

using WallTime = std::chrono::system_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;

  virtual WallTime now() const = 0;

  // Waits on `cv` (the caller holds `lock`, as with condition_variable_any) until `done()` holds,
  // `deadline` passes by this clock, or `stop` is requested. Returns done(). Whoever makes
  // done() true notifies `cv` while holding, or after releasing, `lock`'s mutex.
  virtual bool wait_until(std::condition_variable_any& cv, std::unique_lock<std::mutex>& lock,
                          std::stop_token stop, WallTime deadline,
                          const std::function<bool()>& done) const = 0;
};

class SystemClock final : public Clock {
 public:
  WallTime now() const override { return std::chrono::system_clock::now(); }
  bool wait_until(std::condition_variable_any& cv, std::unique_lock<std::mutex>& lock,
                  std::stop_token stop, WallTime deadline,
                  const std::function<bool()>& done) const override {
    return cv.wait_until(lock, stop, deadline, done);
  }
};

// The process's real clock.
const Clock& system_clock();

}  // namespace ferry::env
