#include "agent/uplink/dial.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "common/crypto/base64.hpp"

namespace ferry::uplink {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using boost::system::error_code;

tl::unexpected<DialError> failure(DialFailure kind, std::string message, unsigned http_status = 0) {
  return tl::unexpected<DialError>(DialError{kind, std::move(message), http_status});
}

// "host:port", with brackets around an IPv6 literal.
std::string authority(const std::string& host, std::uint16_t port) {
  if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

bool is_ip_literal(const std::string& host) {
  error_code ec;
  net::ip::make_address(host, ec);
  return !ec;
}

std::string certificate_hint(long verify_result, const DialTarget& target) {
  switch (verify_result) {
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return fmt::format(
          ": it is not issued for {}; check the host name in uplink.url (it must be a name the "
          "certificate lists)",
          target.host);
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return ": the tenant must renew its certificate (check this machine's clock too)";
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return ": check this machine's clock";
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
      return ": it does not chain to a trusted CA; set uplink.ca_file to the tenant's CA "
             "certificate (or, behind a TLS-inspecting proxy, to that proxy's CA)";
    default:
      return "";
  }
}

tl::unexpected<DialError> tls_failure(const error_code& ec, SSL* ssl, const DialTarget& target) {
  const long verify = SSL_get_verify_result(ssl);
  if (verify != X509_V_OK) {
    return failure(
        DialFailure::kCertificate,
        fmt::format("the server certificate of {} is not accepted: {}{}",
                    authority(target.host, target.port), X509_verify_cert_error_string(verify),
                    certificate_hint(verify, target)));
  }
  if (ec.category() == net::error::get_ssl_category()) {
    const int reason = ERR_GET_REASON(static_cast<unsigned long>(ec.value()));
    if (reason == SSL_R_UNSUPPORTED_PROTOCOL || reason == SSL_R_TLSV1_ALERT_PROTOCOL_VERSION ||
        reason == SSL_R_NO_PROTOCOLS_AVAILABLE || reason == SSL_R_WRONG_VERSION_NUMBER) {
      return failure(DialFailure::kTlsVersion,
                     fmt::format("{} does not offer TLS 1.3, and Ferry refuses older versions: "
                                 "the tenant must enable TLS 1.3 ({})",
                                 authority(target.host, target.port), ec.message()));
    }
  }
  return failure(DialFailure::kTls, fmt::format("TLS handshake with {} failed: {}",
                                                authority(target.host, target.port), ec.message()));
}

// Asks the proxy for a tunnel to the tenant; the stream is then a plain pipe to it.
net::awaitable<tl::expected<void, DialError>> open_tunnel(beast::tcp_stream& stream,
                                                          const DialTarget& target) {
  const config::Url& proxy = *target.proxy;
  const std::string where = authority(target.host, target.port);
  http::request<http::empty_body> request{http::verb::connect, where, 11};
  request.set(http::field::host, where);
  request.set(http::field::user_agent, "ferry/" FERRY_VERSION);
  if (!proxy.user.empty()) {
    const std::string credentials = proxy.user + ":" + proxy.password;
    request.set(http::field::proxy_authorization,
                "Basic " + crypto::base64_encode(crypto::ByteView(
                               reinterpret_cast<const std::uint8_t*>(credentials.data()),
                               credentials.size())));
  }
  error_code ec;
  co_await http::async_write(stream, request, net::redirect_error(net::use_awaitable, ec));
  const std::string proxy_at = authority(proxy.host, proxy.port);
  if (ec) {
    co_return failure(DialFailure::kProxy,
                      fmt::format("proxy {} (uplink.proxy): {}", proxy_at, ec.message()));
  }
  beast::flat_buffer buffer;
  http::response_parser<http::empty_body> parser;
  parser.skip(true);  // a CONNECT answer has no body: the tunnel follows
  co_await http::async_read_header(stream, buffer, parser,
                                   net::redirect_error(net::use_awaitable, ec));
  if (ec) {
    co_return failure(DialFailure::kProxy, fmt::format("proxy {} (uplink.proxy) gave no answer to "
                                                       "CONNECT {}: {}",
                                                       proxy_at, where, ec.message()));
  }
  const unsigned status = parser.get().result_int();
  if (status == 407) {
    co_return failure(
        DialFailure::kProxy,
        fmt::format("proxy {} refused the credentials (HTTP 407): {}", proxy_at,
                    proxy.user.empty() ? "it needs a user and password in uplink.proxy "
                                         "(http://user:pass@host:port)"
                                       : "check the user and password in uplink.proxy"));
  }
  if (status < 200 || status > 299) {
    co_return failure(DialFailure::kProxy,
                      fmt::format("proxy {} refused CONNECT {} (HTTP {} {}): ask the network "
                                  "administrator to allow it",
                                  proxy_at, where, status, std::string(parser.get().reason())));
  }
  if (buffer.size() != 0) {
    co_return failure(DialFailure::kProxy,
                      fmt::format("proxy {} sent data before the tunnel was used", proxy_at));
  }
  co_return tl::expected<void, DialError>{};
}

}  // namespace

bool is_refusal(const DialError& error) {
  switch (error.kind) {
    case DialFailure::kUnauthorized:
    case DialFailure::kCertificate:
    case DialFailure::kTlsVersion:
    case DialFailure::kSubprotocol:
      return true;
    case DialFailure::kUpgrade:
      return error.http_status >= 400 && error.http_status < 500 && error.http_status != 408 &&
             error.http_status != 429;
    default:
      return false;
  }
}

tl::expected<DialTarget, std::string> make_dial_target(const std::string& url,
                                                       const std::optional<std::string>& proxy,
                                                       const std::string& token) {
  auto parsed = config::parse_url(url);
  if (!parsed) return tl::unexpected("uplink.url: " + parsed.error().message);
  DialTarget target;
  target.url = url;
  target.host = parsed->host;
  target.port = parsed->port != 0 ? parsed->port : 443;
  target.path = parsed->target.empty() ? "/" : parsed->target;
  target.token = token;
  if (proxy) {
    auto proxy_url = config::parse_url(*proxy);
    if (!proxy_url) return tl::unexpected("uplink.proxy: " + proxy_url.error().message);
    target.proxy = std::move(*proxy_url);
  }
  return target;
}

net::awaitable<tl::expected<Dialed, DialError>> dial(net::ssl::context& tls,
                                                     const DialTarget& target) {
  auto executor = co_await net::this_coro::executor;
  error_code ec;
  const bool via_proxy = target.proxy.has_value();
  const std::string& connect_host = via_proxy ? target.proxy->host : target.host;
  const std::uint16_t connect_port = via_proxy ? target.proxy->port : target.port;
  const char* what = via_proxy ? " (uplink.proxy)" : "";

  tcp::resolver resolver(executor);
  auto endpoints = co_await resolver.async_resolve(connect_host, std::to_string(connect_port),
                                                   net::redirect_error(net::use_awaitable, ec));
  if (ec) {
    co_return failure(DialFailure::kResolve,
                      fmt::format("cannot resolve {}{}: {}", connect_host, what, ec.message()));
  }
  beast::tcp_stream stream(executor);
  stream.expires_after(target.connect_timeout);
  co_await stream.async_connect(endpoints, net::redirect_error(net::use_awaitable, ec));
  if (ec) {
    co_return failure(
        DialFailure::kConnect,
        fmt::format("cannot connect to {}{}: {}", authority(connect_host, connect_port), what,
                    ec == beast::error::timeout ? "no answer (timed out)" : ec.message()));
  }
  stream.socket().set_option(tcp::no_delay(true), ec);
  if (via_proxy) {
    auto tunnel = co_await open_tunnel(stream, target);
    if (!tunnel) co_return tl::unexpected(tunnel.error());
  }

  auto ws = std::make_unique<WebSocket>(std::move(stream), tls);
  SSL* ssl = ws->next_layer().native_handle();
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  // The name (or address) the certificate must carry, and SNI for names. A host OpenSSL cannot
  // check (an IPv6 literal with a zone, say) is refused rather than checked by chain alone.
  bool identity_set = false;
  if (is_ip_literal(target.host)) {
    identity_set = X509_VERIFY_PARAM_set1_ip_asc(param, target.host.c_str()) == 1;
  } else {
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    identity_set = SSL_set_tlsext_host_name(ssl, target.host.c_str()) == 1 &&
                   X509_VERIFY_PARAM_set1_host(param, target.host.c_str(), 0) == 1;
  }
  if (!identity_set) {
    ERR_clear_error();
    co_return failure(DialFailure::kCertificate,
                      fmt::format("cannot check the server certificate against the host '{}' of "
                                  "uplink.url: use a DNS name or a plain IP address",
                                  target.host));
  }
  beast::get_lowest_layer(*ws).expires_after(target.connect_timeout);
  co_await ws->next_layer().async_handshake(net::ssl::stream_base::client,
                                            net::redirect_error(net::use_awaitable, ec));
  if (ec) co_return tls_failure(ec, ssl, target);
  ERR_clear_error();

  // From here the WebSocket keeps its own time: a handshake deadline, then pings when idle.
  beast::get_lowest_layer(*ws).expires_never();
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = target.connect_timeout;
  timeouts.idle_timeout = target.idle_timeout;
  timeouts.keep_alive_pings = true;
  ws->set_option(timeouts);
  ws->set_option(
      websocket::stream_base::decorator([token = target.token](websocket::request_type& request) {
        request.set(http::field::authorization, "Bearer " + token);
        request.set(http::field::sec_websocket_protocol, kProtocolName);
        request.set(http::field::user_agent, "ferry/" FERRY_VERSION);
      }));
  ws->read_message_max(1024 * 1024);
  websocket::response_type response;
  const std::string host_header = target.port == 443 && target.host.find(':') == std::string::npos
                                      ? target.host
                                      : authority(target.host, target.port);
  co_await ws->async_handshake(response, host_header, target.path,
                               net::redirect_error(net::use_awaitable, ec));
  if (ec == websocket::error::upgrade_declined || (!ec && response.result_int() != 101)) {
    if (response.result_int() == 401) {
      co_return failure(DialFailure::kUnauthorized,
                        "the tenant rejected the agent token (HTTP 401): check uplink.token (or "
                        "uplink.token_file) against the token the tenant issued for this agent",
                        401);
    }
    co_return failure(
        DialFailure::kUpgrade,
        fmt::format("{} answered HTTP {} {} instead of opening a WebSocket: is "
                    "uplink.url the tenant's agent endpoint?",
                    target.url, response.result_int(), std::string(response.reason())),
        response.result_int());
  }
  if (ec) {
    co_return failure(DialFailure::kUpgrade,
                      fmt::format("WebSocket upgrade at {} failed: {}", target.url, ec.message()));
  }
  if (response[http::field::sec_websocket_protocol] != kProtocolName) {
    co_return failure(
        DialFailure::kSubprotocol,
        fmt::format("{} opened a WebSocket without selecting the ferry.v1 "
                    "subprotocol: it does not speak the Ferry protocol (is uplink.url "
                    "the tenant's agent endpoint?)",
                    target.url));
  }
  Dialed dialed;
  dialed.tls_version = SSL_get_version(ssl);
  dialed.ws = std::move(ws);
  co_return dialed;
}

}  // namespace ferry::uplink
