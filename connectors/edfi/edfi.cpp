#include "connectors/edfi/edfi.hpp"

#include <algorithm>
#include <variant>

#include <fmt/format.h>

#include "common/config/overlay.hpp"
#include "connectors/edfi/edfi_source.hpp"
#include "connectors/edfi/resources.hpp"

namespace ferry::connectors::edfi {
namespace {

constexpr std::int64_t kMaxPageSize = 5000;

Result<EdfiOptions> options_of(const config::SourceSettings& settings) {
  EdfiOptions options;
  if (const auto* path = config::option_as<std::string>(settings.options, "data_path")) {
    options.data_path = *path;
  }
  if (const auto* path = config::option_as<std::string>(settings.options, "change_queries_path")) {
    options.change_queries_path = *path;
  }
  for (std::string* path : {&options.data_path, &options.change_queries_path}) {
    while (path->starts_with('/')) path->erase(0, 1);
    while (path->ends_with('/')) path->pop_back();
  }
  if (const auto* on = config::option_as<bool>(settings.options, "change_queries")) {
    options.change_queries = *on;
  }
  if (const auto* size = config::option_as<std::int64_t>(settings.options, "page_size")) {
    if (*size < 1 || *size > kMaxPageSize) {
      return make_error(ErrorCode::kConfig, "page_size {} of source '{}' is not between 1 and {}",
                        *size, settings.name, kMaxPageSize);
    }
    options.page_size = *size;
  }
  if (const auto* paging = config::option_as<std::string>(settings.options, "paging")) {
    options.paging = *paging == "cursor" ? Paging::kCursor : Paging::kOffset;
  }
  if (const auto* every =
          config::option_as<config::Duration>(settings.options, "full_read_every")) {
    options.full_read_every = *every;
  }
  return options;
}

// The resource and columns of one configured stream.
Result<Resource> resource_of(const config::SourceSettings& settings,
                             const config::StreamSettings& stream) {
  const std::string where = fmt::format("stream '{}' of source '{}'", stream.name, settings.name);
  if (!stream.more_keys.empty() || (!stream.key.empty() && stream.key != "id")) {
    return make_error(ErrorCode::kConfig,
                      "{}: an Ed-Fi stream is keyed by the resource id, `key: id` (the only key "
                      "the /deletes route gives in every ODS/API version)",
                      where);
  }
  Resource resource;
  resource.stream = stream.name;
  const std::string own_path = "ed-fi/" + stream.name;
  resource.path = own_path;
  if (const auto* path = config::option_as<std::string>(stream.options, "resource"))
    resource.path = *path;
  while (resource.path.starts_with('/')) resource.path.erase(0, 1);
  if (resource.path.empty() || resource.path.find('?') != std::string::npos) {
    return make_error(ErrorCode::kConfig,
                      "{}: resource must be a path such as ed-fi/students, without a query", where);
  }
  const auto add = [&resource](const std::string& name, const std::string& path) {
    const auto same = std::find_if(resource.columns.begin(), resource.columns.end(),
                                   [&](const auto& column) { return column.name == name; });
    http_api::JsonColumn column{name, path, is_descriptor_path(path)};
    if (same != resource.columns.end()) {
      *same = std::move(column);
    } else {
      resource.columns.push_back(std::move(column));
    }
  };
  add("id", "/id");
  const KnownResource* known = resource.path == own_path ? find_known(stream.name) : nullptr;
  if (known != nullptr) {
    for (const ResourceColumn& column : known->columns) add(column.name, column.path);
  }
  const auto* paths = config::option_as<config::StringPairs>(stream.options, "paths");
  const auto has_path = [&](const std::string& name) {
    return paths != nullptr && std::any_of(paths->begin(), paths->end(),
                                           [&](const auto& pair) { return pair.first == name; });
  };
  for (const config::FieldPolicy& field : stream.fields) {
    const bool known_column =
        std::any_of(resource.columns.begin(), resource.columns.end(),
                    [&](const auto& column) { return column.name == field.name; });
    if (!known_column && !has_path(field.name)) add(field.name, "/" + field.name);
  }
  if (paths != nullptr) {
    for (const auto& [name, path] : *paths) {
      if (name == "id") {
        return make_error(ErrorCode::kConfig, "{}: paths cannot move id (it is always /id)", where);
      }
      add(name, path);
    }
  }
  // The paths are checked now rather than at the first read.
  auto checked = http_api::JsonRowReader::create("", resource.columns,
                                                 [](RowView) -> Result<void> { return {}; }, {});
  if (!checked) return with_context(checked.error(), where);
  return resource;
}

}  // namespace

config::SourceTypeSpec spec() {
  return {
      .type = "edfi",
      .description = "Ed-Fi ODS/API 5.x-7.x resources, read over HTTPS with change queries",
      .options = {{"data_path", config::OptionKind::kString, false,
                   "where the resources are, below url; default data/v3 (with a year or instance "
                   "in the route: data/v3/2025)"},
                  {"change_queries_path", config::OptionKind::kString, false,
                   "where availableChangeVersions is, below url; default changeQueries/v1"},
                  {"change_queries", config::OptionKind::kBool, false,
                   "read only the changes since the last run (minChangeVersion/maxChangeVersion "
                   "and the /deletes routes); default true"},
                  {"full_read_every", config::OptionKind::kDuration, false,
                   "with change queries: how often a stream is read whole all the same; default "
                   "7d"},
                  {"page_size", config::OptionKind::kInteger, false,
                   "records asked for in one request, 1-5000; default 500 (the ODS/API's usual "
                   "limit)"},
                  {"paging",
                   config::OptionKind::kString,
                   false,
                   "offset (limit/offset, every version; default) or cursor (pageToken, ODS/API "
                   "7.x)",
                   false,
                   {"offset", "cursor"}}},
      .stream_options = {{"resource", config::OptionKind::kString, false,
                          "the resource read, below data_path; default ed-fi/<stream name>"},
                         {"paths", config::OptionKind::kStringMap, false,
                          "column: JSON pointer into the resource, for a column that is not a "
                          "top-level member of its name (studentUniqueId: "
                          "/studentReference/studentUniqueId)"}},
      .file_source = false,
      .presets = {"edfi"},
      .api_source = true};
}

Result<std::unique_ptr<Source>> create(const config::SourceSettings& settings,
                                       const SourceContext& context) {
  auto options = options_of(settings);
  if (!options) return tl::unexpected(options.error());
  std::vector<config::StreamSettings> preset;
  if (settings.preset && *settings.preset == "edfi") preset = preset_streams();
  std::vector<Resource> resources;
  for (const config::StreamSettings& stream :
       config::overlay_streams(std::move(preset), settings.streams)) {
    auto resource = resource_of(settings, stream);
    if (!resource) return tl::unexpected(resource.error());
    resources.push_back(std::move(*resource));
  }
  auto session = http_api::ApiSession::create(settings, context);
  if (!session) return tl::unexpected(session.error());
  return std::unique_ptr<Source>(
      std::make_unique<EdfiSource>(settings.name, std::move(*session), std::move(resources),
                                   std::move(*options), *context.clock, context.log));
}

}  // namespace ferry::connectors::edfi
