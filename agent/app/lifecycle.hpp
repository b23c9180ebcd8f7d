// What a service manager hears of the agent's life: the seam where systemd (sd_notify READY=1,
// STATUS=, RELOADING=1, STOPPING=1, WATCHDOG=1) and the Windows service (SetServiceStatus) hook in,
// without the start-up steps knowing either. Every method has a no-op default; an implementation
// overrides what its manager understands.
//
// Threads: every call comes from the thread that runs app::Daemon (the main thread; ServiceMain's
// thread in the Windows service), in the order the comments give: starting() per step, then
// ready(), then any number of reloading()/reloaded() pairs, alive() and status() calls, then
// stopping() once, and failed() when the run ends with an error.
#pragma once

#include <chrono>
#include <string_view>

namespace ferry::app {

class Lifecycle {
 public:
  virtual ~Lifecycle() = default;
  // A start-up step begins ("open the spool"); also a shutdown step ("stop the control socket").
  virtual void starting(std::string_view step) { (void)step; }
  // Every start-up step is done: the control socket listens and the sources are scheduled.
  virtual void ready() {}
  // A reload (SIGHUP or a `reload` request) begins, and how it ended; the agent runs either way.
  virtual void reloading() {}
  virtual void reloaded(bool applied, std::string_view message) {
    (void)applied;
    (void)message;
  }
  // The agent begins to stop (SIGTERM, SIGINT, or a start-up step that failed).
  virtual void stopping() {}
  // `ferry run` failed: what it printed (the configuration's problems, the step that failed and
  // why). On a terminal or under systemd stderr has it already; the Windows service, which has no
  // stderr, writes it to the Event Log.
  virtual void failed(std::string_view message) { (void)message; }
  // How often alive() must be called while the agent runs (say half of systemd's WatchdogSec);
  // zero: never.
  virtual std::chrono::milliseconds watchdog_interval() const { return {}; }
  // Every loop of the agent answered its liveness probe (Generation::stuck_loop).
  virtual void alive() {}
  // How often the running agent sends status(); zero: never.
  virtual std::chrono::milliseconds status_interval() const { return {}; }
  // One line on how the agent is doing (service_status_line), for `systemctl status`.
  virtual void status(std::string_view line) { (void)line; }
};

// The Lifecycle of `ferry run` in a terminal: nothing to tell anyone.
inline Lifecycle& quiet_lifecycle() {
  static Lifecycle quiet;
  return quiet;
}

}  // namespace ferry::app
