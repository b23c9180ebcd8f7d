// Where `ferry run` runs and who hears of its life: the seam between the agent and the system's
// service manager, one file per system.
//  - Linux (service_host_posix.cpp): under systemd (a Type=notify unit) the agent runs with the
//    systemd Lifecycle (systemd_lifecycle.hpp); in a terminal or under another supervisor, with
//    none.
//  - Windows (service_host_windows.cpp): started by the service control manager as the service
//    Ferry (`ferry service install`, the MSI), the agent runs in ServiceMain with the service's
//    Lifecycle: SERVICE_START_PENDING with a checkpoint per start-up step, SERVICE_RUNNING once
//    ready, SERVICE_STOP_PENDING with a checkpoint per shutdown step, SERVICE_STOPPED with the
//    exit code (1 is a failure, for the service's restart-on-failure actions; 2, a configuration
//    that does not work, is told as a stop without error, so that nothing restarts it); STOP,
//    SHUTDOWN and PRESHUTDOWN stop it, PARAMCHANGE reloads its configuration; the Event Log hears
//    of the start, the stop, and a failure to start. In a console (`ferry run` for debugging) it
//    runs with none, as on Linux.
//
// Threads: run_hosted() on the main thread. On Windows the agent then runs on ServiceMain's
// thread while the main thread dispatches the service manager's controls.
#pragma once

#include <functional>

#include "agent/app/lifecycle.hpp"

namespace ferry::app {

struct Host {
  Lifecycle& lifecycle;
  // Run by the Windows service control manager: there is no console, so the log goes to the
  // Event Log and a file (log::StderrStyle::kEventLog) and what `ferry run` would print on
  // failure goes to lifecycle.failed().
  bool windows_service = false;
};

// Runs `agent` under whichever host started this process; returns its exit code.
int run_hosted(const std::function<int(Host&)>& agent);

}  // namespace ferry::app
