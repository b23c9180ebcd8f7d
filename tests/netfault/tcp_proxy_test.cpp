#include "tests/support/tcp_proxy.hpp"

#include <catch2/catch.hpp>

#include "tests/netfault/echo_server.hpp"
#include "tests/netfault/test_client.hpp"
#include "tests/netfault/wait_until.hpp"

namespace ferry::test {
namespace {

namespace asio = boost::asio;
using Mode = TcpProxy::Mode;
using std::chrono::milliseconds;

// Proving silence means waiting: a black hole is "nothing arrived within a time". 300 ms is
// thousands of times a loopback round trip and a proxy handler turn, so a proxy that leaks data or
// a FIN shows it well within it. The check is one-sided: a slow machine can only make a leaking
// proxy look silent, never make a silent one fail.
constexpr milliseconds kSilence{300};

// Connects through the proxy and checks one echo round trip.
void round_trip(TestClient& client, std::uint16_t port, std::string_view message) {
  REQUIRE_FALSE(client.connect(port));
  REQUIRE_FALSE(client.write(message));
  const ReadResult echo = client.read(message.size());
  INFO(echo.error.message());
  REQUIRE(echo.data == message);
}

// For a proxy that resets a connection right after accepting it: the reset can beat the client's
// connect completion (connect then fails with it) or come after (the first read gets it).
void expect_reset_on_arrival(TestClient& client, std::uint16_t port) {
  const boost::system::error_code connected = client.connect(port);
  INFO(connected.message());
  if (connected) {
    CHECK(connected == asio::error::connection_reset);
    return;
  }
  const ReadResult end = client.read_to_end();
  INFO(end.error.message());
  CHECK(end.error == asio::error::connection_reset);
  CHECK(end.data.empty());
}

TEST_CASE("tcp_proxy forwards both ways and passes a half-close on") {
  EchoServer echo;
  TcpProxy proxy(echo.port());
  TestClient client;
  round_trip(client, proxy.port(), "hello");
  CHECK(proxy.connections_accepted() == 1);
  CHECK(proxy.bytes_forwarded() == 10);  // 5 each way

  // FIN from the client reaches the echo server, whose FIN comes back as EOF.
  client.shutdown_send();
  const ReadResult end = client.read_to_end();
  INFO(end.error.message());
  CHECK(end.error == asio::error::eof);
  CHECK(end.data.empty());
  CHECK(echo.accepted() == 1);
}

TEST_CASE("tcp_proxy in refuse mode accepts and closes at once, without contacting the target") {
  EchoServer echo;
  TcpProxy proxy(echo.port());
  proxy.set_mode(Mode::kRefuse);
  TestClient refused;
  REQUIRE_FALSE(refused.connect(proxy.port()));
  const ReadResult end = refused.read_to_end();
  INFO(end.error.message());
  CHECK(end.error == asio::error::eof);
  CHECK(end.data.empty());
  CHECK(proxy.connections_accepted() == 1);
  CHECK(echo.accepted() == 0);  // refuse mode never connects upstream

  proxy.set_mode(Mode::kForward);
  TestClient later;
  round_trip(later, proxy.port(), "back");
}

TEST_CASE("tcp_proxy in refuse mode closes open connections") {
  EchoServer echo;
  TcpProxy proxy(echo.port());
  TestClient client;
  round_trip(client, proxy.port(), "open");
  proxy.set_mode(Mode::kRefuse);
  const ReadResult end = client.read_to_end();
  INFO(end.error.message());
  CHECK(end.error == asio::error::eof);
  CHECK(end.data.empty());
}

TEST_CASE("tcp_proxy cuts a new connection with RST after exactly N bytes") {
  EchoServer echo;
  TcpProxy proxy(echo.port());
  proxy.set_mode(Mode::kCutAfterBytes, 15);
  TestClient client;
  REQUIRE_FALSE(client.connect(proxy.port()));
  REQUIRE_FALSE(client.write("0123456789"));
  // 10 bytes go up, the echo brings 10 back: the proxy passes 5 of them and resets.
  const ReadResult end = client.read_to_end();
  INFO(end.error.message());
  CHECK(end.error == asio::error::connection_reset);
  CHECK(end.data == "01234");
  CHECK(proxy.bytes_forwarded() == 15);
  // The server side is reset too.
  CHECK(wait_until([&] { return echo.resets() == 1; }));
}

TEST_CASE("tcp_proxy cut with N = 0 resets right after accept") {
  EchoServer echo;
  TcpProxy proxy(echo.port());
  proxy.set_mode(Mode::kCutAfterBytes, 0);
  TestClient client;
  expect_reset_on_arrival(client, proxy.port());
  CHECK(echo.accepted() == 0);
}

TEST_CASE("tcp_proxy cut applies to open connections, counting from the mode change") {
  EchoServer echo;
  TcpProxy proxy(echo.port());
  TestClient client;
  round_trip(client, proxy.port(), "first");
  proxy.set_mode(Mode::kCutAfterBytes, 4);
  // Only 4 of these reach the server; its echo of them is not passed back.
  REQUIRE_FALSE(client.write("0123456789"));
  const ReadResult end = client.read_to_end();
  INFO(end.error.message());
  CHECK(end.error == asio::error::connection_reset);
  CHECK(end.data.empty());
  CHECK(proxy.bytes_forwarded() == 10 + 4);
  CHECK(wait_until([&] { return echo.resets() == 1; }));

  // Switching back lifts the limit for new connections.
  proxy.set_mode(Mode::kForward);
  TestClient later;
  round_trip(later, proxy.port(), "a longer message than four bytes");
}

TEST_CASE("tcp_proxy cut_all resets every open connection and keeps accepting") {
  EchoServer echo;
  TcpProxy proxy(echo.port());
  TestClient one;
  TestClient two;
  round_trip(one, proxy.port(), "one");
  round_trip(two, proxy.port(), "two");
  proxy.cut_all();
  for (TestClient* client : {&one, &two}) {
    const ReadResult end = client->read_to_end();
    INFO(end.error.message());
    CHECK(end.error == asio::error::connection_reset);
  }
  CHECK(wait_until([&] { return echo.resets() == 2; }));
  TestClient three;
  round_trip(three, proxy.port(), "three");
  CHECK(proxy.connections_accepted() == 3);
}

TEST_CASE("tcp_proxy blackhole: silence on open and new connections, for good") {
  EchoServer echo;
  TcpProxy proxy(echo.port());
  TestClient open;
  round_trip(open, proxy.port(), "before");

  proxy.set_mode(Mode::kBlackhole);
  REQUIRE_FALSE(open.write("into the void"));
  TestClient fresh;  // accepted under kBlackhole: the handshake succeeds, nothing else happens
  REQUIRE_FALSE(fresh.connect(proxy.port()));
  REQUIRE_FALSE(fresh.write("hello?"));
  // The kernel completes the handshake before the proxy accepts: wait for the accept, or the mode
  // change below could come first and `fresh` would be accepted under kForward.
  REQUIRE(wait_until([&] { return proxy.connections_accepted() == 2; }));

  // Forwarding again serves new connections; silent ones stay silent.
  proxy.set_mode(Mode::kForward);
  TestClient after;
  round_trip(after, proxy.port(), "after");
  REQUIRE_FALSE(open.write("still there?"));
  REQUIRE_FALSE(fresh.write("anyone?"));

  // No data, no EOF, no reset. Both waits share one silence window: by the time the first read
  // gives up, everything sent on either connection has had kSilence to come back.
  const ReadResult from_open = open.read_to_end(kSilence);
  INFO(from_open.error.message());
  CHECK(from_open.timed_out());
  CHECK(from_open.data.empty());
  const ReadResult from_fresh = fresh.read_to_end(milliseconds(1));
  INFO(from_fresh.error.message());
  CHECK(from_fresh.timed_out());
  CHECK(from_fresh.data.empty());
  CHECK(echo.accepted() == 2);  // `open` and `after`; `fresh` never reached the server

  // cut_all ends silent connections too.
  proxy.cut_all();
  for (TestClient* client : {&open, &fresh}) {
    const ReadResult end = client->read_to_end();
    INFO(end.error.message());
    CHECK(end.error == asio::error::connection_reset);
  }
}

TEST_CASE("tcp_proxy without a target refuses connections, then relays where forward_to says") {
  TcpProxy proxy;
  const std::uint16_t port = proxy.port();
  REQUIRE(port != 0);
  TestClient refused;
  CHECK(refused.connect(port) == asio::error::connection_refused);
  CHECK(proxy.connections_accepted() == 0);

  // The server comes up later, on a port of its own: the proxy's port stays the address.
  EchoServer first;
  proxy.forward_to(first.port());
  CHECK(proxy.port() == port);
  TestClient client;
  round_trip(client, port, "up");
  CHECK(first.accepted() == 1);

  // It moves (a restart on another port): new connections follow, the open one keeps its target.
  EchoServer second;
  proxy.forward_to(second.port());
  TestClient later;
  round_trip(later, port, "moved");
  CHECK(second.accepted() == 1);
  REQUIRE_FALSE(client.write("still"));
  CHECK(client.read(5).data == "still");
  CHECK(first.accepted() == 1);
}

TEST_CASE("tcp_proxy resets the client when the target refuses") {
  // A port bound but not listening: connections to it are refused, and nobody else can take it.
  asio::io_context io;
  asio::ip::tcp::socket bound(io);
  bound.open(asio::ip::tcp::v4());
  bound.bind({asio::ip::address_v4::loopback(), 0});
  TcpProxy proxy(bound.local_endpoint().port());
  TestClient client;
  expect_reset_on_arrival(client, proxy.port());
}

TEST_CASE("tcp_proxy destructor closes connections, silent ones included") {
  EchoServer echo;
  TestClient client;
  TestClient silent;
  {
    TcpProxy proxy(echo.port());
    round_trip(client, proxy.port(), "bye");
    proxy.set_mode(Mode::kBlackhole);
    REQUIRE_FALSE(silent.connect(proxy.port()));
    REQUIRE(wait_until([&] { return proxy.connections_accepted() == 2; }));
  }
  for (TestClient* c : {&client, &silent}) {
    const ReadResult end = c->read_to_end();
    INFO(end.error.message());
    CHECK_FALSE(end.timed_out());
  }
}

}  // namespace
}  // namespace ferry::test
