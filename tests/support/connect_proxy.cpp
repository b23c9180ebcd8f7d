#include "tests/support/connect_proxy.hpp"

#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>

#include "common/crypto/base64.hpp"
#include "common/crypto/bytes.hpp"

namespace ferry::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using boost::system::error_code;

constexpr std::size_t kMaxHead = 8 * 1024;
constexpr std::size_t kChunk = 16 * 1024;
constexpr auto kHeadTimeout = std::chrono::seconds(10);
constexpr auto kDrainTimeout = std::chrono::seconds(5);

// What sessions share with the proxy.
struct Core {
  asio::io_context io;
  std::string expected_credentials;  // base64(user:pass), or "" when no auth is required
  std::atomic<std::uint64_t> connects_ok{0};
  std::atomic<std::uint64_t> auth_failures{0};
  mutable std::mutex head_mutex;
  std::string last_head;  // guarded by head_mutex
};

std::string answer(int status, std::string_view reason, bool close,
                   std::string_view extra_fields = "") {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\n";
  out += extra_fields;
  out += "Content-Length: 0\r\n";
  if (close) out += "Connection: close\r\n";
  out += "\r\n";
  return out;
}

// "Basic <credentials>", the scheme in any case, as RFC 9110 section 11.1 allows.
bool authorized(std::string_view field, std::string_view expected_credentials) {
  const std::size_t space = field.find(' ');
  if (space == std::string_view::npos) return false;
  if (!beast::iequals(field.substr(0, space), "basic")) return false;
  std::string_view credentials = field.substr(space + 1);
  while (!credentials.empty() && credentials.front() == ' ') credentials.remove_prefix(1);
  while (!credentials.empty() && credentials.back() == ' ') credentials.remove_suffix(1);
  return credentials == expected_credentials;
}

struct Target {
  int status = 0;  // 0: allowed; else the HTTP status to refuse with
  tcp::endpoint endpoint;
};

// Authority form "host:port" or "[v6]:port". Loopback addresses and "localhost" only.
Target check_target(std::string_view target) {
  std::string_view host;
  std::string_view port_text;
  if (target.starts_with('[')) {
    const std::size_t close = target.find(']');
    if (close == std::string_view::npos || target.substr(close + 1, 1) != ":") return {400, {}};
    host = target.substr(1, close - 1);
    port_text = target.substr(close + 2);
  } else {
    const std::size_t colon = target.rfind(':');
    if (colon == std::string_view::npos) return {400, {}};
    host = target.substr(0, colon);
    port_text = target.substr(colon + 1);
  }
  unsigned port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
      port > 65535 || host.empty()) {
    return {400, {}};
  }
  asio::ip::address address;
  if (beast::iequals(host, "localhost")) {
    address = asio::ip::address_v4::loopback();
  } else {
    error_code parse_error;
    address = asio::ip::make_address(std::string(host), parse_error);
    if (parse_error) return {403, {}};  // a name other than localhost: never resolved
  }
  if (!address.is_loopback()) return {403, {}};
  return {0, tcp::endpoint(address, static_cast<std::uint16_t>(port))};
}

// One client connection: request heads until a tunnel is set up or refused, then the relay.
// Kept alive by its pending handlers; runs on the proxy thread only.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Core& core, tcp::socket socket)
      : core_(core), client_(std::move(socket)), upstream_(core.io) {}

  void start() { read_head(); }

 private:
  void read_head() {
    client_.expires_after(kHeadTimeout);
    asio::async_read_until(client_, asio::dynamic_buffer(input_, kMaxHead), "\r\n\r\n",
                           [self = shared_from_this()](const error_code& ec, std::size_t size) {
                             self->on_head(ec, size);
                           });
  }

  void on_head(const error_code& ec, std::size_t size) {
    if (ec == asio::error::not_found) {  // no blank line within kMaxHead bytes
      respond(answer(431, "Request Header Fields Too Large", true), After::kClose);
      return;
    }
    if (ec) {
      client_.close();
      return;
    }
    const std::string head = input_.substr(0, size);
    input_.erase(0, size);  // what follows the head belongs to the tunnel

    http::request_parser<http::empty_body> parser;
    error_code parse_error;
    parser.put(asio::buffer(head), parse_error);
    if (parse_error || !parser.is_header_done()) {
      respond(answer(400, "Bad Request", true), After::kClose);
      return;
    }
    const auto& request = parser.get();
    if (request.method() != http::verb::connect) {
      respond(answer(405, "Method Not Allowed", true, "Allow: CONNECT\r\n"), After::kClose);
      return;
    }
    {
      const std::lock_guard lock(core_.head_mutex);
      core_.last_head = head;
    }
    if (!core_.expected_credentials.empty() &&
        !authorized(request[http::field::proxy_authorization], core_.expected_credentials)) {
      ++core_.auth_failures;
      const bool keep_alive = request.keep_alive();
      respond(answer(407, "Proxy Authentication Required", !keep_alive,
                     "Proxy-Authenticate: Basic realm=\"ferry-test\"\r\n"),
              keep_alive ? After::kReadNext : After::kClose);
      return;
    }
    const Target target = check_target(request.target());
    if (target.status == 400) {
      respond(answer(400, "Bad Request", true), After::kClose);
      return;
    }
    if (target.status == 403) {
      respond(answer(403, "Forbidden", true), After::kClose);
      return;
    }
    upstream_.async_connect(target.endpoint,
                            [self = shared_from_this()](const error_code& connect_error) {
                              self->on_connect(connect_error);
                            });
  }

  void on_connect(const error_code& ec) {
    if (ec) {
      respond(answer(502, "Bad Gateway", true), After::kClose);
      return;
    }
    ++core_.connects_ok;
    respond("HTTP/1.1 200 Connection established\r\n\r\n", After::kRelay);
  }

  enum class After { kClose, kReadNext, kRelay };

  void respond(std::string text, After after) {
    output_ = std::move(text);
    client_.expires_after(kHeadTimeout);
    asio::async_write(client_, asio::buffer(output_),
                      [self = shared_from_this(), after](const error_code& ec, std::size_t) {
                        self->on_respond(ec, after);
                      });
  }

  void on_respond(const error_code& ec, After after) {
    if (ec) {
      close_both();
      return;
    }
    switch (after) {
      case After::kClose:
        linger_close();
        return;
      case After::kReadNext:
        read_head();
        return;
      case After::kRelay:
        start_relay();
        return;
    }
  }

  // Sends FIN, then reads and drops whatever the client still sends until it closes too, so the
  // kernel does not answer unread data with an RST that could destroy our answer in flight.
  void linger_close() {
    error_code ignored;
    client_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    client_.expires_after(kDrainTimeout);
    drain();
  }

  void drain() {
    client_.async_read_some(asio::buffer(buffers_[0]),
                            [self = shared_from_this()](const error_code& ec, std::size_t) {
                              if (ec) {
                                self->client_.close();
                                return;
                              }
                              self->drain();
                            });
  }

  // Relay: direction 0 is client to target, 1 is target to client.
  tcp::socket& from(int direction) { return direction == 0 ? client_.socket() : upstream_; }
  tcp::socket& to(int direction) { return direction == 0 ? upstream_ : client_.socket(); }

  void start_relay() {
    client_.expires_never();
    read(1);
    if (input_.empty()) {
      read(0);
      return;
    }
    // Bytes the client sent right behind the head go first.
    asio::async_write(upstream_, asio::buffer(input_),
                      [self = shared_from_this()](const error_code& ec, std::size_t) {
                        self->input_.clear();
                        self->on_write(0, ec);
                      });
  }

  void read(int direction) {
    from(direction).async_read_some(
        asio::buffer(buffers_[direction]),
        [self = shared_from_this(), direction](const error_code& ec, std::size_t size) {
          self->on_read(direction, ec, size);
        });
  }

  void on_read(int direction, const error_code& ec, std::size_t size) {
    if (closed_) return;
    if (ec == asio::error::eof) {
      error_code ignored;
      to(direction).shutdown(tcp::socket::shutdown_send, ignored);
      ended_[direction] = true;
      if (ended_[0] && ended_[1]) close_both();
      return;
    }
    if (ec) {
      close_both();
      return;
    }
    asio::async_write(
        to(direction), asio::buffer(buffers_[direction].data(), size),
        [self = shared_from_this(), direction](const error_code& write_error, std::size_t) {
          self->on_write(direction, write_error);
        });
  }

  void on_write(int direction, const error_code& ec) {
    if (closed_) return;
    if (ec) {
      close_both();
      return;
    }
    read(direction);
  }

  void close_both() {
    closed_ = true;
    error_code ignored;
    client_.socket().close(ignored);
    upstream_.close(ignored);
  }

  Core& core_;
  beast::tcp_stream client_;
  tcp::socket upstream_;
  std::string input_;   // received from the client, not yet parsed or relayed
  std::string output_;  // the answer being written
  bool closed_ = false;
  std::array<bool, 2> ended_{};
  std::array<std::array<char, kChunk>, 2> buffers_{};
};

}  // namespace

struct ConnectProxy::Impl {
  Core core;  // first: its io_context outlives the acceptor
  tcp::acceptor acceptor{core.io};
  std::uint16_t port = 0;
  std::thread thread;

  void accept() {
    acceptor.async_accept([this](const error_code& ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) std::make_shared<Session>(core, std::move(socket))->start();
      accept();
    });
  }
};

ConnectProxy::ConnectProxy(std::string required_auth) : impl_(std::make_unique<Impl>()) {
  if (!required_auth.empty()) {
    impl_->core.expected_credentials = crypto::base64_encode(crypto::as_bytes(required_auth));
  }
  const auto loopback = asio::ip::address_v4::loopback();
  impl_->acceptor.open(tcp::v4());
  impl_->acceptor.bind(tcp::endpoint(loopback, 0));
  impl_->acceptor.listen();
  impl_->port = impl_->acceptor.local_endpoint().port();
  impl_->accept();
  impl_->thread = std::thread([impl = impl_.get()] { impl->core.io.run(); });
}

ConnectProxy::~ConnectProxy() {
  // Sessions live only in pending handlers: destroying the io_context (with Impl) frees them and
  // closes their sockets.
  impl_->core.io.stop();
  impl_->thread.join();
}

std::uint16_t ConnectProxy::port() const { return impl_->port; }

std::uint64_t ConnectProxy::connects_ok() const { return impl_->core.connects_ok.load(); }

std::uint64_t ConnectProxy::auth_failures() const { return impl_->core.auth_failures.load(); }

std::string ConnectProxy::last_request_head() const {
  const std::lock_guard lock(impl_->core.head_mutex);
  return impl_->core.last_head;
}

}  // namespace ferry::test
