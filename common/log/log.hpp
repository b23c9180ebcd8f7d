// Logging set-up. One process-wide set of sinks (stderr, and optionally a size-rotated file) shared
// by named loggers, one per component ("uplink", "spool", ...).
//
// Where the file is: `file` when set; otherwise `default_file` (the agent's <data_dir>/logs/
// ferry.log), unless a service manager takes the log (under systemd, stderr is the journal), and
// otherwise none. The file is created 0640 and a default file's folder 0750 (a stricter umask
// wins); it is rotated at max_size, keeping max_files files, and files whose last line is older
// than max_age are removed (at set-up, then at most hourly as lines are written).
//
// stderr format depends on where it goes: a terminal gets short coloured lines; under systemd
// (JOURNAL_STREAM names stderr's device and inode) each line starts with a syslog priority
// prefix "<6>" that journald reads as the level, and no time stamp (journald adds its own);
// otherwise plain lines with a UTC time stamp. The file always gets full UTC time stamps.
//
// Log lines carry event phrases, counts, names and tokens; never row values or secrets.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

#include "common/error/error.hpp"

namespace ferry::log {

struct LogOptions {
  std::string level = "info";
  std::optional<std::filesystem::path> file;
  // Used when `file` is unset and no service manager takes the log; its folder is created (0750)
  // when the folder above it exists. nullopt: no file unless `file` is set.
  std::optional<std::filesystem::path> default_file;
  std::uint64_t max_size = 10ull * 1024 * 1024;
  int max_files = 10;
  std::chrono::milliseconds max_age = std::chrono::hours(24 * 90);
};

// kEventLog: the Windows service, which has no stderr: warnings and errors go to the Event Log
// (event_log.hpp) as well as to the file, which is kept as without a service manager.
enum class StderrStyle { kAuto, kTerminal, kJournal, kPlain, kOff, kEventLog };

// Parses "trace", "debug", "info", "warn", "error", "critical", "off".
Result<spdlog::level::level_enum> parse_level(std::string_view name);

// Replaces the process's sinks. Safe to call again (on reload); loggers made before keep working.
Result<void> setup(const LogOptions& options, StderrStyle style = StderrStyle::kAuto);

// The logger of one component, sharing the sinks set up above. Thread-safe.
std::shared_ptr<spdlog::logger> get(std::string_view component);

// The style the last setup() was given (kAuto before any): what a reload passes to setup() again,
// so that the Windows service keeps its Event Log.
StderrStyle current_style();

// The file the last setup() writes to; nullopt when none (stderr or the journal only).
std::optional<std::filesystem::path> current_file();

// Whether a service manager takes this process's log, so that no default file is needed: under
// systemd, stderr is the journal (`style` resolved kJournal). Not the Windows service: its
// warnings and errors go to the Event Log and, as SPEC section 3 says, every line to a file.
bool service_manager_takes_log(StderrStyle style);

// Removes the log files of `file` (it and its rotated copies: ferry.log, ferry.1.log, ...) whose
// last line (modification time) is older than `max_age` at `now`. Returns how many it removed;
// a file it cannot remove is left for the next time.
std::size_t remove_old_logs(const std::filesystem::path& file, std::chrono::milliseconds max_age,
                            std::chrono::system_clock::time_point now);

}  // namespace ferry::log
