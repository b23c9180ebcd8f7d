// Loading and validating the configuration file (SPEC section 3).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <tl/expected.hpp>

#include "common/config/catalog.hpp"
#include "common/config/settings.hpp"

namespace ferry::config {

// One problem found in a file, printed as "FILE:LINE:COL: message".
struct Diagnostic {
  std::filesystem::path file;
  Location at;
  std::string message;

  std::string to_string() const;
};

using Diagnostics = std::vector<Diagnostic>;

struct LoadOptions {
  // False for commands that only talk to the running agent over its control socket (`ferry
  // status`), which a member of the agent's group may run without being able to read the agent's
  // secrets: uplink.token_file and uplink.client_key are then neither opened nor checked. Their
  // paths are kept; uplink.token is left empty when it would come from token_file.
  bool read_secret_files = true;
  // True for `ferry check` only: an `sftp:` source with neither host_key nor known_hosts is
  // loaded, so that check can show the key the server offers. Every other command refuses it.
  bool allow_unpinned_host_keys = false;
};

// Reads and validates the whole file, reporting every problem at once (in file order), never just
// the first. A file that yields any diagnostic yields no Settings: nothing half-valid starts.
tl::expected<Settings, Diagnostics> load_config(const std::filesystem::path& file,
                                                const Catalog& catalog, LoadOptions options = {});

// The same from text already in memory; `file` is used only in messages.
tl::expected<Settings, Diagnostics> load_config_text(std::string_view yaml,
                                                     const std::filesystem::path& file,
                                                     const Catalog& catalog,
                                                     LoadOptions options = {});

}  // namespace ferry::config
