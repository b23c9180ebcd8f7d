#include "common/http/tunnel.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>
#include <openssl/x509v3.h>

#include "common/crypto/base64.hpp"
#include "common/crypto/bytes.hpp"
#include "common/log/printable.hpp"

namespace ferry::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using boost::system::error_code;

tl::unexpected<TunnelError> refused(bool credentials, std::string message) {
  return tl::unexpected<TunnelError>(TunnelError{credentials, std::move(message)});
}

}  // namespace

std::string authority(std::string_view host, std::uint16_t port) {
  if (host.find(':') != std::string_view::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

bool is_ip_literal(const std::string& host) {
  error_code ec;
  net::ip::make_address(host, ec);
  return !ec;
}

bool set_identity(SSL* ssl, const std::string& host) {
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  if (is_ip_literal(host)) return X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1;
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  return SSL_set_tlsext_host_name(ssl, host.c_str()) == 1 &&
         X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0) == 1;
}

net::awaitable<tl::expected<void, TunnelError>> open_tunnel(beast::tcp_stream& stream,
                                                            const config::Url& proxy,
                                                            const std::string& host,
                                                            std::uint16_t port,
                                                            std::string_view setting) {
  const std::string where = authority(host, port);
  bhttp::request<bhttp::empty_body> request{bhttp::verb::connect, where, 11};
  request.set(bhttp::field::host, where);
  request.set(bhttp::field::user_agent, "ferry/" FERRY_VERSION);
  if (!proxy.user.empty()) {
    std::string credentials = proxy.user + ":" + proxy.password;
    request.set(bhttp::field::proxy_authorization,
                "Basic " + crypto::base64_encode(crypto::as_bytes(credentials)));
    crypto::secure_wipe(credentials.data(), credentials.size());
  }
  error_code ec;
  co_await bhttp::async_write(stream, request, net::redirect_error(net::use_awaitable, ec));
  const std::string proxy_at = authority(proxy.host, proxy.port);
  if (ec)
    co_return refused(false, fmt::format("proxy {} ({}): {}", proxy_at, setting, ec.message()));
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::empty_body> parser;
  parser.skip(true);  // a CONNECT answer has no body: the tunnel follows
  co_await bhttp::async_read_header(stream, buffer, parser,
                                    net::redirect_error(net::use_awaitable, ec));
  if (ec) {
    co_return refused(false, fmt::format("proxy {} ({}) gave no answer to CONNECT {}: {}", proxy_at,
                                         setting, where, ec.message()));
  }
  const unsigned status = parser.get().result_int();
  if (status == 407) {
    co_return refused(true,
                      fmt::format("proxy {} refused the credentials (HTTP 407): {}", proxy_at,
                                  proxy.user.empty()
                                      ? fmt::format("it needs a user and password in {} "
                                                    "(http://user:pass@host:port)",
                                                    setting)
                                      : fmt::format("check the user and password in {}", setting)));
  }
  if (status < 200 || status > 299) {
    co_return refused(false,
                      fmt::format("proxy {} refused CONNECT {} (HTTP {} {}): ask the network "
                                  "administrator to allow it",
                                  proxy_at, where, status, log::printable(parser.get().reason())));
  }
  if (buffer.size() != 0) {
    co_return refused(false,
                      fmt::format("proxy {} sent data before the tunnel was used", proxy_at));
  }
  co_return tl::expected<void, TunnelError>{};
}

}  // namespace ferry::http
