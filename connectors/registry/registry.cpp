#include "connectors/registry/registry.hpp"

namespace ferry::connectors {
namespace {

using config::OptionKind;

// Option tables, as data. The connectors themselves arrive with the pipeline; their tables are
// declared here first so that configurations can be validated against them.
config::SourceTypeSpec oneroster_csv_spec() {
  return {.type = "oneroster_csv",
          .description = "OneRoster 1.1/1.2 CSV export: a folder or a .zip with manifest.csv",
          .options = {{"path", OptionKind::kPath, true, "folder or .zip holding manifest.csv"}},
          .stream_options = {}};
}

config::SourceTypeSpec sqlite_spec() {
  return {
      .type = "sqlite",
      .description = "SQLite database file, read with one query per stream",
      .options = {{"path", OptionKind::kPath, true, "the database file"}},
      .stream_options = {{"query", OptionKind::kString, false, "SELECT with a :cursor parameter"},
                         {"cursor", OptionKind::kString, false, "column the cursor follows"}}};
}

config::Catalog build_catalog() {
  config::Catalog catalog;
  catalog.source_types = {oneroster_csv_spec(), sqlite_spec()};
  catalog.presets = {};  // "oneroster" arrives with the OneRoster connector
  return catalog;
}

}  // namespace

const config::Catalog& catalog() {
  static const config::Catalog instance = build_catalog();
  return instance;
}

}  // namespace ferry::connectors
