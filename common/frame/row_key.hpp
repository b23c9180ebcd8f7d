// A row's key as the agent stores it for change detection (spool::DigestUpdate::key) and writes it
// in a delete line (SPEC section 5):
//
//   a single key column:  its JSON value                       "p1.Aa.."  (with the quotes), 42
//   a composite key:      the members of a JSON object, in key order, without the braces
//                         "classSourcedId":"c1","userSourcedId":"p1.Aa.."
//
// A delete line is {"_op":"delete","<column>":<key>} for a single key and {"_op":"delete",<key>}
// for a composite one. The two forms cannot be confused: a JSON value is never followed by ':'.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace ferry::frame {

struct KeyPart {
  std::string_view name;   // the column's name as JSON text, with its quotes
  std::string_view value;  // its value as JSON text: "\"p1.Aa..\"", "42", "null"
};

// The parts of a composite key, or nullopt when `key` is a single key's value (or is not in the
// form above at all).
std::optional<std::vector<KeyPart>> composite_key_parts(std::string_view key);

// The JSON text of the string that starts at `text`'s first character (a '"'), quotes included,
// or nullopt when it is not a whole JSON string.
std::optional<std::string_view> json_string_at(std::string_view text);

}  // namespace ferry::frame
