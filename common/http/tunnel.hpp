// The pieces of an outbound TLS connection that the uplink and the API sources share: an HTTP
// CONNECT tunnel through a proxy (RFC 9110 section 9.3.6), "host:port" for messages, and the
// identity a server certificate must carry. Each says what failed in words an administrator can
// act on, naming the setting (`uplink.proxy`, `proxy of source 'sis_api'`) it came from.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <openssl/ssl.h>
#include <tl/expected.hpp>

#include "common/config/url.hpp"

namespace ferry::http {

// "host:port", with brackets around an IPv6 literal.
std::string authority(std::string_view host, std::uint16_t port);

bool is_ip_literal(const std::string& host);

// Makes `ssl` check the server certificate against `host` (a DNS name without partial wildcards,
// or an IP address) and, for a name, send it as SNI. False when OpenSSL cannot check that host
// (an IPv6 literal with a zone): the caller refuses the connection rather than trust the chain
// alone.
bool set_identity(SSL* ssl, const std::string& host);

struct TunnelError {
  bool credentials_refused = false;  // HTTP 407: the proxy wants other credentials
  std::string message;
};

// Asks `proxy` (already connected on `stream`) for a tunnel to host:port, with Basic credentials
// when the proxy URL carries them; the stream is then a plain pipe to the target. `setting`
// names where the proxy was configured ("uplink.proxy"). The caller sets the stream's deadline.
boost::asio::awaitable<tl::expected<void, TunnelError>> open_tunnel(
    boost::beast::tcp_stream& stream, const config::Url& proxy, const std::string& host,
    std::uint16_t port, std::string_view setting);

}  // namespace ferry::http
