// Small ASCII text helpers of the connector: OneRoster's vocabulary (bulk, tobedeleted, column
// names) is ASCII, and comparing it must not depend on the locale.
#pragma once

#include <string>
#include <string_view>

namespace ferry::connectors::files {

// Without leading and trailing spaces and tabs.
std::string_view trim(std::string_view text);

bool equals_ignoring_case(std::string_view a, std::string_view b);

std::string to_lower_ascii(std::string_view text);

}  // namespace ferry::connectors::files
