// The signals the agent answers: SIGINT and SIGTERM stop it, SIGHUP reloads its configuration.
// They are blocked in every thread and taken by wait() on the thread that blocked them (the main
// thread), so no code runs in a signal handler. Threads started after block() inherit the mask.
//
// Threads: block(), wait(), restore() on one thread; wake_for_reload() from any thread.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include <pthread.h>
#include <signal.h>

namespace ferry::app {

class AgentSignals {
 public:
  // Blocks SIGINT, SIGTERM and SIGHUP in the calling thread; restore() puts the old mask back.
  void block();
  // Takes whatever signals came meanwhile (a second Ctrl-C while the uplink closed: once
  // unblocked, it would kill the process before it finishes cleanly), then unblocks them.
  void restore();
  // The next signal, or nullopt when `timeout` passed first (or a wait was interrupted).
  std::optional<int> wait(std::chrono::milliseconds timeout);
  // Raises SIGHUP at the blocking thread: a `reload` request is done there.
  void wake_for_reload() const;

 private:
  bool blocked_ = false;
  sigset_t signals_{};
  sigset_t previous_{};
  pthread_t thread_{};
};

// "SIGINT", "SIGTERM", "SIGHUP", else "a signal".
std::string_view signal_name(int signal);

}  // namespace ferry::app
