// The HTTPS test server (tests/support/https_server.hpp), driven by a plain Beast client that
// trusts only the server's test CA.
#include "tests/support/https_server.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <catch2/catch.hpp>
#include <openssl/ssl.h>
#include <zlib.h>

#include "tests/support/temp_dir.hpp"

namespace ferry::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using boost::system::error_code;
using Fault = HttpReply::Fault;
using Response = http::response<http::string_body>;

constexpr auto kDeadline = std::chrono::seconds(10);

std::string describe(const char* step, const error_code& ec) {
  return ec ? std::string(step) + ": " + ec.message() : std::string();
}

http::request<http::string_body> request(http::verb verb, const std::string& target,
                                         std::string body = "") {
  http::request<http::string_body> out{verb, target, 11};
  out.set(http::field::host, "localhost");
  out.body() = std::move(body);
  out.prepare_payload();
  return out;
}

// One client connection to the server. Each operation has a deadline of kDeadline (the stream
// closes when it passes), so a test never hangs on a server that misbehaves. Methods return ""
// on success, else the failed step and its error.
class Client {
 public:
  explicit Client(const HttpsServer& server) : server_(server) {
    if (server.ca_pem().empty()) return;  // plain HTTP
    tls_context_.add_certificate_authority(asio::buffer(server.ca_pem()));
    tls_context_.set_verify_mode(ssl::verify_peer);
    tls_ = std::make_unique<ssl::stream<beast::tcp_stream&>>(tcp_, tls_context_);
  }

  ~Client() {
    error_code ignored;
    tcp_.socket().close(ignored);
  }

  // TCP connect, then (with TLS) a handshake verifying the certificate for `host`.
  std::string connect(const std::string& host = "localhost") {
    const asio::ip::tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), server_.port());
    auto ec = run([&](auto&, auto done) { tcp_.async_connect(endpoint, done); });
    if (ec || !tls_) return describe("connect", ec);
    SSL_set_tlsext_host_name(tls_->native_handle(), host.c_str());
    tls_->set_verify_callback(ssl::host_name_verification(host));
    ec = run([this](auto&, auto done) { tls_->async_handshake(ssl::stream_base::client, done); });
    return describe("handshake", ec);
  }

  std::string send(const http::request<http::string_body>& message) {
    return describe(
        "write", run([&](auto& stream, auto done) { http::async_write(stream, message, done); }));
  }

  std::string send_raw(const std::string& bytes) {
    return describe("write", run([&](auto& stream, auto done) {
                      asio::async_write(stream, asio::buffer(bytes), done);
                    }));
  }

  template <class Parser>
  error_code read(Parser& parser) {
    return run([&](auto& stream, auto done) { http::async_read(stream, buffer_, parser, done); });
  }

  template <class Parser>
  error_code read_header(Parser& parser) {
    return run(
        [&](auto& stream, auto done) { http::async_read_header(stream, buffer_, parser, done); });
  }

  // Reads one whole response; "" and the response, or the failed step.
  std::pair<std::string, Response> read(bool head_request = false) {
    http::response_parser<http::string_body> parser;
    parser.skip(head_request);
    const error_code ec = read(parser);
    return {describe("read", ec), parser.release()};
  }

  // Sends a request and reads its response.
  std::pair<std::string, Response> exchange(const http::request<http::string_body>& message) {
    if (auto failed = send(message); !failed.empty()) return {failed, Response{}};
    return read(message.method() == http::verb::head);
  }

  SSL* native_tls() { return tls_ ? tls_->native_handle() : nullptr; }

 private:
  template <class Start>
  error_code run(Start start) {
    std::optional<error_code> result;
    auto done = [&result](const error_code& ec, auto&&...) { result = ec; };
    tcp_.expires_after(kDeadline);
    if (tls_) {
      start(*tls_, done);
    } else {
      start(tcp_, done);
    }
    io_.restart();
    while (!result && io_.run_one() > 0) {
    }
    return result.value_or(asio::error::timed_out);
  }

  const HttpsServer& server_;
  asio::io_context io_;
  ssl::context tls_context_{ssl::context::tls_client};
  beast::tcp_stream tcp_{io_};
  std::unique_ptr<ssl::stream<beast::tcp_stream&>> tls_;  // null for plain HTTP
  beast::flat_buffer buffer_;
};

std::string gunzip(const std::string& data) {
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) throw std::runtime_error("inflateInit2 failed");
  std::string out;
  std::string buffer(64 * 1024, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  int status = Z_OK;
  while (status == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buffer.data());
    z.avail_out = static_cast<uInt>(buffer.size());
    status = inflate(&z, Z_NO_FLUSH);
    out.append(buffer.data(), buffer.size() - z.avail_out);
  }
  inflateEnd(&z);
  if (status != Z_STREAM_END) throw std::runtime_error("not a whole gzip stream");
  return out;
}

HttpReply json(std::string body) {
  return HttpReply{.headers = {{"Content-Type", "application/json"}}, .body = std::move(body)};
}

TEST_CASE("https server answers a GET from its handler over TLS verified by its CA") {
  HttpsServer server(
      [](const HttpExchange& exchange) { return json(R"({"path":")" + exchange.path + R"("})"); });
  REQUIRE(server.base_url() == "https://127.0.0.1:" + std::to_string(server.port()));
  REQUIRE(server.ca_pem().starts_with("-----BEGIN CERTIFICATE-----"));

  Client client(server);
  REQUIRE(client.connect() == "");
  auto message = request(http::verb::get, "/ims/oneroster/v1p1/users");
  message.set(http::field::authorization, "Bearer token-1");
  message.set("X-Custom", "one");
  const auto [failed, response] = client.exchange(message);
  REQUIRE(failed == "");
  CHECK(response.result_int() == 200);
  CHECK(response.reason() == "OK");
  CHECK(response[http::field::content_type] == "application/json");
  CHECK(response.body() == R"({"path":"/ims/oneroster/v1p1/users"})");

  CHECK(server.connections() == 1);
  CHECK(server.requests() == 1);
  const auto exchanges = server.exchanges();
  REQUIRE(exchanges.size() == 1);
  CHECK(exchanges[0].method == "GET");
  CHECK(exchanges[0].target == "/ims/oneroster/v1p1/users");
  CHECK(exchanges[0].path == "/ims/oneroster/v1p1/users");
  CHECK(exchanges[0].query.empty());
  CHECK(exchanges[0].headers.at("authorization") == "Bearer token-1");
  CHECK(exchanges[0].headers.at("x-custom") == "one");
  CHECK(exchanges[0].headers.at("host") == "localhost");
  CHECK(exchanges[0].connection == 1);
  CHECK(exchanges[0].number == 1);
}

TEST_CASE("https server certificate verifies for 127.0.0.1 and not for another name") {
  HttpsServer server([](const HttpExchange&) { return HttpReply{}; });
  Client by_address(server);
  CHECK(by_address.connect("127.0.0.1") == "");
  Client other_name(server);
  CHECK(other_name.connect("api.example.org") != "");
}

TEST_CASE("https server serves two requests on one kept-alive connection") {
  HttpsServer server([](const HttpExchange& exchange) {
    return HttpReply{.body = "answer " + std::to_string(exchange.number)};
  });
  Client client(server);
  REQUIRE(client.connect() == "");
  const auto [first_failed, first] = client.exchange(request(http::verb::get, "/a"));
  REQUIRE(first_failed == "");
  CHECK(first.body() == "answer 1");
  CHECK(first.keep_alive());
  const auto [second_failed, second] =
      client.exchange(request(http::verb::post, "/b", R"({"x":1})"));
  REQUIRE(second_failed == "");
  CHECK(second.body() == "answer 2");

  CHECK(server.connections() == 1);
  CHECK(server.requests() == 2);
  const auto exchanges = server.exchanges();
  REQUIRE(exchanges.size() == 2);
  CHECK(exchanges[1].method == "POST");
  CHECK(exchanges[1].body == R"({"x":1})");
  CHECK(exchanges[1].connection == 1);
  CHECK(exchanges[1].number == 2);

  Client another(server);
  REQUIRE(another.connect() == "");
  REQUIRE(another.exchange(request(http::verb::get, "/c")).first == "");
  CHECK(server.connections() == 2);
  CHECK(server.exchanges().back().connection == 2);
}

TEST_CASE("https server answers pipelined requests in order") {
  HttpsServer server([](const HttpExchange& exchange) { return HttpReply{.body = exchange.path}; });
  Client client(server);
  REQUIRE(client.connect() == "");
  REQUIRE(client.send_raw("GET /one HTTP/1.1\r\nHost: localhost\r\n\r\n"
                          "GET /two HTTP/1.1\r\nHost: localhost\r\n\r\n") == "");
  const auto [first_failed, first] = client.read();
  REQUIRE(first_failed == "");
  CHECK(first.body() == "/one");
  const auto [second_failed, second] = client.read();
  REQUIRE(second_failed == "");
  CHECK(second.body() == "/two");
  CHECK(server.connections() == 1);
}

TEST_CASE("https server closes after an answer with close") {
  HttpsServer server([](const HttpExchange&) { return HttpReply{.body = "bye", .close = true}; });
  Client client(server);
  REQUIRE(client.connect() == "");
  const auto [failed, response] = client.exchange(request(http::verb::get, "/"));
  REQUIRE(failed == "");
  CHECK(response.body() == "bye");
  CHECK_FALSE(response.keep_alive());
  const auto [next_failed, next] = client.read();
  CHECK(next_failed == "read: end of stream");
}

TEST_CASE("https server gzips a body that the client decodes") {
  const std::string body(5000, 'a');
  HttpsServer server(
      [&body](const HttpExchange&) { return HttpReply{.body = body, .gzip = true}; });
  Client client(server);
  REQUIRE(client.connect() == "");
  const auto [failed, response] = client.exchange(request(http::verb::get, "/"));
  REQUIRE(failed == "");
  CHECK(response[http::field::content_encoding] == "gzip");
  CHECK(response.body().size() < body.size());
  CHECK(response[http::field::content_length] == std::to_string(response.body().size()));
  CHECK(gunzip(response.body()) == body);
}

TEST_CASE("https server sends a chunked body in chunks of chunk_size") {
  std::string body;
  for (int i = 0; body.size() < 10000; ++i) body += std::to_string(i) + ",";
  body.resize(10000);
  HttpsServer server([&body](const HttpExchange&) {
    return HttpReply{.body = body, .chunked = true, .chunk_size = 4096};
  });
  Client client(server);
  REQUIRE(client.connect() == "");
  REQUIRE(client.send(request(http::verb::get, "/")) == "");
  http::response_parser<http::string_body> parser;
  std::vector<std::uint64_t> chunks;
  auto on_chunk = [&chunks](std::uint64_t size, beast::string_view, error_code&) {
    if (size > 0) chunks.push_back(size);
  };
  parser.on_chunk_header(on_chunk);
  REQUIRE_FALSE(client.read(parser));
  const Response response = parser.release();
  CHECK(response.chunked());
  CHECK(response.count(http::field::content_length) == 0);
  CHECK(response.body() == body);
  CHECK(chunks == std::vector<std::uint64_t>{4096, 4096, 1808});
}

TEST_CASE("https server truncates a body on kTruncate") {
  const std::string body(1000, 'b');
  HttpsServer server(
      [&body](const HttpExchange&) { return HttpReply{.body = body, .fault = Fault::kTruncate}; });
  Client client(server);
  REQUIRE(client.connect() == "");
  REQUIRE(client.send(request(http::verb::get, "/")) == "");
  http::response_parser<http::string_body> parser;
  const error_code ec = client.read(parser);
  CHECK(ec == http::error::partial_message);
  CHECK(parser.get()[http::field::content_length] == "1000");
  CHECK(parser.get().body() == std::string(500, 'b'));
  CHECK(server.requests() == 1);
}

TEST_CASE("https server closes without answering on kClose") {
  HttpsServer server([](const HttpExchange&) { return HttpReply{.fault = Fault::kClose}; });
  Client client(server);
  REQUIRE(client.connect() == "");
  const auto [failed, response] = client.exchange(request(http::verb::get, "/"));
  CHECK(failed == "read: end of stream");
  CHECK(server.requests() == 1);
  CHECK(server.exchanges().size() == 1);
}

TEST_CASE("https server sends a slow body whole and no sooner than its delays") {
  const std::string body(1000, 'c');
  HttpsServer server([&body](const HttpExchange&) {
    return HttpReply{.body = body,
                     .fault = Fault::kSlow,
                     .slow_piece = 100,
                     .slow_delay = std::chrono::milliseconds(20)};
  });
  Client client(server);
  REQUIRE(client.connect() == "");
  const auto start = std::chrono::steady_clock::now();
  const auto [failed, response] = client.exchange(request(http::verb::get, "/"));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  REQUIRE(failed == "");
  CHECK(response.body() == body);
  CHECK(elapsed >= std::chrono::milliseconds(9 * 20));  // nine pauses between ten pieces
  // The connection stays usable after a slow answer.
  server.set_handler([](const HttpExchange&) { return HttpReply{.body = "quick"}; });
  const auto [next_failed, next] = client.exchange(request(http::verb::get, "/"));
  REQUIRE(next_failed == "");
  CHECK(next.body() == "quick");
}

TEST_CASE("https server holds a stalled answer until release_stalls") {
  HttpsServer server([](const HttpExchange& exchange) {
    if (exchange.path == "/stall") return HttpReply{.body = "never", .fault = Fault::kStall};
    return HttpReply{.body = "served"};
  });
  Client stalled(server);
  REQUIRE(stalled.connect() == "");
  REQUIRE(stalled.send(request(http::verb::get, "/stall")) == "");
  http::response_parser<http::string_body> parser;
  REQUIRE_FALSE(stalled.read_header(parser));
  CHECK(parser.get()[http::field::content_length] == "5");

  // Others are served meanwhile.
  Client other(server);
  REQUIRE(other.connect() == "");
  const auto [other_failed, other_response] = other.exchange(request(http::verb::get, "/"));
  REQUIRE(other_failed == "");
  CHECK(other_response.body() == "served");

  server.release_stalls();
  const error_code ec = stalled.read(parser);
  CHECK(ec);
  CHECK(ec != beast::error::timeout);
  CHECK(parser.get().body().empty());
}

TEST_CASE("https server decodes query parameters") {
  HttpsServer server([](const HttpExchange&) { return HttpReply{}; });
  Client client(server);
  REQUIRE(client.connect() == "");
  const std::string target =
      "/ims/oneroster/v1p1/users?limit=10&offset=0&filter=familyName%3D%27O%27Brien%27"
      "&q=a+b%2Bc&flag&&bad=%zz%4";
  REQUIRE(client.exchange(request(http::verb::get, target)).first == "");
  const auto exchanges = server.exchanges();
  REQUIRE(exchanges.size() == 1);
  CHECK(exchanges[0].target == target);
  CHECK(exchanges[0].path == "/ims/oneroster/v1p1/users");
  const std::map<std::string, std::string> expected = {
      {"limit", "10"}, {"offset", "0"}, {"filter", "familyName='O'Brien'"},
      {"q", "a b+c"},  {"flag", ""},    {"bad", "%zz%4"}};
  CHECK(exchanges[0].query == expected);
}

TEST_CASE("https server negotiates TLS 1.3 by default and TLS 1.2 with tls12_only") {
  HttpsServer modern([](const HttpExchange&) { return HttpReply{}; });
  Client modern_client(modern);
  REQUIRE(modern_client.connect() == "");
  CHECK(SSL_version(modern_client.native_tls()) == TLS1_3_VERSION);

  HttpsServer older([](const HttpExchange&) { return HttpReply{.body = "1.2"}; },
                    HttpsServerOptions{.tls12_only = true});
  Client older_client(older);
  REQUIRE(older_client.connect() == "");
  CHECK(SSL_version(older_client.native_tls()) == TLS1_2_VERSION);
  const auto [failed, response] = older_client.exchange(request(http::verb::get, "/"));
  REQUIRE(failed == "");
  CHECK(response.body() == "1.2");
}

TEST_CASE("https server speaks plain HTTP without tls") {
  HttpsServer server([](const HttpExchange&) { return HttpReply{.body = "plain"}; },
                     HttpsServerOptions{.tls = false});
  CHECK(server.base_url() == "http://127.0.0.1:" + std::to_string(server.port()));
  CHECK(server.ca_pem().empty());
  Client client(server);
  REQUIRE(client.connect() == "");
  const auto [failed, response] = client.exchange(request(http::verb::get, "/"));
  REQUIRE(failed == "");
  CHECK(response.body() == "plain");
}

TEST_CASE("https server answers HEAD without a body") {
  HttpsServer server([](const HttpExchange&) { return HttpReply{.body = "twelve bytes"}; });
  Client client(server);
  REQUIRE(client.connect() == "");
  const auto [failed, response] = client.exchange(request(http::verb::head, "/"));
  REQUIRE(failed == "");
  CHECK(response[http::field::content_length] == "12");
  // Nothing but the head was sent: the next answer on the connection parses.
  const auto [next_failed, next] = client.exchange(request(http::verb::get, "/"));
  REQUIRE(next_failed == "");
  CHECK(next.body() == "twelve bytes");
}

TEST_CASE("https server answers 500 when the handler throws") {
  HttpsServer server([](const HttpExchange&) -> HttpReply { throw std::runtime_error("boom"); });
  Client client(server);
  REQUIRE(client.connect() == "");
  const auto [failed, response] = client.exchange(request(http::verb::get, "/"));
  REQUIRE(failed == "");
  CHECK(response.result_int() == 500);
  CHECK(response.body() == "https_server: the handler threw: boom\n");
  CHECK_FALSE(response.keep_alive());
  CHECK(server.requests() == 1);
}

TEST_CASE("https server refuses a head over 16 KiB and a body over 1 MiB") {
  HttpsServer server([](const HttpExchange&) { return HttpReply{}; });
  {
    Client client(server);
    REQUIRE(client.connect() == "");
    REQUIRE(client.send_raw("GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: " +
                            std::string(17 * 1024, 'a') + "\r\n\r\n") == "");
    const auto [failed, response] = client.read();
    REQUIRE(failed == "");
    CHECK(response.result_int() == 431);
  }
  {
    Client client(server);
    REQUIRE(client.connect() == "");
    REQUIRE(
        client.send_raw("POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1048577\r\n\r\n" +
                        std::string(1000, 'x')) == "");
    const auto [failed, response] = client.read();
    REQUIRE(failed == "");
    CHECK(response.result_int() == 413);
  }
  {
    Client client(server);
    REQUIRE(client.connect() == "");
    REQUIRE(client.send_raw("NOT HTTP\r\n\r\n") == "");
    const auto [failed, response] = client.read();
    REQUIRE(failed == "");
    CHECK(response.result_int() == 400);
  }
  CHECK(server.refused() == 3);
  CHECK(server.requests() == 0);
  // A body of exactly 1 MiB is within the limit.
  Client client(server);
  REQUIRE(client.connect() == "");
  const auto [failed, response] =
      client.exchange(request(http::verb::post, "/", std::string(1024 * 1024, 'y')));
  REQUIRE(failed == "");
  CHECK(response.result_int() == 200);
  CHECK(server.exchanges().at(0).body.size() == 1024 * 1024);
}

TEST_CASE("https server answers Expect 100-continue before reading the body") {
  HttpsServer server([](const HttpExchange& exchange) { return HttpReply{.body = exchange.body}; });
  Client client(server);
  REQUIRE(client.connect() == "");
  REQUIRE(client.send_raw("POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n"
                          "Expect: 100-continue\r\n\r\n") == "");
  const auto [continue_failed, interim] = client.read();
  REQUIRE(continue_failed == "");
  CHECK(interim.result_int() == 100);
  REQUIRE(client.send_raw("hello") == "");
  const auto [failed, response] = client.read();
  REQUIRE(failed == "");
  CHECK(response.body() == "hello");
}

TEST_CASE("https server takes a new handler and writes its CA file") {
  HttpsServer server([](const HttpExchange&) { return HttpReply{.body = "first"}; });
  Client client(server);
  REQUIRE(client.connect() == "");
  CHECK(client.exchange(request(http::verb::get, "/")).second.body() == "first");
  server.set_handler([](const HttpExchange&) { return HttpReply{.status = 429, .body = "later"}; });
  const auto [failed, response] = client.exchange(request(http::verb::get, "/"));
  REQUIRE(failed == "");
  CHECK(response.result_int() == 429);
  CHECK(response.body() == "later");

  TempDir dir;
  const auto file = dir / "ca.pem";
  server.write_ca_file(file);
  CHECK(read_file(file) == server.ca_pem());
  CHECK((std::filesystem::status(file).permissions() & std::filesystem::perms::all) ==
        (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
         std::filesystem::perms::group_read | std::filesystem::perms::others_read));
}

}  // namespace
}  // namespace ferry::test
