// The connector catalog the configuration tests load against: two source types and two presets,
// declared here so that these tests do not depend on the real connectors.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "common/config/catalog.hpp"
#include "common/config/load.hpp"

namespace ferry::config::test {

// A path the tests write the POSIX way ("/var/lib/ferry") as the configuration resolves it on this
// system: the same on Linux; on Windows, where it names no drive, on the drive of the
// configuration file `config_file` ("Z:\\var\\lib\\ferry").
inline std::filesystem::path native_path(std::string_view posix,
                                         const std::filesystem::path& config_file) {
  const auto drive = std::filesystem::absolute(config_file).root_name();
  return (drive / std::filesystem::path(posix)).lexically_normal();
}

inline Catalog test_catalog() {
  Catalog catalog;
  catalog.source_types.push_back(SourceTypeSpec{
      "oneroster_csv",
      "OneRoster 1.1 CSV export folder",
      {OptionSpec{"path", OptionKind::kPath, true, "the folder holding manifest.csv"}},
      {},
      true,  // a file source: path, or sftp
      {"oneroster"}});
  catalog.source_types.push_back(SourceTypeSpec{
      "sqlite",
      "rows of a SQLite database",
      {OptionSpec{"path", OptionKind::kPath, true, "the database file"}},
      {OptionSpec{"query", OptionKind::kString, false, "the SELECT that yields the rows"},
       OptionSpec{"cursor", OptionKind::kString, false, "the column to resume from"}},
      false});
  catalog.presets = {"oneroster", "clever"};
  return catalog;
}

// "ferry.yaml:LINE:COL: message" for each diagnostic, or {} when the text loads.
inline std::vector<std::string> diagnostics_of(std::string_view yaml, LoadOptions options = {}) {
  auto loaded = load_config_text(yaml, "ferry.yaml", test_catalog(), options);
  std::vector<std::string> lines;
  if (loaded) return lines;
  for (const Diagnostic& diagnostic : loaded.error()) lines.push_back(diagnostic.to_string());
  return lines;
}

}  // namespace ferry::config::test
