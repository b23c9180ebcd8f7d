#include "connectors/sqlite_query/prepared_stream.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace ferry::connectors::sqlite_query {
namespace {

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

}  // namespace

Result<PreparedStream> prepare_stream(QueryConnection& connection, const QuerySourceConfig& config,
                                      const StreamQuery& stream) {
  const std::string where = fmt::format("source '{}' stream '{}'", config.source, stream.name);
  const std::string example =
      fmt::format("WHERE :cursor IS NULL OR {0} >= :cursor ORDER BY {0}, {1}", stream.cursor_column,
                  stream.key_column);
  auto fail = [&](std::string_view what, std::string_view fix) {
    return make_error(ErrorCode::kConfig, "{}: {}: {}", where, what, fix);
  };

  auto prepared = connection.prepare(stream.query);
  if (!prepared) {
    if (prepared.error().code != ErrorCode::kConfig) {
      return with_context(prepared.error(), where);
    }
    return fail(fmt::format("the query does not prepare ({})", prepared.error().message),
                fmt::format("fix streams.{}.query", stream.name));
  }
  PreparedQuery& query = **prepared;

  if (!query.reads_only()) {
    return fail("the query would change the database",
                "write a SELECT (the database is opened read-only in any case)");
  }
  const std::vector<std::string>& columns = query.columns();
  if (columns.empty()) return fail("the query returns no columns", "write a SELECT");

  bool has_cursor = false;
  for (const std::string& parameter : query.parameters()) {
    if (parameter == ":cursor") {
      has_cursor = true;
      continue;
    }
    return fail(fmt::format("the query has parameter '{}', which Ferry does not bind (it binds "
                            "only :cursor)",
                            parameter),
                ends_with(parameter, "cursor") ? "write it as :cursor"
                                               : "replace it with a value, or with :cursor");
  }
  if (!has_cursor) {
    return fail("the query has no :cursor parameter, so every read would return the same rows",
                fmt::format("filter and order on it, e.g. {}", example));
  }

  std::set<std::string_view> seen;
  for (const std::string& column : columns) {
    if (!seen.insert(column).second) {
      return fail(fmt::format("the query returns two columns named '{}'", column),
                  "rename one with AS");
    }
  }
  auto index_of = [&](const std::string& name) {
    return static_cast<std::size_t>(std::find(columns.begin(), columns.end(), name) -
                                    columns.begin());
  };
  PreparedStream out;
  out.cursor_index = index_of(stream.cursor_column);
  out.key_index = index_of(stream.key_column);
  if (out.cursor_index == columns.size()) {
    return fail(fmt::format("the query returns no column '{}' for the cursor (it returns {})",
                            stream.cursor_column, fmt::join(columns, ", ")),
                fmt::format("add {} to the SELECT list, or fix cursor under streams.{}",
                            stream.cursor_column, stream.name));
  }
  if (out.key_index == columns.size()) {
    return fail(fmt::format("the query returns no column '{}' for the key (it returns {})",
                            stream.key_column, fmt::join(columns, ", ")),
                fmt::format("add {} to the SELECT list, or fix key under streams.{}",
                            stream.key_column, stream.name));
  }
  out.info = StreamInfo{stream.name, columns, stream.key_column};
  out.query = std::move(*prepared);
  return out;
}

}  // namespace ferry::connectors::sqlite_query
