// A Clock for tests: time stands still until advance() or set() moves it, and then every wait
// whose deadline has come returns. Lets a test run the scheduler through hours in microseconds,
// and say exactly when a retry is due, without sleeping.
//
// Waiters register the condition variable and mutex they wait with; advance() takes each waiter's
// mutex before notifying, so a wake-up can never slip in between a waiter's check and its wait.
// A condition variable given to wait_until must outlive the FakeClock's last advance().
#pragma once

#include <algorithm>
#include <mutex>
#include <utility>
#include <vector>

#include "common/env/clock.hpp"

namespace ferry::test {

class FakeClock final : public env::Clock {
 public:
  explicit FakeClock(env::WallTime start) : now_(start) {}

  env::WallTime now() const override {
    std::lock_guard lock(mutex_);
    return now_;
  }

  bool wait_until(std::condition_variable_any& cv, std::unique_lock<std::mutex>& lock,
                  std::stop_token stop, env::WallTime deadline,
                  const std::function<bool()>& done) const override {
    const Waiter waiter{&cv, lock.mutex()};
    {
      std::lock_guard guard(mutex_);
      waiters_.push_back(waiter);
    }
    cv.wait(lock, stop, [&] { return done() || now() >= deadline; });
    {
      std::lock_guard guard(mutex_);
      waiters_.erase(std::find(waiters_.begin(), waiters_.end(), waiter));
    }
    return done();
  }

  void set(env::WallTime time) {
    std::vector<Waiter> waiting;
    {
      std::lock_guard guard(mutex_);
      now_ = time;
      waiting = waiters_;
    }
    for (const Waiter& waiter : waiting) {
      { std::lock_guard taken(*waiter.mutex); }
      waiter.cv->notify_all();
    }
  }

  void advance(env::WallTime::duration by) { set(now() + by); }

  // How many threads wait on this clock now (a test waits for a worker to be idle).
  std::size_t waiting() const {
    std::lock_guard guard(mutex_);
    return waiters_.size();
  }

 private:
  struct Waiter {
    std::condition_variable_any* cv;
    std::mutex* mutex;
    bool operator==(const Waiter&) const = default;
  };

  mutable std::mutex mutex_;
  env::WallTime now_;
  mutable std::vector<Waiter> waiters_;
};

}  // namespace ferry::test
