#include "agent/app/deadline.hpp"

#include <condition_variable>
#include <mutex>

namespace ferry::app {

StopAtDeadline::StopAtDeadline(std::stop_source stop,
                               std::chrono::steady_clock::time_point deadline)
    : timer_([stop, deadline](std::stop_token done) mutable {
        std::mutex mutex;
        std::condition_variable_any cv;
        std::unique_lock lock(mutex);
        if (!cv.wait_until(lock, done, deadline, [] { return false; }) && !done.stop_requested()) {
          stop.request_stop();
        }
      }) {}

StopAtDeadline::~StopAtDeadline() {
  timer_.request_stop();
  timer_.join();
}

}  // namespace ferry::app
