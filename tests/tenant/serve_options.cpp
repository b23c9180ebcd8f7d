#include "tests/tenant/serve_options.hpp"

#include <charconv>

namespace ferry::tenant {

Result<ListenAddress> parse_listen_address(std::string_view text) {
  ListenAddress address;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return make_error(ErrorCode::kInvalidArgument,
                        "--listen '{}': expected [IPv6]:PORT, as in [::1]:8443", text);
    }
    address.host = std::string(text.substr(1, close - 1));
    port = text.substr(close + 2);
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0) {
      return make_error(ErrorCode::kInvalidArgument,
                        "--listen '{}': expected HOST:PORT, as in 127.0.0.1:8443 (port 0 picks a "
                        "free port)",
                        text);
    }
    address.host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
  }
  unsigned value = 0;
  const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || error != std::errc{} || end != port.data() + port.size() || value > 65535) {
    return make_error(ErrorCode::kInvalidArgument,
                      "--listen '{}': port '{}' is not a number from 0 to 65535", text, port);
  }
  address.port = static_cast<std::uint16_t>(value);
  return address;
}

}  // namespace ferry::tenant
