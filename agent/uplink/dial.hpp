// Opening one uplink connection: TCP (directly or through an HTTP CONNECT proxy), TLS 1.3 with
// SNI and the server certificate checked against the URL's host, then the WebSocket upgrade with
// the bearer token and the ferry.v1 subprotocol. Each failure says which step failed and what to
// do about it, in words an administrator can act on.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <filesystem>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <tl/expected.hpp>

#include "common/config/url.hpp"

namespace ferry::uplink {

using WebSocket =
    boost::beast::websocket::stream<boost::beast::ssl_stream<boost::beast::tcp_stream>>;

inline constexpr std::string_view kProtocolName = "ferry.v1";

struct DialTarget {
  std::string url;  // as configured, for messages
  std::string host;
  std::uint16_t port = 443;
  std::string path = "/";
  std::optional<config::Url> proxy;
  std::string token;
  std::chrono::milliseconds connect_timeout{30'000};  // each step before the upgrade
  std::chrono::milliseconds idle_timeout{45'000};     // ping at half, drop at all of it
  std::optional<std::filesystem::path> ca_file;       // uplink.ca_file, named in messages
};

enum class DialFailure {
  kResolve,       // DNS
  kConnect,       // TCP
  kProxy,         // the CONNECT proxy refused or failed
  kProxyAuth,     // HTTP 407: the proxy wants other credentials
  kTlsVersion,    // the server does not speak TLS 1.3
  kTls,           // any other TLS handshake failure (a reset, a timeout)
  kCertificate,   // the server certificate is not trusted or not for this host
  kUnauthorized,  // HTTP 401: the tenant does not know the token
  kUpgrade,       // any other answer than a WebSocket upgrade
  kSubprotocol,   // the upgrade did not select ferry.v1
};

struct DialError {
  DialFailure kind;
  std::string message;
  unsigned http_status = 0;  // the answer to the upgrade, for kUpgrade and kUnauthorized
};

// Whether retrying cannot help until someone changes something (a token, a certificate, the URL):
// HTTP 401, a proxy's 407, a certificate not accepted, no TLS 1.3, no ferry.v1, any other 4xx
// but 408 and 429.
bool is_refusal(const DialError& error);

struct Dialed {
  std::unique_ptr<WebSocket> ws;
  std::string tls_version;  // "TLSv1.3"
  // The server certificate's notAfter, when the server sent one (also after a refused one).
  std::optional<std::chrono::system_clock::time_point> certificate_expires;
};

// "2026-11-23": the UTC date of `when`, for certificate expiry in messages.
std::string format_date(std::chrono::system_clock::time_point when);

// Builds a DialTarget from uplink settings (the URL and proxy were validated with the config).
tl::expected<DialTarget, std::string> make_dial_target(const std::string& url,
                                                       const std::optional<std::string>& proxy,
                                                       const std::string& token);

boost::asio::awaitable<tl::expected<Dialed, DialError>> dial(boost::asio::ssl::context& tls,
                                                             const DialTarget& target);

// The steps of dial(), in its order, for `ferry check`, which reports each on a line of its own.
// Each fails with the same DialError dial() would.
using Endpoints = boost::asio::ip::tcp::resolver::results_type;

// Resolves the host to connect to: the proxy's when one is configured, else the tenant's.
boost::asio::awaitable<tl::expected<Endpoints, DialError>> resolve_step(const DialTarget& target);

// Opens TCP to one of `endpoints` (from resolve_step) within connect_timeout.
boost::asio::awaitable<tl::expected<boost::beast::tcp_stream, DialError>> connect_step(
    const DialTarget& target, const Endpoints& endpoints);

// Asks the proxy (target.proxy, which must be set) for a tunnel to the tenant.
boost::asio::awaitable<tl::expected<void, DialError>> tunnel_step(boost::beast::tcp_stream& stream,
                                                                  const DialTarget& target);

// TLS 1.3 over `stream` (connected to the tenant, or tunnelled to it): SNI, and the certificate
// checked against the URL's host. On success `ws` is ready for upgrade_step. On a certificate
// failure `expires` is the refused certificate's notAfter (when it got that far).
boost::asio::awaitable<tl::expected<Dialed, DialError>> tls_step(
    boost::asio::ssl::context& tls, boost::beast::tcp_stream stream, const DialTarget& target,
    std::optional<std::chrono::system_clock::time_point>* expires = nullptr);

// The WebSocket upgrade with the bearer token; checks that ferry.v1 was selected.
boost::asio::awaitable<tl::expected<void, DialError>> upgrade_step(WebSocket& ws,
                                                                   const DialTarget& target);

}  // namespace ferry::uplink
