// What the agent hands every connector besides its settings: where to log, what time it is, where
// to keep temporary files, and (with the API sources) the shared network services. A connector
// reaches the outside world only through this and its settings, so tests can drive each part.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <spdlog/logger.h>

#include "common/env/clock.hpp"
#include "common/env/file_system.hpp"

namespace ferry::connectors {

// Outbound HTTP for API sources: one client, its proxy and CA settings. Filled in by the
// API-sources work; null until then, and for sources that need no network.
class NetworkServices;

// Fields of an audit entry: names and values that are never row values or secrets.
using AuditFields = std::vector<std::pair<std::string, std::string>>;

struct SourceContext {
  // The source's own logger ("source.<name>"): counts, names and locations, never row values.
  std::shared_ptr<spdlog::logger> log;
  // Time for anything the source schedules or times out (token expiry, retry-after).
  const env::Clock* clock = &env::system_clock();
  // For the source's files in scratch_dir (downloads, spill files).
  const env::FileSystem* file_system = &env::real_file_system();
  // <data_dir>/scratch/<source name>/: created for the source, private to it (mode 0700), and
  // emptied when the agent starts. For downloads and spill files; never for state that must
  // survive (that goes to the resume state).
  std::filesystem::path scratch_dir;
  // The agent's data_dir: besides the running user, the owner trusted with a secret file the
  // source reads itself (a database's password_file) when root runs Ferry. Empty where unknown.
  std::filesystem::path service_dir;
  std::shared_ptr<NetworkServices> network;
  // Records a security event of the source's (an SFTP server's host key refused) in the agent's
  // audit log (docs/audit.md), with the source's name added; unset where there is none to write
  // (preview, check). May be called from the source's worker thread.
  std::function<void(std::string_view event, const AuditFields& fields)> audit;
};

}  // namespace ferry::connectors
