// One stream's query, prepared and checked before it runs. Engine-neutral.
#pragma once

#include <cstddef>
#include <memory>

#include "common/error/error.hpp"
#include "connectors/api/source.hpp"
#include "connectors/sqlite_query/query_config.hpp"
#include "connectors/sqlite_query/query_engine.hpp"

namespace ferry::connectors::sqlite_query {

struct PreparedStream {
  StreamInfo info;  // name, the query's columns, key
  std::unique_ptr<PreparedQuery> query;
  std::size_t cursor_index = 0;  // of the cursor column in info.columns
  std::size_t key_index = 0;     // of the key column
};

// Prepares the stream's query without running it and checks that it only reads, binds :cursor
// and nothing else, and returns the cursor and key columns under distinct names. Messages name
// the source and the stream, and say the fix.
Result<PreparedStream> prepare_stream(QueryConnection& connection, const QuerySourceConfig& config,
                                      const StreamQuery& stream);

}  // namespace ferry::connectors::sqlite_query
