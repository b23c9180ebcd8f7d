// The one list of built-in connectors. Adding a connector adds one line to the list in
// registry.cpp and a folder of its own; nothing registers itself behind the reader's back.
#pragma once

#include <filesystem>
#include <memory>
#include <string_view>
#include <vector>

#include "common/config/catalog.hpp"
#include "common/config/settings.hpp"
#include "common/error/error.hpp"
#include "connectors/api/source.hpp"

namespace ferry::connectors {

struct ConnectorEntry {
  config::SourceTypeSpec spec;  // type name and option tables, for the configuration loader
  SourceFactory create = nullptr;
};

// A built-in field policy: stream name -> policy (key, default, fields).
struct PresetEntry {
  std::string name;
  std::vector<config::StreamSettings> (*streams)() = nullptr;
};

const std::vector<ConnectorEntry>& connectors();
const std::vector<PresetEntry>& presets();

// Every source type's option table and the preset names, for the configuration loader.
const config::Catalog& catalog();

// The source of `settings.type`. Error kConfig for a type without a connector.
Result<std::unique_ptr<Source>> create_source(const config::SourceSettings& settings,
                                              const SourceContext& context);

// The context of a source for one-shot commands (preview, validate, check) that run beside the
// agent: its logger and the real clock; no scratch folder (that belongs to whoever holds the
// data_dir). `data_dir`, where known, is the service's folder whose owner may own the source's
// secret files (SourceContext::service_dir).
SourceContext inspection_context(const config::SourceSettings& settings,
                                 const std::filesystem::path& data_dir = {});

// The streams of a source's policy: the preset's streams (if any), each replaced by the stream of
// the same name written in the configuration (or, with `extends: preset`, changed field by field),
// plus configured streams the preset lacks.
std::vector<config::StreamSettings> effective_streams(const config::SourceSettings& settings);

}  // namespace ferry::connectors
