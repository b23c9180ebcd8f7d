// The metrics endpoint scraped over HTTP on 127.0.0.1: GET /metrics answers the rendered text;
// other paths and methods are refused; idle, oversized or too many connections never hold up a
// later scrape; a taken port is refused by name; stop() closes everything at once.
#include "agent/metrics/metrics_server.hpp"

#include <atomic>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>

#include "agent/metrics/metrics.hpp"
#include "tests/netfault/wait_until.hpp"

using namespace ferry;
namespace net = boost::asio;
namespace http = boost::beast::http;
using boost::system::error_code;
using net::ip::tcp;
using namespace std::chrono_literals;

namespace {

tcp::endpoint loopback(std::uint16_t port) {
  return tcp::endpoint(net::ip::make_address("127.0.0.1"), port);
}

struct Reply {
  unsigned status = 0;
  std::string content_type;
  std::string allow;
  std::string body;
};

// One request on a fresh connection; nullopt when no whole answer came within 5 seconds.
std::optional<Reply> fetch(std::uint16_t port, http::verb verb = http::verb::get,
                           std::string target = "/metrics") {
  net::io_context io;
  std::optional<Reply> reply;
  auto exchange = [&]() -> net::awaitable<void> {
    boost::beast::tcp_stream stream(io);
    stream.expires_after(5s);
    error_code ec;
    co_await stream.async_connect(loopback(port), net::redirect_error(net::use_awaitable, ec));
    if (ec) co_return;
    http::request<http::empty_body> request(verb, target, 11);
    request.set(http::field::host, "127.0.0.1");
    request.keep_alive(false);
    co_await http::async_write(stream, request, net::redirect_error(net::use_awaitable, ec));
    if (ec) co_return;
    boost::beast::flat_buffer buffer;
    http::response<http::string_body> response;
    co_await http::async_read(stream, buffer, response,
                              net::redirect_error(net::use_awaitable, ec));
    if (ec) co_return;
    reply = Reply{response.result_int(), std::string(response[http::field::content_type]),
                  std::string(response[http::field::allow]), response.body()};
  };
  net::co_spawn(io, exchange, net::detached);
  io.run();
  return reply;
}

// Everything the server sends until it closes the connection; nullopt when it is still open
// after `deadline`.
std::optional<std::string> read_until_closed(net::io_context& io, tcp::socket& socket,
                                             std::chrono::milliseconds deadline = 5000ms) {
  std::string text;
  bool closed = false;
  net::async_read(socket, net::dynamic_buffer(text),
                  [&closed](error_code ec, std::size_t) { closed = static_cast<bool>(ec); });
  io.restart();
  io.run_for(deadline);
  if (!closed) {
    error_code ignored;
    socket.cancel(ignored);
    io.restart();
    io.run();
    return std::nullopt;
  }
  return text;
}

tcp::socket connect(net::io_context& io, std::uint16_t port) {
  tcp::socket socket(io);
  socket.connect(loopback(port));
  return socket;
}

void send(tcp::socket& socket, const std::string& text) {
  error_code ec;  // the server may close before reading it all: that is what some tests want
  net::write(socket, net::buffer(text), ec);
}

std::unique_ptr<metrics::MetricsServer> start(std::function<std::string()> render,
                                              metrics::ServerLimits limits = {}) {
  auto server = metrics::MetricsServer::start("127.0.0.1", 0, std::move(render), limits);
  REQUIRE(server);
  REQUIRE((*server)->port() != 0);
  return std::move(*server);
}

std::string small_exposition() {
  static const config::Settings settings;
  control::StatusInputs inputs;
  inputs.settings = &settings;
  return metrics::render_metrics(inputs);
}

}  // namespace

TEST_CASE("GET /metrics answers the rendered text with the Prometheus content type") {
  std::atomic<int> renders = 0;
  auto server = start([&renders] {
    ++renders;
    return small_exposition();
  });
  for (int i = 1; i <= 2; ++i) {
    const auto reply = fetch(server->port());
    REQUIRE(reply);
    CHECK(reply->status == 200);
    CHECK(reply->content_type == "text/plain; version=0.0.4; charset=utf-8");
    CHECK(reply->body.find("\nferry_build_info{version=\"" FERRY_VERSION "\"") !=
          std::string::npos);
    CHECK(renders == i);  // fresh numbers every scrape
  }
  const auto with_query = fetch(server->port(), http::verb::get, "/metrics?name[]=ferry_up");
  REQUIRE(with_query);
  CHECK(with_query->status == 200);
}

TEST_CASE("/ points to /metrics, other paths are 404 and other methods 405") {
  std::atomic<int> renders = 0;
  auto server = start([&renders] {
    ++renders;
    return std::string("ferry_x 1\n");
  });
  const auto root = fetch(server->port(), http::verb::get, "/");
  REQUIRE(root);
  CHECK(root->status == 200);
  CHECK(root->body.find("/metrics") != std::string::npos);
  const auto missing = fetch(server->port(), http::verb::get, "/metrics/extra");
  REQUIRE(missing);
  CHECK(missing->status == 404);
  for (const auto verb : {http::verb::post, http::verb::put, http::verb::delete_}) {
    const auto refused = fetch(server->port(), verb, "/metrics");
    REQUIRE(refused);
    CHECK(refused->status == 405);
    CHECK(refused->allow == "GET");
  }
  CHECK(renders == 0);
}

TEST_CASE("requests on one kept-alive connection are answered in turn") {
  auto server = start([] { return std::string("ferry_x 1\n"); });
  net::io_context io;
  tcp::socket socket = connect(io, server->port());
  send(socket,
       "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
       "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  const auto text = read_until_closed(io, socket);
  REQUIRE(text);
  const auto first = text->find("HTTP/1.1 200 OK");
  REQUIRE(first != std::string::npos);
  CHECK(text->find("HTTP/1.1 200 OK", first + 1) != std::string::npos);
}

TEST_CASE("an idle connection does not hold up a scrape, and is closed after the timeout") {
  metrics::ServerLimits limits;
  limits.timeout = 300ms;
  auto server = start([] { return std::string("ferry_x 1\n"); }, limits);
  net::io_context io;
  tcp::socket silent = connect(io, server->port());
  tcp::socket halfway = connect(io, server->port());
  send(halfway, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n");  // and never the blank line
  const auto reply = fetch(server->port());
  REQUIRE(reply);
  CHECK(reply->status == 200);
  const auto silent_got = read_until_closed(io, silent);
  REQUIRE(silent_got);
  CHECK(silent_got->empty());
  const auto halfway_got = read_until_closed(io, halfway);
  REQUIRE(halfway_got);
  CHECK(halfway_got->find("200 OK") == std::string::npos);
}

TEST_CASE("an oversized request is refused and a later scrape is served") {
  std::atomic<int> renders = 0;
  auto server = start([&renders] {
    ++renders;
    return std::string("ferry_x 1\n");
  });
  net::io_context io;
  tcp::socket socket = connect(io, server->port());
  send(socket, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Fill: " + std::string(20000, 'a') +
                   "\r\n\r\n");
  const auto text = read_until_closed(io, socket);
  REQUIRE(text);
  CHECK(text->find("200 OK") == std::string::npos);
  CHECK(renders == 0);
  const auto reply = fetch(server->port());
  REQUIRE(reply);
  CHECK(reply->status == 200);
}

TEST_CASE("connections beyond the limit are closed, and scrapes work again once one leaves") {
  metrics::ServerLimits limits;
  limits.max_connections = 2;
  auto server = start([] { return std::string("ferry_x 1\n"); }, limits);
  net::io_context io;
  tcp::socket first = connect(io, server->port());
  tcp::socket second = connect(io, server->port());
  // Both are counted once the server accepted them: a third is then closed unanswered.
  REQUIRE(test::wait_until([&] { return !fetch(server->port()); }));
  first.close();
  CHECK(test::wait_until([&] { return fetch(server->port()).has_value(); }));
}

TEST_CASE("a taken port is refused, naming the address and agent.metrics") {
  auto first = start([] { return std::string(); });
  auto second =
      metrics::MetricsServer::start("127.0.0.1", first->port(), [] { return std::string(); });
  REQUIRE_FALSE(second);
  CHECK(second.error().code == ErrorCode::kIo);
  const std::string& message = second.error().message;
  CHECK(message.rfind(
            "agent.metrics 127.0.0.1:" + std::to_string(first->port()) + ": cannot listen there: ",
            0) == 0);
  CHECK(message.find("choose another port") != std::string::npos);
  CHECK(fetch(first->port()).has_value());  // the first one is unharmed

  auto bad = metrics::MetricsServer::start("localhost.example", 9464, [] { return std::string(); });
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message ==
        "agent.metrics localhost.example:9464: 'localhost.example' is not an IP address");
}

TEST_CASE("stop() returns at once, closing open connections and the port") {
  auto server = start([] { return std::string("ferry_x 1\n"); });  // 10 s timeout
  const std::uint16_t port = server->port();
  net::io_context io;
  tcp::socket idle = connect(io, port);
  REQUIRE(fetch(port));
  const auto before = std::chrono::steady_clock::now();
  server->stop();
  CHECK(std::chrono::steady_clock::now() - before < 2s);
  const auto text = read_until_closed(io, idle, 2000ms);
  REQUIRE(text);
  CHECK(text->empty());
  CHECK_FALSE(fetch(port));
  server->stop();  // twice is harmless; so is the destructor after it
}
