// The checks of `ferry check` that stay on this machine: the data directory (there or creatable,
// writable, free space), the key file (present, private, readable; exported since its last
// rotation, and not due for rotation: WARN lines), the control socket's folder
// (writable by its owner only), each source (the connector's own check). Each adds its lines to the
// report and never stops the others.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "agent/cli/check_report.hpp"
#include "common/config/settings.hpp"

namespace ferry::cli {

// Below this much free space on the data directory's disk the check fails whatever the spool
// limit: SQLite and the log need room too.
inline constexpr std::uint64_t kMinFreeBytes = 100ull * 1024 * 1024;

void check_data_dir(const config::Settings& settings, CheckReport& report);
// "key file", then, when it reads, "key backup" (WARN while no `ferry keys export` holds the
// active version) and, with agent.key_rotation_period, "key age" (WARN once older than that).
void check_key_file(const config::Settings& settings, CheckReport& report,
                    std::chrono::system_clock::time_point now = std::chrono::system_clock::now());
// The folder of agent.control_socket: writable by its owner only (control/socket_folder.hpp).
void check_control_socket(const config::Settings& settings, CheckReport& report);
void check_sources(const config::Settings& settings, CheckReport& report);
// Each source with stale_after: OK while its data changes, WARN once it has not changed for
// longer than that (collector/staleness.hpp), as the spool records it; read-only, safe while the
// agent runs.
void check_source_changes(const config::Settings& settings, CheckReport& report,
                          std::chrono::system_clock::time_point now);

// "78.3 GiB", "512 KiB", "17 bytes": for people, rounded.
std::string human_size(std::uint64_t bytes);

}  // namespace ferry::cli
