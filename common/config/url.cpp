#include "common/config/url.hpp"

#include <charconv>

#include "common/config/text.hpp"

namespace ferry::config {

Result<Url> parse_url(std::string_view text) {
  Url url;
  for (const char c : text) {
    if (is_ascii_space(c) || static_cast<unsigned char>(c) < 0x20) {
      return make_error(ErrorCode::kConfig, "a URL cannot contain spaces or control characters");
    }
  }
  const std::size_t scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos || scheme_end == 0) {
    return make_error(ErrorCode::kConfig, "a URL starts with a scheme and '://'");
  }
  url.scheme = to_lower(text.substr(0, scheme_end));
  std::string_view rest = text.substr(scheme_end + 3);
  const std::size_t authority_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authority_end);
  // "host?x" has target "/?x": the path part is never empty.
  const std::string_view path_and_query =
      authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  url.target = path_and_query.starts_with('/') ? std::string(path_and_query)
                                               : "/" + std::string(path_and_query);
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = authority.substr(0, at);
    const std::size_t colon = userinfo.find(':');
    url.user = std::string(userinfo.substr(0, colon));
    if (colon != std::string_view::npos) url.password = std::string(userinfo.substr(colon + 1));
    authority = authority.substr(at + 1);
  }
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return make_error(ErrorCode::kConfig, "an IPv6 address in a URL needs a closing ']'");
    }
    url.host = std::string(authority.substr(1, close - 1));
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return make_error(ErrorCode::kConfig, "unexpected text after the IPv6 address in a URL");
      }
      port_text = after.substr(1);
      if (port_text.empty()) return make_error(ErrorCode::kConfig, "a URL has ':' but no port");
    }
  } else {
    const std::size_t colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return make_error(ErrorCode::kConfig, "a URL has ':' but no port");
    }
  }
  if (url.host.empty()) return make_error(ErrorCode::kConfig, "a URL needs a host name");
  if (!port_text.empty()) {
    unsigned port = 0;
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port < 1 ||
        port > 65535) {
      return make_error(ErrorCode::kConfig, "the port of a URL must be a number from 1 to 65535");
    }
    url.port = static_cast<std::uint16_t>(port);
  }
  return url;
}

}  // namespace ferry::config
