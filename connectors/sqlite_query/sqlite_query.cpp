#include "connectors/sqlite_query/sqlite_query.hpp"

#include "connectors/sqlite_query/query_config.hpp"
#include "connectors/sqlite_query/query_source.hpp"
#include "connectors/sqlite_query/sqlite_engine.hpp"

namespace ferry::connectors::sqlite_query {

config::SourceTypeSpec spec() {
  using config::OptionKind;
  return {
      .type = "sqlite",
      .description = "SQLite database file, read with one query per stream",
      .options =
          {
              {"path", OptionKind::kPath, true, "the database file, opened read-only"},
              {"busy_timeout", OptionKind::kDuration, false,
               "how long to wait for a writer's lock before giving up until the next poll "
               "(default 10s)"},
              checkpoint_rows_option(),
          },
      .stream_options = query_stream_options(),
      .file_source = false,
  };
}

Result<std::unique_ptr<Source>> create(const config::SourceSettings& settings,
                                       const SourceContext& /*context*/) {
  auto config = read_query_config(settings);
  if (!config) return tl::unexpected(config.error());

  SqliteOptions options;
  const std::string* path = text_option(settings.options, "path");
  if (path == nullptr || path->empty()) {
    return make_error(ErrorCode::kConfig, "source '{}': no path: add path: <the database file>",
                      settings.name);
  }
  options.path = *path;
  if (auto it = settings.options.find("busy_timeout"); it != settings.options.end()) {
    if (const auto* timeout = std::get_if<config::Duration>(&it->second.value)) {
      options.busy_timeout = *timeout;
    }
  }
  return std::make_unique<QuerySource>(std::move(*config), make_sqlite_engine(std::move(options)));
}

}  // namespace ferry::connectors::sqlite_query
