// The Lifecycle that systemd hears (a unit with Type=notify, WatchdogSec=): sd_notify messages
// READY=1, STATUS=, RELOADING=1, STOPPING=1 and WATCHDOG=1 (docs/install-linux.md,
// packaging/linux/ferry.service). Built with libsystemd on Linux (FERRY_WITH_SYSTEMD); elsewhere,
// and when the agent was not started by systemd, there is none.
#pragma once

#include <memory>

#include "agent/app/lifecycle.hpp"

namespace ferry::app {

// Null unless this build has libsystemd and NOTIFY_SOCKET is set (systemd started `ferry run`
// as a Type=notify service).
std::unique_ptr<Lifecycle> systemd_lifecycle();

}  // namespace ferry::app
