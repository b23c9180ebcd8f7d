// UTF-8 validation for CSV records: rows are handed on as UTF-8 text, so bytes in another encoding
// (a spreadsheet saved as Windows-1252) make a bad row instead of garbage downstream.
#pragma once

#include <string_view>

namespace ferry::connectors::files {

// True when `text` is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing past
// U+10FFFF). ASCII runs are checked eight bytes at a time.
bool is_valid_utf8(std::string_view text);

}  // namespace ferry::connectors::files
