// The resume state of a query source: per stream, the cursor column and the last cursor value
// handed over. The agent stores it as an opaque string; this is its only reader and writer.
// Engine-neutral.
//
// The agent keeps it per stream (each stream's own cursor) and for the whole source; both in this
// format:
//
//   {"format":"ferry-sql-cursor-1",
//    "streams":{"users":{"column":"updated_at","type":"text","value":"2024-05-01 12:00:00"}}}
//
// Integers are JSON numbers; reals are written as text in shortest round-trip form, because the
// JSON library of Debian 12 (Boost 1.81) does not always parse doubles back to the same bits, and
// a cursor one ulp too high would skip rows.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "common/error/error.hpp"
#include "connectors/api/source.hpp"
#include "connectors/sqlite_query/cursor_value.hpp"

namespace ferry::connectors::sqlite_query {

struct StreamCursor {
  std::string column;  // the cursor column the value came from
  CursorValue value;   // never NULL in a stored state: a stream without a value is left out

  bool operator==(const StreamCursor&) const = default;
};

using CursorState = std::map<std::string, StreamCursor, std::less<>>;

// "" and a state in some other format (the source's type was changed from another connector)
// give an empty state: every stream reads from the beginning, which the agent's change detection
// makes safe. A state in this format that does not decode is kCorrupt.
Result<CursorState> decode_state(std::string_view text);

// The same state always gives the same text (streams in name order).
std::string encode_state(const CursorState& state);

// The state of one stream, in the same format with only that stream in it ("" when it has no
// cursor yet): what the agent keeps for that stream (connectors::ResumeState::streams).
std::string encode_stream_state(const CursorState& state, std::string_view stream);

// The whole source's cursors from what the agent kept: the source-wide state (written by earlier
// versions, and after each run that read every stream), overridden stream by stream by each
// stream's own state, which is never older.
Result<CursorState> decode_resume_state(const ResumeState& resume);

}  // namespace ferry::connectors::sqlite_query
