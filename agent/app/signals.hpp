// What stops the agent and what reloads it, from outside the process.
// POSIX: SIGINT and SIGTERM stop it, SIGHUP reloads its configuration. They are blocked in every
// thread and taken by wait() on the thread that blocked them (the main thread), so no code runs
// in a signal handler. Threads started after block() inherit the mask (signals_posix.cpp).
// Windows: Ctrl-C, Ctrl-Break and closing the console stop it (a console control handler queues
// them for wait()); there is no reload signal: `ferry reload` asks over the control channel
// (signals_windows.cpp).
//
// Threads: block(), wait(), restore() on one thread; wake_for_reload() from any thread.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string_view>

#include "common/env/user.hpp"

namespace ferry::app {

// A stop or reload taken by AgentSignals::wait(), and who sent it when another process did
// (kill(2), `systemctl reload`): what the kernel recorded. The agent's own wake_for_reload() and
// a terminal's Ctrl-C have no sender.
struct ReceivedSignal {
  enum class Asks { kStop, kReload };
  Asks asks = Asks::kStop;
  std::string_view name;  // "SIGTERM", "SIGHUP", "Ctrl-C", ...
  std::optional<env::UserId> sender_uid;
  std::optional<env::ProcessId> sender_pid;
};

class AgentSignals {
 public:
  AgentSignals();
  ~AgentSignals();
  AgentSignals(const AgentSignals&) = delete;
  AgentSignals& operator=(const AgentSignals&) = delete;

  // Takes the stop and reload signals in the calling thread; restore() gives them back.
  void block();
  // Takes whatever signals came meanwhile (a second Ctrl-C while the uplink closed: once
  // unblocked, it would kill the process before it finishes cleanly), then gives them back.
  void restore();
  // The next signal, or nullopt when `timeout` passed first (or a wait was interrupted).
  std::optional<ReceivedSignal> wait(std::chrono::milliseconds timeout);
  // Wakes wait() with a reload: a `reload` request is done on the waiting thread.
  void wake_for_reload() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace ferry::app
