// The two URLs of the configuration: `uplink.url` (wss://host[:port]/path) and `uplink.proxy`
// (http://[user:pass@]host:port). Deliberately small: no percent-decoding, no query rewriting.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/error/error.hpp"

namespace ferry::config {

struct Url {
  std::string scheme;  // lower case: "wss", "http"
  std::string user;    // "" when absent
  std::string password;
  std::string host;        // without brackets for IPv6 literals
  std::uint16_t port = 0;  // 0 when not written
  std::string target;      // path and query, "/" when absent
};

// Splits `text` into its parts. Checks the shape only (scheme://, a host, a numeric port in
// 1-65535, no spaces); which schemes are acceptable is the caller's decision. Error messages
// never repeat the text, which may hold a password.
Result<Url> parse_url(std::string_view text);

}  // namespace ferry::config
