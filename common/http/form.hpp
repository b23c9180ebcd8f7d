// Percent-encoding (RFC 3986) and the application/x-www-form-urlencoded form of query strings and
// token requests, as API requests and OAuth signatures need them.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ferry::http {

using Parameter = std::pair<std::string, std::string>;

// Every byte but the unreserved ones (A-Z a-z 0-9 - . _ ~) as %XX with upper-case hex: the form
// OAuth 1.0a signs (RFC 5849 section 3.6) and any query value is safe in.
std::string percent_encode(std::string_view text);

// %XX decoded (a malformed escape is kept as it is); with plus_is_space, '+' is a space.
std::string percent_decode(std::string_view text, bool plus_is_space);

// "a=1&b=x%20y" -> {a,1},{b,x y}; '+' is a space; a name without '=' has an empty value.
std::vector<Parameter> parse_query(std::string_view query);

// {a,1},{b,x y} -> "a=1&b=x%20y" (each name and value percent_encode()d).
std::string form_encode(const std::vector<Parameter>& parameters);

// `url` with `parameters` appended to its query ('?' or '&' as needed).
std::string with_query(std::string_view url, const std::vector<Parameter>& parameters);

}  // namespace ferry::http
