// The `generalize` transform (SPEC section 4). A value that does not parse gives nullopt: the
// caller writes null and counts it; a raw value never passes through.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/config/settings.hpp"

namespace ferry::policy {

// ISO 8601 dates and date-times: "2008", "2008-05", "2008-05-17", "2008-05-17T10:00:00Z",
// "2008-05-17 10:00". to: year -> "2008"; to: year_month -> "2008-05" (needs at least a month).
std::optional<std::string_view> generalize_date(std::string_view value,
                                                config::Generalize::Kind to);

// `to: year|year_month` as a field sets it: ISO 8601 first, then the field's date_format when it
// has one. Appends the result as a JSON string ("2009" or "2009-04", quotes included) to `out`;
// false, with `out` unchanged, when neither reads the value.
bool generalize_date(std::string_view value, const config::Generalize& how, std::string& out);

// prefix: N keeps the first N characters (Unicode code points, so a multi-byte letter is never
// cut in half). Never fails.
std::string_view generalize_prefix(std::string_view value, std::int64_t characters);

// bucket: N floors a number to a multiple of N: 37 with N=10 -> 30, -3 -> -10, 12.7 -> 10.
// Appends the result (an integer in JSON number syntax) to `out`; false when `value` is not a
// finite decimal number.
bool generalize_bucket(std::string_view value, std::int64_t width, std::string& out);

}  // namespace ferry::policy
