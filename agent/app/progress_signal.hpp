// Wakes threads that wait for the uplink's progress (acks, rejections, settled gaps, refused
// connections): `ferry sync` waiting for its spool to drain, and the agent answering a
// `sync_wait` request.
//
// Threads: notify() from any thread (the uplink's); wait() from any number of others.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <stop_token>

namespace ferry::app {

class ProgressSignal {
 public:
  void notify() {
    {
      std::lock_guard lock(mutex_);
      ++generation_;
    }
    cv_.notify_all();
  }

  // Waits until `done()` holds, re-checking it after each notify(); false when `stop` or the
  // `deadline` came first. `done` runs without the lock held, so it may take its own.
  template <class Predicate>
  bool wait(std::stop_token stop, std::chrono::steady_clock::time_point deadline, Predicate done) {
    std::unique_lock lock(mutex_);
    for (;;) {
      const std::uint64_t seen = generation_;
      lock.unlock();
      if (done()) return true;
      lock.lock();
      if (!cv_.wait_until(lock, stop, deadline, [&] { return generation_ != seen; })) {
        return false;
      }
    }
  }

 private:
  std::mutex mutex_;
  std::condition_variable_any cv_;
  std::uint64_t generation_ = 0;
};

}  // namespace ferry::app
