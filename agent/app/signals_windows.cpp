#include "agent/app/signals.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>

#include <windows.h>

#include "agent/app/signals_windows.hpp"

namespace ferry::app {
namespace {

// How long a console's closing, a logoff or a shutdown waits for the agent to stop cleanly:
// Windows ends the process when the handler returns, and gives it 5 s at most.
constexpr auto kCloseGrace = std::chrono::milliseconds(4500);

// What the console control handler (on a thread Windows starts for each event) hands to wait().
struct Queue {
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<ReceivedSignal> signals;  // guarded by mutex
  bool taking = false;                 // guarded by mutex: between block() and restore()
};

// The handler is a plain function: it finds the queue here. One AgentSignals blocks at a time.
Queue& queue() {
  static Queue the_queue;
  return the_queue;
}

BOOL WINAPI on_console_event(DWORD event) {
  std::string_view name;
  switch (event) {
    case CTRL_C_EVENT:
      name = "Ctrl-C";
      break;
    case CTRL_BREAK_EVENT:
      name = "Ctrl-Break";
      break;
    case CTRL_CLOSE_EVENT:
      name = "the console closing";
      break;
    case CTRL_LOGOFF_EVENT:
    case CTRL_SHUTDOWN_EVENT:
      name = "the system shutting down";
      break;
    default:
      return FALSE;
  }
  Queue& signals = queue();
  std::unique_lock lock(signals.mutex);
  if (!signals.taking) return FALSE;  // the default: the process ends
  signals.signals.push_back(ReceivedSignal{ReceivedSignal::Asks::kStop, name, {}, {}});
  signals.changed.notify_all();
  if (event != CTRL_C_EVENT && event != CTRL_BREAK_EVENT) {
    // Returning ends the process: give the agent the time to stop cleanly first.
    signals.changed.wait_for(lock, kCloseGrace, [&] { return !signals.taking; });
  }
  return TRUE;
}

}  // namespace

struct AgentSignals::State {
  bool blocked = false;
};

AgentSignals::AgentSignals() : state_(std::make_unique<State>()) {}
AgentSignals::~AgentSignals() { restore(); }

void AgentSignals::block() {
  if (state_->blocked) return;
  {
    std::lock_guard lock(queue().mutex);
    queue().signals.clear();
    queue().taking = true;
  }
  ::SetConsoleCtrlHandler(on_console_event, TRUE);
  state_->blocked = true;
}

void AgentSignals::restore() {
  if (!state_->blocked) return;
  ::SetConsoleCtrlHandler(on_console_event, FALSE);
  std::lock_guard lock(queue().mutex);
  queue().signals.clear();
  queue().taking = false;
  queue().changed.notify_all();
  state_->blocked = false;
}

std::optional<ReceivedSignal> AgentSignals::wait(std::chrono::milliseconds timeout) {
  Queue& signals = queue();
  std::unique_lock lock(signals.mutex);
  if (!signals.changed.wait_for(lock, timeout, [&] { return !signals.signals.empty(); })) {
    return std::nullopt;
  }
  ReceivedSignal received = signals.signals.front();
  signals.signals.pop_front();
  return received;
}

void post_service_control(const ReceivedSignal& signal) {
  Queue& signals = queue();
  std::lock_guard lock(signals.mutex);
  if (!signals.taking) return;
  signals.signals.push_back(signal);
  signals.changed.notify_all();
}

void AgentSignals::wake_for_reload() const {
  Queue& signals = queue();
  std::lock_guard lock(signals.mutex);
  signals.signals.push_back(
      ReceivedSignal{ReceivedSignal::Asks::kReload, "a reload request", {}, {}});
  signals.changed.notify_all();
}

}  // namespace ferry::app
