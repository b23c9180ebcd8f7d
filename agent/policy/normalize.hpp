// Value normalisation before any transform (SPEC section 4): trim leading and trailing white space
// (ASCII space, tab, CR, LF, VT, FF, and the UTF-8 no-break space U+00A0); with `normalize: lower`
// also lower-case ASCII letters A-Z. Non-ASCII letters are left as they are: ASCII folding is
// what identifiers and e-mail addresses need, and it never depends on a locale or Unicode tables.
#pragma once

#include <string>
#include <string_view>

namespace ferry::policy {

std::string_view trim(std::string_view text);

// Lower-cases ASCII A-Z of `text` into `scratch` and returns a view of it; returns `text` itself
// when it has no upper-case ASCII letter.
std::string_view lower_ascii(std::string_view text, std::string& scratch);

}  // namespace ferry::policy
