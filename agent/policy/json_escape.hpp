// Appending JSON string literals. Row values are UTF-8 text from outside; a byte sequence that is
// not valid UTF-8 is replaced by U+FFFD so that every line we send parses as JSON.
#pragma once

#include <string>
#include <string_view>

namespace ferry::policy {

// Appends `"text"` with JSON escapes. Returns the number of invalid UTF-8 sequences replaced.
std::size_t append_json_string(std::string& out, std::string_view text);

}  // namespace ferry::policy
