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

// Reads and validates the whole file, reporting every problem at once (in file order), never just
// the first. A file that yields any diagnostic yields no Settings: nothing half-valid starts.
tl::expected<Settings, Diagnostics> load_config(const std::filesystem::path& file,
                                                const Catalog& catalog);

// The same from text already in memory; `file` is used only in messages.
tl::expected<Settings, Diagnostics> load_config_text(std::string_view yaml,
                                                     const std::filesystem::path& file,
                                                     const Catalog& catalog);

}  // namespace ferry::config
