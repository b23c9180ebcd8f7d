#include "connectors/registry/registry.hpp"

#include <algorithm>

#include "common/log/log.hpp"
#include "connectors/csv/csv.hpp"
#include "connectors/oneroster_csv/oneroster_csv.hpp"
#include "connectors/sqlite_query/sqlite_query.hpp"

namespace ferry::connectors {
namespace {

// The list. One line per connector.
std::vector<ConnectorEntry> build_connectors() {
  return {
      {oneroster_csv::spec(), &oneroster_csv::create},
      {csv::spec(), &csv::create},
      {sqlite_query::spec(), &sqlite_query::create},
  };
}

std::vector<PresetEntry> build_presets() {
  return {
      {"oneroster", &oneroster_csv::preset_streams},
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

SourceContext inspection_context(const config::SourceSettings& settings) {
  SourceContext context;
  context.log = log::get("source." + settings.name);
  return context;
}

std::vector<config::StreamSettings> effective_streams(const config::SourceSettings& settings) {
  std::vector<config::StreamSettings> streams;
  if (settings.preset) {
    for (const auto& preset : presets()) {
      if (preset.name == *settings.preset) streams = preset.streams();
    }
  }
  for (const auto& configured : settings.streams) {
    auto same = std::find_if(streams.begin(), streams.end(),
                             [&](const auto& s) { return s.name == configured.name; });
    if (same == streams.end()) {
      streams.push_back(configured);
    } else if (!configured.extends_preset) {
      *same = configured;
    } else {
      // extends: preset: the preset's stream, with the fields written here put in its place.
      for (const auto& field : configured.fields) {
        auto listed = std::find_if(same->fields.begin(), same->fields.end(),
                                   [&](const auto& f) { return f.name == field.name; });
        if (listed != same->fields.end()) {
          *listed = field;
        } else {
          same->fields.push_back(field);
        }
      }
      if (!configured.key.empty()) {
        same->key = configured.key;
        same->more_keys = configured.more_keys;
      }
      if (configured.default_given) same->default_transform = configured.default_transform;
      same->at = configured.at;
      same->options = configured.options;
    }
  }
  return streams;
}

}  // namespace ferry::connectors
