#include "connectors/registry/registry.hpp"

#include <algorithm>

#include "common/config/overlay.hpp"
#include "common/log/log.hpp"
#include "connectors/canvas/canvas.hpp"
#include "connectors/canvas/streams.hpp"
#include "connectors/csv/csv.hpp"
#include "connectors/csv/presets.hpp"
#include "connectors/edfi/edfi.hpp"
#include "connectors/edfi/resources.hpp"
#include "connectors/oneroster_csv/oneroster_csv.hpp"
#include "connectors/oneroster_rest/oneroster_rest.hpp"
#include "connectors/sql/moodle.hpp"
#include "connectors/sql/sql.hpp"
#include "connectors/sqlite_query/sqlite_query.hpp"

namespace ferry::connectors {
namespace {

// The list. One line per connector.
std::vector<ConnectorEntry> build_connectors() {
  return {
      {oneroster_csv::spec(), &oneroster_csv::create},
      {oneroster_rest::spec(), &oneroster_rest::create},
      {edfi::spec(), &edfi::create},
      {canvas::spec(), &canvas::create},
      {csv::spec(), &csv::create},
      {sqlite_query::spec(), &sqlite_query::create},
      {sql::spec(), &sql::create},
  };
}

std::vector<PresetEntry> build_presets() {
  return {
      {"oneroster", &oneroster::preset_streams},
      {"clever", &csv::clever_streams},
      {"sds", &csv::sds_streams},
      {"edfi", &edfi::preset_streams},
      {"canvas", &canvas::preset_streams},
      {"moodle", &sql::moodle_preset_streams},
  };
}

config::Catalog build_catalog() {
  config::Catalog catalog;
  for (const auto& entry : connectors()) catalog.source_types.push_back(entry.spec);
  for (const auto& preset : presets()) catalog.presets.push_back(preset.name);
  return catalog;
}

}  // namespace

const std::vector<ConnectorEntry>& connectors() {
  static const std::vector<ConnectorEntry> list = build_connectors();
  return list;
}

const std::vector<PresetEntry>& presets() {
  static const std::vector<PresetEntry> list = build_presets();
  return list;
}

const config::Catalog& catalog() {
  static const config::Catalog instance = build_catalog();
  return instance;
}

Result<std::unique_ptr<Source>> create_source(const config::SourceSettings& settings,
                                              const SourceContext& context) {
  for (const auto& entry : connectors()) {
    if (entry.spec.type == settings.type && entry.create != nullptr) {
      return entry.create(settings, context);
    }
  }
  return make_error(ErrorCode::kConfig, "source '{}': no connector for type '{}' in this build",
                    settings.name, settings.type);
}

SourceContext inspection_context(const config::SourceSettings& settings,
                                 const std::filesystem::path& data_dir) {
  SourceContext context;
  context.log = log::get("source." + settings.name);
  context.service_dir = data_dir;
  return context;
}

std::vector<config::StreamSettings> effective_streams(const config::SourceSettings& settings) {
  std::vector<config::StreamSettings> streams;
  if (settings.preset) {
    for (const auto& preset : presets()) {
      if (preset.name == *settings.preset) streams = preset.streams();
    }
  }
  return config::overlay_streams(std::move(streams), settings.streams);
}

}  // namespace ferry::connectors
