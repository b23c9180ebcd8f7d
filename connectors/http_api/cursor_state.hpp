// The resume state of an API stream read by a time cursor between full reads (OneRoster REST's
// deltas, Canvas's submissions): {"cursor": "<the newest change time handed over, as the API
// wrote it>", "full_at": "<RFC 3339: when the last full read began>"}; "" for what is absent.
#pragma once

#include <string>
#include <string_view>

namespace ferry::connectors::http_api {

struct CursorState {
  std::string cursor;
  std::string full_at;
};

// Text that is not such JSON gives an empty state (a full read).
CursorState parse_cursor_state(std::string_view text);
std::string format_cursor_state(const CursorState& state);

}  // namespace ferry::connectors::http_api
