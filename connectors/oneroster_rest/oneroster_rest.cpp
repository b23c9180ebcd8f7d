#include "connectors/oneroster_rest/oneroster_rest.hpp"

#include <algorithm>
#include <variant>

#include "common/config/overlay.hpp"
#include "connectors/oneroster/preset.hpp"
#include "connectors/oneroster_rest/rest_source.hpp"

namespace ferry::connectors::oneroster_rest {
namespace {

constexpr std::int64_t kDefaultPageSize = 1000;

Version version_of(const config::SourceSettings& settings) {
  const auto option = settings.options.find("version");
  if (option == settings.options.end()) return Version::k1_1;
  const auto* value = std::get_if<std::string>(&option->second.value);
  return value != nullptr && *value == "1.2" ? Version::k1_2 : Version::k1_1;
}

Deltas deltas_of(const config::SourceSettings& settings) {
  Deltas deltas;
  const auto find = [&](const char* name) -> const config::OptionValue* {
    const auto option = settings.options.find(name);
    return option == settings.options.end() ? nullptr : &option->second;
  };
  if (const auto* enabled = find("deltas")) {
    if (const auto* value = std::get_if<bool>(&enabled->value)) deltas.enabled = *value;
  }
  if (const auto* every = find("full_read_every")) {
    if (const auto* value = std::get_if<config::Duration>(&every->value)) {
      deltas.full_read_every = *value;
    }
  }
  if (const auto* overlap = find("delta_overlap")) {
    if (const auto* value = std::get_if<config::Duration>(&overlap->value)) deltas.overlap = *value;
  }
  return deltas;
}

std::int64_t page_size_of(const config::SourceSettings& settings) {
  const auto option = settings.options.find("page_size");
  if (option == settings.options.end()) return kDefaultPageSize;
  const auto* value = std::get_if<std::int64_t>(&option->second.value);
  return value != nullptr && *value > 0 ? *value : kDefaultPageSize;
}

}  // namespace

config::SourceTypeSpec spec() {
  return {.type = "oneroster_rest",
          .description = "OneRoster 1.1/1.2 REST rostering service, read over HTTPS",
          .options = {{"page_size", config::OptionKind::kInteger, false,
                       "records asked for in one request (limit), 1-10000; default 1000"},
                      {"version",
                       config::OptionKind::kString,
                       false,
                       "the service's OneRoster version, 1.1 (default) or 1.2: it decides the "
                       "columns, those of that version's CSV files",
                       false,
                       {"1.1", "1.2"}},
                      {"deltas", config::OptionKind::kBool, false,
                       "read only what changed (filter=dateLastModified>...) between full reads; "
                       "default false: every run reads everything"},
                      {"full_read_every", config::OptionKind::kDuration, false,
                       "with deltas: how often a full read finds deletes; default 1d"},
                      {"delta_overlap", config::OptionKind::kDuration, false,
                       "with deltas: how far before the cursor a delta read starts; default 5m"}},
          .stream_options = {},
          .file_source = false,
          .presets = {"oneroster"},
          .api_source = true};
}

Result<std::unique_ptr<Source>> create(const config::SourceSettings& settings,
                                       const SourceContext& context) {
  const std::int64_t page_size = page_size_of(settings);
  const Version version = version_of(settings);
  if (page_size > 10000) {
    return make_error(ErrorCode::kConfig, "page_size {} of source '{}' is more than 10000",
                      page_size, settings.name);
  }
  // The collections the policy names, in the table's order; a stream of no known collection is
  // a configuration error.
  std::vector<config::StreamSettings> preset;
  if (settings.preset && *settings.preset == "oneroster") preset = oneroster::preset_streams();
  const auto policy = config::overlay_streams(std::move(preset), settings.streams);
  std::vector<const Collection*> streams;
  for (const Collection& collection : collections(version)) {
    const bool named = std::any_of(policy.begin(), policy.end(), [&](const auto& stream) {
      return stream.name == collection.stream;
    });
    if (named) streams.push_back(&collection);
  }
  for (const config::StreamSettings& stream : settings.streams) {
    if (find_collection(version, stream.name) == nullptr) {
      std::string known;
      for (const Collection& collection : collections(version)) {
        known += (known.empty() ? "" : ", ") + collection.stream;
      }
      return make_error(ErrorCode::kConfig,
                        "source '{}': OneRoster REST has no collection '{}' that Ferry reads "
                        "(it reads {})",
                        settings.name, stream.name, known);
    }
  }
  auto session = http_api::ApiSession::create(settings, context);
  if (!session) return tl::unexpected(session.error());
  return std::unique_ptr<Source>(
      std::make_unique<RestSource>(settings.name, std::move(*session), std::move(streams),
                                   page_size, deltas_of(settings), *context.clock, context.log));
}

}  // namespace ferry::connectors::oneroster_rest
