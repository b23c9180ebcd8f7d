// Durations as written in the configuration file and on the command line: "500ms", "2s", "15m",
// "1h", "1d", and sums of them such as "1h30m".
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/error/error.hpp"

namespace ferry::config {

using Duration = std::chrono::milliseconds;

// Parses a duration. Units: ms, s, m, h, d; whole numbers only, one optional space before a unit;
// parts may be combined ("1h30m", "2m30s"). Zero ("0s") parses; callers that need a positive
// duration check it. Errors are one line naming the text and the accepted units.
Result<Duration> parse_duration(std::string_view text);

// The shortest form that parse_duration reads back: "1h30m", "500ms", "0s".
std::string format_duration(Duration duration);

}  // namespace ferry::config
