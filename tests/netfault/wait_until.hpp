// Waiting on a condition in tests: poll it until it holds or a deadline passes, instead of
// sleeping a fixed time and hoping things have settled.
#pragma once

#include <chrono>
#include <thread>

namespace ferry::test {

// True as soon as `condition()` is; false if it still is not after `deadline`. `poll` is the
// pause between looks: longer for a condition that is costly to evaluate (one that starts a
// process), so the polling does not starve what it waits for.
template <class Condition>
bool wait_until(Condition condition,
                std::chrono::milliseconds deadline = std::chrono::milliseconds(5000),
                std::chrono::milliseconds poll = std::chrono::milliseconds(1)) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(poll);
  }
  return true;
}

}  // namespace ferry::test
