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
#include <sys/types.h>

namespace ferry::app {

// A signal taken by AgentSignals::wait(), and who sent it when another process did (kill(2),
// `systemctl reload`): what the kernel recorded. The agent's own wake_for_reload() has no sender.
struct ReceivedSignal {
  int number = 0;
  std::optional<uid_t> sender_uid;
  std::optional<pid_t> sender_pid;
};

class AgentSignals {
 public:
  // Blocks SIGINT, SIGTERM and SIGHUP in the calling thread; restore() puts the old mask back.
  void block();
  // Takes whatever signals came meanwhile (a second Ctrl-C while the uplink closed: once
  // unblocked, it would kill the process before it finishes cleanly), then unblocks them.
  void restore();
  // The next signal, or nullopt when `timeout` passed first (or a wait was interrupted).
  std::optional<ReceivedSignal> wait(std::chrono::milliseconds timeout);
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
