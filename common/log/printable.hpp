// Text from outside (a tenant's nack reason or close reason, a proxy's HTTP reason phrase) made
// safe to write into a log line or onto a terminal: control characters could otherwise forge log
// lines (a line break and a fake time stamp) or drive the terminal of whoever runs
// `ferry status` (an escape sequence that clears the screen).
//
// printable() keeps printable UTF-8 as it is and writes everything else as an escape a person can
// read: \n \r \t, \\ for a backslash, \xHH for another control byte (C0, DEL) or a byte that is
// not valid UTF-8, and \u{HHHH} for C1 controls, line and paragraph separators and the bidi
// controls that reorder how text is shown. Longer text is cut at `max_bytes` of output, with
// "... (N bytes more)".
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ferry::log {

std::string printable(std::string_view text, std::size_t max_bytes = 512);

}  // namespace ferry::log
