// Moving an ISO-8601 timestamp, stored as text, back in time (for the lookback of text cursors).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace ferry::connectors::sqlite_query {

// `text` moved back by `amount` and written again in exactly the shape it came in, so that text
// comparison in SQL still orders it against the stored values. Shapes: a date ("2024-05-01"),
// then optionally " " or "T" and "HH:MM", ":SS", a fraction of 1 to 9 digits, and a zone ("Z",
// "+02:00", "-0500", "+02") that is kept as written. What the shape cannot express rounds the
// result down (earlier), so the window only ever widens. Results before year 0000 become
// 0000-01-01 at midnight. nullopt when `text` is not such a timestamp.
std::optional<std::string> subtract_from_timestamp(std::string_view text,
                                                   std::chrono::milliseconds amount);

}  // namespace ferry::connectors::sqlite_query
