#include "agent/uplink/dial.hpp"

#include <chrono>
#include <memory>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/verify_context.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "common/http/tunnel.hpp"
#include "common/log/printable.hpp"

namespace ferry::uplink {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace http_client = ferry::http;
using tcp = net::ip::tcp;
using boost::system::error_code;

tl::unexpected<DialError> failure(DialFailure kind, std::string message, unsigned http_status = 0) {
  return tl::unexpected<DialError>(DialError{kind, std::move(message), http_status});
}

using http_client::authority;
using http_client::set_identity;

using TimePoint = std::chrono::system_clock::time_point;

// "3 days ago", "in 12 days", "today": whole days passed, or whole days left.
std::string days_from_now(TimePoint when) {
  const auto now = std::chrono::system_clock::now();
  if (when < now) {
    const auto days = std::chrono::floor<std::chrono::days>(now - when).count();
    return days == 0 ? "today" : fmt::format("{} day{} ago", days, days == 1 ? "" : "s");
  }
  const auto days = std::chrono::floor<std::chrono::days>(when - now).count();
  return days == 0 ? "today" : fmt::format("in {} day{}", days, days == 1 ? "" : "s");
}

std::string certificate_hint(long verify_result, const DialTarget& target,
                             const std::optional<TimePoint>& expires, const std::string& issuer) {
  switch (verify_result) {
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return fmt::format(
          ": it is not issued for {}; check the host name in uplink.url (it must be a name the "
          "certificate lists)",
          target.host);
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return fmt::format(
          "{}: the tenant must renew its certificate (check this machine's clock too)",
          expires
              ? fmt::format(" (expired {}, on {})", days_from_now(*expires), format_date(*expires))
              : "");
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return ": check this machine's clock";
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE: {
      const std::string by = issuer.empty() ? "" : fmt::format(" (it is issued by {})", issuer);
      if (target.ca_file) {
        return fmt::format(
            ": it does not chain to a trusted CA in uplink.ca_file {}{}: put the tenant's CA "
            "certificate in that file (or, behind a TLS-inspecting proxy, that proxy's CA)",
            target.ca_file->string(), by);
      }
      return fmt::format(
          ": it does not chain to a trusted CA of this machine's trust store{}; set "
          "uplink.ca_file to the tenant's CA certificate (or, behind a TLS-inspecting proxy, to "
          "that proxy's CA)",
          by);
    }
    default:
      return "";
  }
}

tl::unexpected<DialError> tls_failure(const error_code& ec, SSL* ssl, const DialTarget& target,
                                      const std::optional<TimePoint>& expires,
                                      const std::string& issuer) {
  const long verify = SSL_get_verify_result(ssl);
  if (verify != X509_V_OK) {
    return failure(
        DialFailure::kCertificate,
        fmt::format("the server certificate of {} is not accepted: {}{}",
                    authority(target.host, target.port), X509_verify_cert_error_string(verify),
                    certificate_hint(verify, target, expires, issuer)));
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

// "CN=Some CA,O=..." (RFC 2253), or "" when it cannot be printed.
std::string name_of(const X509_NAME* name) {
  if (name == nullptr) return {};
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr) return {};
  std::string text;
  if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0) {
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    if (size > 0) text.assign(data, static_cast<std::size_t>(size));
  }
  BIO_free(bio);
  return text;
}

std::optional<TimePoint> not_after_of(X509* certificate) {
  const ASN1_TIME* not_after = X509_get0_notAfter(certificate);
  int days = 0;
  int seconds = 0;
  const auto now = std::chrono::system_clock::now();
  if (not_after == nullptr || ASN1_TIME_diff(&days, &seconds, nullptr, not_after) != 1) {
    return std::nullopt;
  }
  return std::chrono::time_point_cast<TimePoint::duration>(now + std::chrono::days(days) +
                                                           std::chrono::seconds(seconds));
}

// Where the first TCP connection goes: the proxy when there is one, else the tenant.
struct Hop {
  std::string host;
  std::uint16_t port = 0;
  const char* what = "";  // " (uplink.proxy)" for the proxy, for messages
};

Hop first_hop(const DialTarget& target) {
  if (target.proxy) return {target.proxy->host, target.proxy->port, " (uplink.proxy)"};
  return {target.host, target.port, ""};
}

// Asks the proxy for a tunnel to the tenant; the stream is then a plain pipe to it.
net::awaitable<tl::expected<void, DialError>> open_tunnel(beast::tcp_stream& stream,
                                                          const DialTarget& target) {
  auto tunnel = co_await http_client::open_tunnel(stream, *target.proxy, target.host, target.port,
                                                  "uplink.proxy");
  if (!tunnel) {
    co_return failure(
        tunnel.error().credentials_refused ? DialFailure::kProxyAuth : DialFailure::kProxy,
        std::move(tunnel.error().message));
  }
  co_return tl::expected<void, DialError>{};
}

}  // namespace

std::string format_date(std::chrono::system_clock::time_point when) {
  const auto day = std::chrono::floor<std::chrono::days>(when);
  const std::chrono::year_month_day date{day};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
}

bool is_refusal(const DialError& error) {
  switch (error.kind) {
    case DialFailure::kUnauthorized:
    case DialFailure::kProxyAuth:
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

net::awaitable<tl::expected<Endpoints, DialError>> resolve_step(const DialTarget& target) {
  const Hop hop = first_hop(target);
  tcp::resolver resolver(co_await net::this_coro::executor);
  error_code ec;
  auto endpoints = co_await resolver.async_resolve(hop.host, std::to_string(hop.port),
                                                   net::redirect_error(net::use_awaitable, ec));
  if (ec) {
    co_return failure(DialFailure::kResolve,
                      fmt::format("cannot resolve {}{}: {}", hop.host, hop.what, ec.message()));
  }
  co_return endpoints;
}

net::awaitable<tl::expected<beast::tcp_stream, DialError>> connect_step(
    const DialTarget& target, const Endpoints& endpoints) {
  const Hop hop = first_hop(target);
  beast::tcp_stream stream(co_await net::this_coro::executor);
  stream.expires_after(target.connect_timeout);
  error_code ec;
  co_await stream.async_connect(endpoints, net::redirect_error(net::use_awaitable, ec));
  if (ec) {
    co_return failure(
        DialFailure::kConnect,
        fmt::format("cannot connect to {}{}: {}", authority(hop.host, hop.port), hop.what,
                    ec == beast::error::timeout ? "no answer (timed out)" : ec.message()));
  }
  stream.socket().set_option(tcp::no_delay(true), ec);
  co_return stream;
}

net::awaitable<tl::expected<void, DialError>> tunnel_step(beast::tcp_stream& stream,
                                                          const DialTarget& target) {
  stream.expires_after(target.connect_timeout);
  co_return co_await open_tunnel(stream, target);
}

net::awaitable<tl::expected<Dialed, DialError>> tls_step(net::ssl::context& tls,
                                                         beast::tcp_stream stream,
                                                         const DialTarget& target,
                                                         std::optional<TimePoint>* expires) {
  auto ws = std::make_unique<WebSocket>(std::move(stream), tls);
  SSL* ssl = ws->next_layer().native_handle();
  if (!set_identity(ssl, target.host)) {
    ERR_clear_error();
    co_return failure(DialFailure::kCertificate,
                      fmt::format("cannot check the server certificate against the host '{}' of "
                                  "uplink.url: use a DNS name or a plain IP address",
                                  target.host));
  }
  // Only records the certificate's expiry; the verdict stays OpenSSL's (chain, host, dates).
  auto seen = std::make_shared<std::optional<TimePoint>>();
  auto issuer = std::make_shared<std::string>();  // of the server's certificate, for messages
  error_code ec;
  ws->next_layer().set_verify_callback(
      [seen, issuer](bool preverified, net::ssl::verify_context& context) {
        if (X509* leaf = X509_STORE_CTX_get0_cert(context.native_handle())) {
          *seen = not_after_of(leaf);
          *issuer = name_of(X509_get_issuer_name(leaf));
        }
        return preverified;
      },
      ec);
  beast::get_lowest_layer(*ws).expires_after(target.connect_timeout);
  co_await ws->next_layer().async_handshake(net::ssl::stream_base::client,
                                            net::redirect_error(net::use_awaitable, ec));
  if (expires != nullptr) *expires = *seen;
  if (ec) co_return tls_failure(ec, ssl, target, *seen, *issuer);
  ERR_clear_error();
  beast::get_lowest_layer(*ws).expires_never();
  Dialed dialed;
  dialed.tls_version = SSL_get_version(ssl);
  dialed.certificate_expires = *seen;
  dialed.ws = std::move(ws);
  co_return dialed;
}

net::awaitable<tl::expected<void, DialError>> upgrade_step(WebSocket& ws,
                                                           const DialTarget& target) {
  // From here the WebSocket keeps its own time: a handshake deadline, then pings when idle.
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = target.connect_timeout;
  timeouts.idle_timeout = target.idle_timeout;
  timeouts.keep_alive_pings = true;
  ws.set_option(timeouts);
  ws.set_option(
      websocket::stream_base::decorator([token = target.token](websocket::request_type& request) {
        request.set(http::field::authorization, "Bearer " + token);
        request.set(http::field::sec_websocket_protocol, kProtocolName);
        request.set(http::field::user_agent, "ferry/" FERRY_VERSION);
      }));
  ws.read_message_max(1024 * 1024);
  websocket::response_type response;
  const std::string host_header = target.port == 443 && target.host.find(':') == std::string::npos
                                      ? target.host
                                      : authority(target.host, target.port);
  error_code ec;
  co_await ws.async_handshake(response, host_header, target.path,
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
                    target.url, response.result_int(), log::printable(response.reason())),
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
  co_return tl::expected<void, DialError>{};
}

net::awaitable<tl::expected<Dialed, DialError>> dial(net::ssl::context& tls,
                                                     const DialTarget& target) {
  auto endpoints = co_await resolve_step(target);
  if (!endpoints) co_return tl::unexpected(endpoints.error());
  auto stream = co_await connect_step(target, *endpoints);
  if (!stream) co_return tl::unexpected(stream.error());
  if (target.proxy) {
    auto tunnel = co_await tunnel_step(*stream, target);
    if (!tunnel) co_return tl::unexpected(tunnel.error());
  }
  auto dialed = co_await tls_step(tls, std::move(*stream), target);
  if (!dialed) co_return tl::unexpected(dialed.error());
  auto upgraded = co_await upgrade_step(*dialed->ws, target);
  if (!upgraded) co_return tl::unexpected(upgraded.error());
  co_return dialed;
}

}  // namespace ferry::uplink
