// The parts of `ferry diagnose` that ask the system, one file per system:
// diagnose_system_posix.cpp (uname, /etc/os-release, lstat, the journal),
// diagnose_system_windows.cpp (the registry's Windows version, the file's attributes).
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

namespace ferry::cli {

// "kernel ...\nos ...\n": the system the agent runs on.
std::string system_versions();

// One line of the data_dir's listing: type, mode, owner, size and path; never the content.
std::string file_line(const std::filesystem::path& path);

// The agent's last `count` log lines from the service manager (the journal), or why there are
// none, for an agent that writes no log file.
std::string service_log(std::size_t count);

}  // namespace ferry::cli
