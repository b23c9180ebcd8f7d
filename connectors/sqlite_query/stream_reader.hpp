// Reads one stream's query into the sink and moves the stream's cursor forward. This is where the
// cursor rule of docs/connectors/sqlite.md lives. Engine-neutral.
//
// The rule, in short: the query reads rows whose cursor is >= :cursor (inclusive), ordered by the
// cursor; :cursor is the last cursor value handed over minus the stream's lookback. Rows read
// again are dropped by the agent's change detection. The stored cursor only moves forward: to the
// cursor of the last row read when that is higher, and stays where it was when the query returns
// nothing newer.
//
// Checkpoints: once `checkpoint_rows` rows of the stream were handed over since the last one, the
// next time the cursor value changes between two rows, the sink gets a checkpoint whose state
// holds the cursor of the rows already handed over. Every row with a lower cursor has been handed
// over at that point (the rows are ordered), and resuming reads that value again (inclusive), so a
// crash after a checkpoint loses nothing, however many rows share one cursor value.
#pragma once

#include <cstdint>
#include <stop_token>

#include "common/error/error.hpp"
#include "connectors/api/source.hpp"
#include "connectors/sqlite_query/cursor_state.hpp"
#include "connectors/sqlite_query/prepared_stream.hpp"
#include "connectors/sqlite_query/query_config.hpp"

namespace ferry::connectors::sqlite_query {

struct StreamReadContext {
  const QuerySourceConfig& config;
  CursorState& state;  // the whole source's state: read and moved forward in place
  RowSink& sink;
  std::stop_token stop;
  bool sink_failed = false;  // the last error came from the sink (the spool), not the query
};

// Runs `prepared` (not yet stepped). Returns whether the stream's cursor moved. kUnavailable when
// a stop is requested; the sink's own errors are returned unchanged, with context.sink_failed set.
// A stream the sink does not take (begin_stream false) is left at once, its cursor unmoved. The
// stream's state goes to end_stream; a stream whose rows were all bad still ends, so that its
// cursor moves past them.
Result<bool> read_stream(PreparedStream& prepared, const StreamQuery& stream,
                         StreamReadContext& context);

}  // namespace ferry::connectors::sqlite_query
