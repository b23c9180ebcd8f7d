// Logging set-up. One process-wide set of sinks (stderr, and optionally a size-rotated file) shared
// by named loggers, one per component ("uplink", "spool", ...).
//
// stderr format depends on where it goes: a terminal gets short coloured lines; under systemd
// (JOURNAL_STREAM names stderr's device and inode) each line starts with a syslog priority
// prefix "<6>" that journald reads as the level, and no time stamp (journald adds its own);
// otherwise plain lines with a UTC time stamp. The file always gets full UTC time stamps.
//
// Log lines carry event phrases, counts, names and tokens; never row values or secrets.
#pragma once

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
  std::uint64_t max_size = 10ull * 1024 * 1024;
  int max_files = 10;
};

enum class StderrStyle { kAuto, kTerminal, kJournal, kPlain, kOff };

// Parses "trace", "debug", "info", "warn", "error", "critical", "off".
Result<spdlog::level::level_enum> parse_level(std::string_view name);

// Replaces the process's sinks. Safe to call again (on reload); loggers made before keep working.
Result<void> setup(const LogOptions& options, StderrStyle style = StderrStyle::kAuto);

// The logger of one component, sharing the sinks set up above. Thread-safe.
std::shared_ptr<spdlog::logger> get(std::string_view component);

}  // namespace ferry::log
