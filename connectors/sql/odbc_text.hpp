// Text across the ODBC boundary. Ferry talks to drivers through the wide (UTF-16) functions, so
// that neither the driver manager nor the driver converts text through the process's locale (a
// service often runs under the C locale, which would lose every character outside ASCII).
#pragma once

#include <string>
#include <string_view>

#include "connectors/sql/odbc_api.hpp"

namespace ferry::connectors::sql {

using WideString = std::basic_string<SQLWCHAR>;

// UTF-8 to UTF-16; invalid bytes become U+FFFD.
WideString to_wide(std::string_view utf8);

// UTF-16 to UTF-8 into `out`. An unpaired surrogate is written as the byte 0xFF, which no UTF-8
// text holds, so that the row converter refuses the value as not valid UTF-8 instead of sending a
// guess.
void append_utf8(const SQLWCHAR* text, std::size_t length, std::string& out);
std::string to_utf8(const SQLWCHAR* text, std::size_t length);

}  // namespace ferry::connectors::sql
