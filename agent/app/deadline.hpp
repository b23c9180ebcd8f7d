// A stop_source requested when a deadline passes: for waits (Collector::run_once) that take a
// stop_token but no time limit.
//
// Threads: one thread of its own, joined by the destructor (or as soon as the deadline passed).
#pragma once

#include <chrono>
#include <stop_token>
#include <thread>

namespace ferry::app {

class StopAtDeadline {
 public:
  // Requests `stop` at `deadline`, unless this object goes first.
  StopAtDeadline(std::stop_source stop, std::chrono::steady_clock::time_point deadline);
  ~StopAtDeadline();
  StopAtDeadline(const StopAtDeadline&) = delete;
  StopAtDeadline& operator=(const StopAtDeadline&) = delete;

 private:
  std::jthread timer_;
};

}  // namespace ferry::app
