// The engine-neutral settings of a query source, read from validated SourceSettings: one query per
// stream with its cursor and key columns. The configuration loader checks types and the keys it
// knows to be required; what only this connector requires (a stream's `key`, at least one stream)
// is checked here, so create() reports it as kConfig naming source and stream.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/config/catalog.hpp"
#include "common/config/settings.hpp"
#include "common/error/error.hpp"
#include "connectors/sqlite_query/lookback.hpp"
#include "connectors/sqlite_query/row_values.hpp"

namespace ferry::connectors::sqlite_query {

struct StreamQuery {
  std::string name;
  std::string query;          // one SELECT with a :cursor parameter
  std::string cursor_column;  // the column :cursor is compared with
  std::string key_column;     // the stream's key
  Lookback lookback;
};

inline constexpr std::uint64_t kDefaultCheckpointRows = 10'000;

struct QuerySourceConfig {
  std::string source;  // the source's name, for messages
  std::string type;    // "sqlite" or "sql", for messages
  std::vector<StreamQuery> streams;
  std::uint64_t checkpoint_rows = kDefaultCheckpointRows;  // see stream_reader.hpp
  BinaryText binary = BinaryText::kHex;                    // how binary values are sent as text
};

Result<QuerySourceConfig> read_query_config(const config::SourceSettings& settings);

// The options every query connector takes the same way, for its SourceTypeSpec: the source's
// `checkpoint_rows`, and each stream's `query`, `cursor` and `lookback`.
config::OptionSpec checkpoint_rows_option();
std::vector<config::OptionSpec> query_stream_options();

// A text option, or nullptr when absent (or of another kind, which validated settings never have).
const std::string* text_option(const std::map<std::string, config::OptionValue, std::less<>>& map,
                               std::string_view name);

}  // namespace ferry::connectors::sqlite_query
