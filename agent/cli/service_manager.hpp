// `ferry service install|uninstall|start|stop` asks the system's service manager: the Windows
// service control manager (service_manager_windows.cpp). Linux has no counterpart: the package
// installs the systemd unit, and systemctl starts and stops it (service_manager_posix.cpp says so).
//
// The service (Windows): named Ferry ("Ferry data agent"), its own process, running
// `"<ferry.exe>" run -c "<config>"` as the virtual account NT SERVICE\Ferry; automatic start,
// delayed; on failure restarted after 10 s, 30 s, then every 60 s (the count reset after a day
// without failure), also when the agent exits with an error rather than crashing; 30 s to stop at
// a shutdown (PRESHUTDOWN); only SeChangeNotifyPrivilege; the Event Log source Ferry registered
// with ferry.exe as its message file.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "common/error/error.hpp"

namespace ferry::cli {

struct ServiceSettings {
  std::filesystem::path program;  // ferry.exe, absolute
  std::filesystem::path config;   // absolute
};

// What the service manager knows of the service.
struct ServiceState {
  bool installed = false;
  std::string state;         // "running", "stopped", "start pending", ...
  std::string command_line;  // as registered
  std::string account;
};

// This program's own path (GetModuleFileNameW; /proc/self/exe).
Result<std::filesystem::path> this_program();

struct InstallReport {
  // Settings this service manager does not know, left out (Wine's lacks some; Windows' has all).
  std::vector<std::string> skipped;
};

// kAlreadyExists when installed already; kPermission when not elevated (the fix says how).
Result<InstallReport> install_service(const ServiceSettings& settings);
// Stops it first when it runs (within `deadline`). kNotFound when not installed.
Result<void> uninstall_service(std::chrono::milliseconds deadline);
// Returns once the service runs; kUnavailable when it stopped instead (its exit code and where to
// read why) or was still starting at `deadline`.
Result<void> start_service(std::chrono::milliseconds deadline);
// Returns once the service has stopped (at once when it was not running).
Result<void> stop_service(std::chrono::milliseconds deadline);
Result<ServiceState> query_service();

}  // namespace ferry::cli
