// What the logger asks of the system, one file per system (log_system_posix.cpp,
// log_system_windows.cpp; the Event Log in event_log_posix.cpp, event_log_windows.cpp). Internal
// to common/log.
#pragma once

#include <filesystem>
#include <string>

#include "common/error/error.hpp"
#include "common/log/event_log.hpp"

namespace ferry::log::detail {

// Whether stderr is systemd's journal stream (Linux; never on Windows).
bool stderr_is_journal();
// Whether stderr is a terminal (a console on Windows).
bool stderr_is_terminal();
// Makes the log file `name` when missing, readable by the owner and the agent's group (0640 on
// Linux; on Windows the owner-only access list), so that spdlog then opens it as it is.
void create_log_file(const std::string& name);
// Makes the default log folder (0750 on Linux; owner-only on Windows); one already there is fine.
// The error is the system's reason alone.
Result<void> create_log_folder(const std::filesystem::path& folder);
// Writes one event to the Windows Event Log (event_log_windows.cpp); nothing elsewhere
// (event_log_posix.cpp).
void write_system_event(Event event, std::string_view text);

}  // namespace ferry::log::detail
