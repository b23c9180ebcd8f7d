// The log's options as the configuration gives them (agent.log), for the agent (`ferry run` and
// its reloads): without agent.log.file, and unless a service manager takes the log (the journal
// under systemd), the agent writes to <data_dir>/logs/ferry.log (kDefaultLogFolder). One-shot
// commands (`ferry sync`) print their own summary and write to agent.log.file only: they clear
// default_file (two processes rotating one file would lose lines, and a command run as root would
// leave files there the agent's account cannot write).
#pragma once

#include "common/config/settings.hpp"
#include "common/log/log.hpp"

namespace ferry::app {

// The folder of the default log file, inside the data_dir.
inline constexpr const char* kDefaultLogFolder = "logs";

log::LogOptions log_options(const config::Settings& settings);

}  // namespace ferry::app
