#include "tests/support/connect_proxy.hpp"

#include <string>

#include <catch2/catch.hpp>

#include "tests/netfault/echo_server.hpp"
#include "tests/netfault/test_client.hpp"

namespace ferry::test {
namespace {

namespace asio = boost::asio;

std::string connect_head(const std::string& authority, const std::string& extra_fields = "") {
  return "CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n" + extra_fields +
         "\r\n";
}

std::string loopback(std::uint16_t port) { return "127.0.0.1:" + std::to_string(port); }

// Sends one request head and returns the answer's head.
std::string ask(TestClient& client, const std::string& head) {
  REQUIRE_FALSE(client.write(head));
  const ReadResult answer = client.read_until("\r\n\r\n");
  INFO(answer.error.message());
  REQUIRE_FALSE(answer.error);
  return answer.data;
}

bool starts_with(const std::string& text, std::string_view prefix) {
  return text.starts_with(prefix);
}

TEST_CASE("connect_proxy without auth tunnels to a loopback target") {
  EchoServer echo;
  ConnectProxy proxy;
  TestClient client;
  REQUIRE_FALSE(client.connect(proxy.port()));
  const std::string head = connect_head(loopback(echo.port()), "User-Agent: ferry-test\r\n");
  CHECK(ask(client, head) == "HTTP/1.1 200 Connection established\r\n\r\n");
  CHECK(proxy.connects_ok() == 1);
  CHECK(proxy.auth_failures() == 0);
  CHECK(proxy.last_request_head() == head);

  REQUIRE_FALSE(client.write("through the tunnel"));
  CHECK(client.read(18).data == "through the tunnel");
  client.shutdown_send();
  const ReadResult end = client.read_to_end();
  INFO(end.error.message());
  CHECK(end.error == asio::error::eof);
}

TEST_CASE("connect_proxy relays bytes sent right behind the request head") {
  EchoServer echo;
  ConnectProxy proxy;
  TestClient client;
  REQUIRE_FALSE(client.connect(proxy.port()));
  REQUIRE_FALSE(client.write(connect_head("localhost:" + std::to_string(echo.port())) + "early"));
  const ReadResult answer = client.read_until("\r\n\r\n");
  CHECK(answer.data == "HTTP/1.1 200 Connection established\r\n\r\n");
  CHECK(client.read(5).data == "early");
}

TEST_CASE("connect_proxy with auth answers 407, then tunnels with the right credentials") {
  EchoServer echo;
  ConnectProxy proxy("user:pass");
  const std::string target = loopback(echo.port());

  TestClient client;
  REQUIRE_FALSE(client.connect(proxy.port()));
  const std::string missing = ask(client, connect_head(target));
  CHECK(starts_with(missing, "HTTP/1.1 407 "));
  CHECK(missing.find("Proxy-Authenticate: Basic realm=\"ferry-test\"\r\n") != std::string::npos);
  CHECK(proxy.auth_failures() == 1);

  // Keep-alive (HTTP/1.1's default): the same connection takes another try.
  const std::string wrong =
      ask(client, connect_head(target, "Proxy-Authorization: Basic dXNlcjp3cm9uZw==\r\n"));
  CHECK(starts_with(wrong, "HTTP/1.1 407 "));
  CHECK(proxy.auth_failures() == 2);
  CHECK(proxy.connects_ok() == 0);

  // base64("user:pass") = dXNlcjpwYXNz; the scheme name is case-insensitive.
  const std::string good_head = connect_head(target, "Proxy-Authorization: basic dXNlcjpwYXNz\r\n");
  CHECK(ask(client, good_head) == "HTTP/1.1 200 Connection established\r\n\r\n");
  CHECK(proxy.connects_ok() == 1);
  CHECK(proxy.last_request_head() == good_head);
  REQUIRE_FALSE(client.write("secret"));
  CHECK(client.read(6).data == "secret");
}

TEST_CASE("connect_proxy closes after a 407 when the client asked to close") {
  ConnectProxy proxy("user:pass");
  TestClient client;
  REQUIRE_FALSE(client.connect(proxy.port()));
  const std::string answer = ask(client, connect_head("127.0.0.1:9", "Connection: close\r\n"));
  CHECK(starts_with(answer, "HTTP/1.1 407 "));
  CHECK(answer.find("Connection: close\r\n") != std::string::npos);
  const ReadResult end = client.read_to_end();
  INFO(end.error.message());
  CHECK(end.error == asio::error::eof);
}

TEST_CASE("connect_proxy refuses non-loopback targets with 403, without resolving names") {
  ConnectProxy proxy;
  for (const char* target : {"192.0.2.1:443", "example.com:443", "[2001:db8::1]:443"}) {
    INFO(target);
    TestClient client;
    REQUIRE_FALSE(client.connect(proxy.port()));
    CHECK(starts_with(ask(client, connect_head(target)), "HTTP/1.1 403 Forbidden\r\n"));
    const ReadResult end = client.read_to_end();
    INFO(end.error.message());
    CHECK(end.error == asio::error::eof);
  }
  CHECK(proxy.connects_ok() == 0);
}

TEST_CASE("connect_proxy answers 400, 405 and 502 where they apply") {
  ConnectProxy proxy;
  SECTION("no port in the target") {
    TestClient client;
    REQUIRE_FALSE(client.connect(proxy.port()));
    CHECK(starts_with(ask(client, connect_head("127.0.0.1")), "HTTP/1.1 400 "));
  }
  SECTION("a method other than CONNECT") {
    TestClient client;
    REQUIRE_FALSE(client.connect(proxy.port()));
    CHECK(starts_with(ask(client, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"), "HTTP/1.1 405 "));
    CHECK(proxy.last_request_head().empty());
  }
  SECTION("a target nobody listens on") {
    // Bound but not listening: connections are refused, and no one else can take the port.
    asio::io_context io;
    asio::ip::tcp::socket bound(io);
    bound.open(asio::ip::tcp::v4());
    bound.bind({asio::ip::address_v4::loopback(), 0});
    TestClient client;
    REQUIRE_FALSE(client.connect(proxy.port()));
    CHECK(starts_with(ask(client, connect_head(loopback(bound.local_endpoint().port()))),
                      "HTTP/1.1 502 "));
    CHECK(proxy.connects_ok() == 0);
  }
}

}  // namespace
}  // namespace ferry::test
