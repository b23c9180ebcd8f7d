#include "connectors/sqlite_query/query_config.hpp"

namespace ferry::connectors::sqlite_query {
namespace {

tl::unexpected<Error> stream_error(const config::SourceSettings& settings,
                                   const config::StreamSettings& stream, std::string_view what,
                                   std::string_view fix) {
  return make_error(ErrorCode::kConfig, "source '{}' stream '{}': {}: {}", settings.name,
                    stream.name, what, fix);
}

Result<StreamQuery> read_stream(const config::SourceSettings& settings,
                                const config::StreamSettings& stream) {
  StreamQuery out;
  out.name = stream.name;
  out.key_column = stream.key;
  if (const std::string* cursor = text_option(stream.options, "cursor")) {
    out.cursor_column = *cursor;
  }
  const std::string cursor_name = out.cursor_column.empty() ? "updated_at" : out.cursor_column;
  const std::string key_name = out.key_column.empty() ? "id" : out.key_column;
  if (const std::string* query = text_option(stream.options, "query")) out.query = *query;

  if (out.query.empty()) {
    return stream_error(
        settings, stream,
        fmt::format("no query (the {} connector reads each stream with one)", settings.type),
        fmt::format("add query: \"SELECT ... FROM ... WHERE :cursor IS NULL OR {0} >= :cursor "
                    "ORDER BY {0}, {1}\" under streams.{2}",
                    cursor_name, key_name, stream.name));
  }
  if (out.cursor_column.empty()) {
    return stream_error(settings, stream, "no cursor column",
                        fmt::format("add cursor: <column compared with :cursor, e.g. updated_at> "
                                    "under streams.{}",
                                    stream.name));
  }
  if (out.key_column.empty()) {
    return stream_error(settings, stream,
                        fmt::format("no key (the {} connector needs the column that identifies a "
                                    "row)",
                                    settings.type),
                        fmt::format("add key: <column, e.g. id> under streams.{}", stream.name));
  }
  if (const std::string* lookback = text_option(stream.options, "lookback")) {
    auto parsed = parse_lookback(*lookback);
    if (!parsed) {
      return stream_error(settings, stream, parsed.error().message,
                          fmt::format("fix lookback under streams.{}", stream.name));
    }
    out.lookback = std::move(*parsed);
  }
  return out;
}

}  // namespace

config::OptionSpec checkpoint_rows_option() {
  return {"checkpoint_rows", config::OptionKind::kInteger, false,
          "rows of a stream between two progress checkpoints (default 10000)"};
}

std::vector<config::OptionSpec> query_stream_options() {
  using config::OptionKind;
  return {
      {"query", OptionKind::kString, true,
       "one SELECT with a :cursor parameter, ordered by the cursor column"},
      {"cursor", OptionKind::kString, true, "the column compared with :cursor"},
      {"lookback", OptionKind::kString, false,
       "how far before the last cursor to read again: a number for numeric cursors, a duration "
       "for date and time cursors (default none)"},
  };
}

const std::string* text_option(const std::map<std::string, config::OptionValue, std::less<>>& map,
                               std::string_view name) {
  auto it = map.find(name);
  return it == map.end() ? nullptr : std::get_if<std::string>(&it->second.value);
}

Result<QuerySourceConfig> read_query_config(const config::SourceSettings& settings) {
  QuerySourceConfig out;
  out.source = settings.name;
  out.type = settings.type;
  if (settings.streams.empty()) {
    return make_error(ErrorCode::kConfig,
                      "source '{}' has no streams: add streams.<name> with query, cursor and key "
                      "(one per table or view to read)",
                      settings.name);
  }
  for (const config::StreamSettings& stream : settings.streams) {
    auto query = read_stream(settings, stream);
    if (!query) return tl::unexpected(query.error());
    out.streams.push_back(std::move(*query));
  }
  if (auto it = settings.options.find("checkpoint_rows"); it != settings.options.end()) {
    const auto* rows = std::get_if<std::int64_t>(&it->second.value);
    if (rows == nullptr || *rows < 1) {
      return make_error(ErrorCode::kConfig,
                        "source '{}': checkpoint_rows must be a whole number of 1 or more",
                        settings.name);
    }
    out.checkpoint_rows = static_cast<std::uint64_t>(*rows);
  }
  return out;
}

}  // namespace ferry::connectors::sqlite_query
