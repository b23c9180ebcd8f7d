#include "agent/metrics/metrics_server.hpp"

#include <exception>
#include <optional>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include "common/log/log.hpp"

namespace ferry::metrics {
namespace {

namespace net = boost::asio;
namespace http = boost::beast::http;
using boost::system::error_code;
using net::ip::tcp;

// A scrape is a request line and a few headers; anything much larger is not one.
constexpr std::size_t kMaxHeader = 8 * 1024;
constexpr std::size_t kMaxBody = 4 * 1024;
constexpr std::string_view kPlainText = "text/plain; charset=utf-8";

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

Response text_response(const Request& request, http::status status, std::string_view content_type,
                       std::string body) {
  Response response(status, request.version());
  response.set(http::field::content_type, content_type);
  response.keep_alive(request.keep_alive());
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

Response answer(const Request& request, const std::function<std::string()>& render) {
  if (request.method() != http::verb::get) {
    Response response = text_response(request, http::status::method_not_allowed, kPlainText,
                                      "only GET is supported here\n");
    response.set(http::field::allow, "GET");
    return response;
  }
  const std::string_view target = request.target();
  const std::string_view path = target.substr(0, target.find('?'));
  if (path == "/metrics") return text_response(request, http::status::ok, kContentType, render());
  if (path == "/") {
    return text_response(request, http::status::ok, kPlainText,
                         "Ferry agent: the Prometheus metrics are at /metrics\n");
  }
  return text_response(request, http::status::not_found, kPlainText,
                       "not found: the metrics are at /metrics\n");
}

// "127.0.0.1:9464", "[::1]:9464": as agent.metrics spells it.
std::string address_text(const std::string& host, std::uint16_t port) {
  if (host.find(':') == std::string::npos) return fmt::format("{}:{}", host, port);
  return fmt::format("[{}]:{}", host, port);
}

std::string_view bind_hint(const error_code& ec) {
  if (ec == net::error::address_in_use) {
    return ": another program (another agent?) uses that port; choose another port in "
           "agent.metrics";
  }
  if (ec == boost::system::errc::address_not_available) return ": use 127.0.0.1 in agent.metrics";
  return "";
}

// A connection's coroutine should never throw; if it does, the server goes on without it.
void log_failure(std::exception_ptr failure) {
  if (!failure) return;
  try {
    std::rethrow_exception(failure);
  } catch (const std::exception& e) {
    log::get("metrics")->error("metrics connection failed: {}", e.what());
  } catch (...) {
    log::get("metrics")->error("metrics connection failed");
  }
}

// Counts a connection for as long as its coroutine lives.
class Counted {
 public:
  explicit Counted(std::size_t& count) : count_(count) { ++count_; }
  ~Counted() { --count_; }
  Counted(const Counted&) = delete;
  Counted& operator=(const Counted&) = delete;

 private:
  std::size_t& count_;
};

}  // namespace

struct MetricsServer::Impl {
  Impl(std::function<std::string()> render_metrics, ServerLimits server_limits)
      : limits(server_limits), render(std::move(render_metrics)) {}

  // One connection: requests answered in turn (keep-alive) until the client leaves, breaks the
  // limits or stays silent past the timeout.
  net::awaitable<void> serve(tcp::socket socket) {
    const Counted counted(connections);
    boost::beast::tcp_stream stream(std::move(socket));
    boost::beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.header_limit(kMaxHeader);
      parser.body_limit(kMaxBody);
      error_code ec;
      stream.expires_after(limits.timeout);
      co_await http::async_read(stream, buffer, parser,
                                net::redirect_error(net::use_awaitable, ec));
      if (ec) break;  // gone, silent too long, too large or not HTTP
      Response response = answer(parser.get(), render);
      stream.expires_after(limits.timeout);
      co_await http::async_write(stream, response, net::redirect_error(net::use_awaitable, ec));
      if (ec || !response.keep_alive()) break;
    }
    error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  net::awaitable<void> accept_loop() {
    for (;;) {
      error_code ec;
      tcp::socket socket =
          co_await acceptor->async_accept(net::redirect_error(net::use_awaitable, ec));
      if (ec == net::error::operation_aborted || !acceptor->is_open()) co_return;
      if (ec) {  // out of file descriptors, say: try again shortly rather than spin
        net::steady_timer pause(*io, std::chrono::milliseconds(100));
        co_await pause.async_wait(net::redirect_error(net::use_awaitable, ec));
        continue;
      }
      if (connections >= limits.max_connections) continue;  // `socket` closes as it goes
      net::co_spawn(*io, serve(std::move(socket)), log_failure);
    }
  }

  // Declared before the io_context: connections' coroutines touch them as it destroys them.
  ServerLimits limits;
  std::function<std::string()> render;
  std::size_t connections = 0;
  std::uint16_t port = 0;
  // Destroyed by stop(), which closes every connection still open with them.
  std::unique_ptr<net::io_context> io = std::make_unique<net::io_context>(1);
  std::optional<tcp::acceptor> acceptor{std::in_place, *io};
  std::thread thread;
};

Result<std::unique_ptr<MetricsServer>> MetricsServer::start(const std::string& host,
                                                            std::uint16_t port,
                                                            std::function<std::string()> render,
                                                            ServerLimits limits) {
  const std::string where = address_text(host, port);
  error_code ec;
  const net::ip::address address = net::ip::make_address(host, ec);
  if (ec) {
    return make_error(ErrorCode::kConfig, "agent.metrics {}: '{}' is not an IP address", where,
                      host);
  }
  auto impl = std::make_unique<Impl>(std::move(render), limits);
  const tcp::endpoint endpoint(address, port);
  tcp::acceptor& acceptor = *impl->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  // Lets a restarted agent listen again while the last run's connections linger in TIME_WAIT;
  // on Linux it never lets two sockets listen on one port.
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (!ec) impl->port = acceptor.local_endpoint(ec).port();
  if (ec) {
    return make_error(ErrorCode::kIo, "agent.metrics {}: cannot listen there: {}{}", where,
                      ec.message(), bind_hint(ec));
  }
  Impl* raw = impl.get();
  net::co_spawn(*raw->io, raw->accept_loop(), log_failure);
  raw->thread = std::thread([raw] { raw->io->run(); });
  return std::unique_ptr<MetricsServer>(new MetricsServer(std::move(impl)));
}

MetricsServer::MetricsServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

MetricsServer::~MetricsServer() { stop(); }

void MetricsServer::stop() {
  if (!impl_->thread.joinable()) return;
  impl_->io->stop();
  impl_->thread.join();
  impl_->acceptor.reset();
  impl_->io.reset();  // destroys the connections' coroutines, closing their sockets
}

std::uint16_t MetricsServer::port() const { return impl_->port; }

}  // namespace ferry::metrics
