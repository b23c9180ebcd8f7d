// The HTTP client of the API sources against a real HTTPS server on 127.0.0.1 (a Beast server of
// the tests, tests/support/https_server.hpp, with a test CA): verification, keep-alive, gzip,
// retries and Retry-After, deadlines, size caps, the CONNECT proxy, stopping.
#include "common/http/client.hpp"

#include <atomic>
#include <chrono>
#include <thread>

#include <catch2/catch.hpp>

#include "common/http/rate_limiter.hpp"
#include "common/http/retry_after.hpp"
#include "tests/support/connect_proxy.hpp"
#include "tests/support/fake_clock.hpp"
#include "tests/support/https_server.hpp"
#include "tests/support/temp_dir.hpp"

namespace ferry::test {
namespace {

using namespace std::chrono_literals;
using http::Client;
using http::ClientOptions;
using http::Request;

struct Site {
  explicit Site(HttpsServer::Handler handler, HttpsServerOptions server_options = {})
      : server(std::move(handler), server_options) {
    server.write_ca_file(dir / "ca.pem");
    options.setting = "source 'api'";
    options.ca_file = dir / "ca.pem";
    options.first_backoff = 10ms;
    options.max_backoff = 50ms;
  }

  std::unique_ptr<Client> client() {
    auto made = Client::create(options);
    REQUIRE(made);
    return std::move(*made);
  }

  Request get(std::string_view path) const {
    Request request;
    request.url = server.base_url() + std::string(path);
    return request;
  }

  TempDir dir;
  HttpsServer server;
  ClientOptions options;
};

HttpReply ok(std::string body) {
  HttpReply reply;
  reply.body = std::move(body);
  reply.headers.emplace_back("Content-Type", "application/json");
  return reply;
}

TEST_CASE("the client reads an answer over verified TLS and keeps the connection", "[http]") {
  Site site(
      [](const HttpExchange& exchange) { return ok("{\"path\":\"" + exchange.path + "\"}"); });
  auto client = site.client();
  auto first = client->fetch(site.get("/a?x=1"), {});
  REQUIRE(first);
  CHECK(first->status == 200);
  CHECK(first->body == "{\"path\":\"/a\"}");
  CHECK(first->header("content-type") == std::optional<std::string_view>("application/json"));
  auto second = client->fetch(site.get("/b"), {});
  REQUIRE(second);
  CHECK(second->body == "{\"path\":\"/b\"}");
  CHECK(client->connections_opened() == 1);
  CHECK(site.server.connections() == 1);
  const auto exchanges = site.server.exchanges();
  REQUIRE(exchanges.size() == 2);
  CHECK(exchanges[0].headers.at("accept-encoding") == "gzip");
  CHECK(exchanges[0].headers.at("user-agent").starts_with("ferry/"));
}

TEST_CASE("the client refuses a server its trust does not cover", "[http]") {
  Site site([](const HttpExchange&) { return ok("{}"); });
  site.options.ca_file.reset();  // the system trust store only: the test CA is not in it
  auto client = site.client();
  auto answer = client->fetch(site.get("/"), {});
  REQUIRE_FALSE(answer);
  CHECK(answer.error().code == ErrorCode::kConfig);
  CHECK_THAT(answer.error().message, Catch::Matchers::Contains("is not accepted"));
  CHECK_THAT(answer.error().message, Catch::Matchers::Contains("ca_file of source 'api'"));
  CHECK(site.server.requests() == 0);
}

TEST_CASE("the client accepts a school API that has TLS 1.2 only", "[http]") {
  Site site([](const HttpExchange&) { return ok("{}"); },
            HttpsServerOptions{.tls = true, .tls12_only = true});
  auto answer = site.client()->fetch(site.get("/"), {});
  REQUIRE(answer);
  CHECK(answer->status == 200);
}

TEST_CASE("the client inflates a gzip answer and a chunked one", "[http]") {
  const std::string body(200000, 'x');
  Site site([&](const HttpExchange& exchange) {
    HttpReply reply = ok(body);
    reply.gzip = exchange.path == "/gzip";
    reply.chunked = exchange.path == "/chunked";
    return reply;
  });
  auto client = site.client();
  auto gzipped = client->fetch(site.get("/gzip"), {});
  REQUIRE(gzipped);
  CHECK(gzipped->body == body);
  auto chunked = client->fetch(site.get("/chunked"), {});
  REQUIRE(chunked);
  CHECK(chunked->body == body);
}

TEST_CASE("the client waits as Retry-After says on 429 and then succeeds", "[http]") {
  std::atomic<int> calls = 0;
  Site site([&](const HttpExchange&) {
    if (++calls == 1) {
      HttpReply reply;
      reply.status = 429;
      reply.headers.emplace_back("Retry-After", "1");
      return reply;
    }
    return ok("done");
  });
  auto client = site.client();
  http::SendReport report;
  std::string body;
  const auto started = std::chrono::steady_clock::now();
  auto answer = client->send(
      site.get("/"),
      [&](std::string_view piece) -> Result<void> {
        body.append(piece);
        return {};
      },
      {}, &report);
  REQUIRE(answer);
  CHECK(answer->status == 200);
  CHECK(body == "done");
  CHECK(report.attempts == 2);
  CHECK(std::chrono::steady_clock::now() - started >= 1s);
}

TEST_CASE("the client gives up on a Retry-After beyond its limit at once", "[http]") {
  Site site([](const HttpExchange&) {
    HttpReply reply;
    reply.status = 429;
    reply.headers.emplace_back("Retry-After", "3600");
    return reply;
  });
  auto answer = site.client()->fetch(site.get("/users"), {});
  REQUIRE_FALSE(answer);
  CHECK(answer.error().code == ErrorCode::kRateLimited);
  CHECK_THAT(answer.error().message, Catch::Matchers::Contains("3600s"));
  CHECK(site.server.requests() == 1);
}

TEST_CASE("the client retries server errors with back-off and then returns the last answer",
          "[http]") {
  std::atomic<int> calls = 0;
  Site site([&](const HttpExchange&) {
    HttpReply reply;
    reply.status = ++calls <= 2 ? 500 : 200;
    return reply;
  });
  http::SendReport report;
  auto answer = site.client()->send(
      site.get("/"), [](std::string_view) -> Result<void> { return {}; }, {}, &report);
  REQUIRE(answer);
  CHECK(answer->status == 200);
  CHECK(report.attempts == 3);

  site.server.set_handler([](const HttpExchange&) {
    HttpReply reply;
    reply.status = 502;
    reply.body = "bad gateway";
    return reply;
  });
  site.options.retries = 1;
  auto failed = site.client()->fetch(site.get("/"), {});
  REQUIRE(failed);
  CHECK(failed->status == 502);
  CHECK(failed->body == "bad gateway");
}

TEST_CASE("the client retries a connection that closes without an answer", "[http]") {
  std::atomic<int> calls = 0;
  Site site([&](const HttpExchange&) {
    HttpReply reply = ok("fine");
    if (++calls == 1) reply.fault = HttpReply::Fault::kClose;
    return reply;
  });
  auto answer = site.client()->fetch(site.get("/"), {});
  REQUIRE(answer);
  CHECK(answer->body == "fine");
  CHECK(calls == 2);
}

TEST_CASE("a body cut short is an error that says how far it came and is not retried", "[http]") {
  Site site([](const HttpExchange&) {
    HttpReply reply = ok(std::string(100000, 'y'));
    reply.fault = HttpReply::Fault::kTruncate;
    return reply;
  });
  http::SendReport report;
  auto answer = site.client()->send(
      site.get("/"), [](std::string_view) -> Result<void> { return {}; }, {}, &report);
  REQUIRE_FALSE(answer);
  CHECK(answer.error().code == ErrorCode::kUnavailable);
  CHECK_THAT(answer.error().message, Catch::Matchers::Contains("cut short"));
  CHECK(report.attempts == 1);
  CHECK(report.body_bytes > 0);
  CHECK(report.body_bytes < 100000);
}

TEST_CASE("an answer larger than max_response_size fails without being kept", "[http]") {
  Site site([](const HttpExchange& exchange) {
    HttpReply reply = ok(std::string(300000, 'z'));
    reply.gzip = exchange.path == "/gzip";
    return reply;
  });
  site.options.max_response_bytes = 100000;
  auto client = site.client();
  auto plain = client->fetch(site.get("/plain"), {});
  REQUIRE_FALSE(plain);
  CHECK(plain.error().code == ErrorCode::kCorrupt);
  CHECK_THAT(plain.error().message, Catch::Matchers::Contains("max_response_size"));
  // Small on the wire, large once inflated: the cap holds after decompression too.
  auto bomb = client->fetch(site.get("/gzip"), {});
  REQUIRE_FALSE(bomb);
  CHECK(bomb.error().code == ErrorCode::kCorrupt);
  CHECK_THAT(bomb.error().message, Catch::Matchers::Contains("inflates to more than"));
}

TEST_CASE("a server that stalls is given up after the phase timeout", "[http]") {
  Site site([](const HttpExchange&) {
    HttpReply reply = ok("never");
    reply.fault = HttpReply::Fault::kStall;
    return reply;
  });
  site.options.timeout = 300ms;
  site.options.retries = 0;
  const auto started = std::chrono::steady_clock::now();
  auto answer = site.client()->fetch(site.get("/"), {});
  REQUIRE_FALSE(answer);
  CHECK(answer.error().code == ErrorCode::kUnavailable);
  CHECK(std::chrono::steady_clock::now() - started < 10s);
  site.server.release_stalls();
}

TEST_CASE("a slow body that keeps coming is read whole", "[http]") {
  Site site([](const HttpExchange&) {
    HttpReply reply = ok(std::string(4000, 's'));
    reply.fault = HttpReply::Fault::kSlow;
    reply.slow_piece = 1000;
    reply.slow_delay = 100ms;
    return reply;
  });
  site.options.timeout = 2s;
  auto answer = site.client()->fetch(site.get("/"), {});
  REQUIRE(answer);
  CHECK(answer->body.size() == 4000);
}

TEST_CASE("a stop ends a request that waits on a stalled server", "[http]") {
  Site site([](const HttpExchange&) {
    HttpReply reply = ok("never");
    reply.fault = HttpReply::Fault::kStall;
    return reply;
  });
  site.options.timeout = 60s;
  auto client = site.client();
  std::stop_source stop;
  std::jthread stopper([&] {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (site.server.requests() == 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    stop.request_stop();
  });
  const auto started = std::chrono::steady_clock::now();
  auto answer = client->fetch(site.get("/"), stop.get_token());
  REQUIRE_FALSE(answer);
  CHECK_THAT(answer.error().message, Catch::Matchers::Contains("stopped"));
  CHECK(std::chrono::steady_clock::now() - started < 30s);
  site.server.release_stalls();
}

TEST_CASE("the client goes through its CONNECT proxy with credentials", "[http]") {
  Site site([](const HttpExchange&) { return ok("via proxy"); });
  ConnectProxy proxy("user:s3cret");
  auto url = config::parse_url("http://user:s3cret@127.0.0.1:" + std::to_string(proxy.port()));
  REQUIRE(url);
  site.options.proxy = *url;
  auto answer = site.client()->fetch(site.get("/"), {});
  REQUIRE(answer);
  CHECK(answer->body == "via proxy");
  CHECK(proxy.connects_ok() == 1);

  url->password = "wrong";
  site.options.proxy = *url;
  auto refused = site.client()->fetch(site.get("/"), {});
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ErrorCode::kAuth);
  CHECK_THAT(refused.error().message, Catch::Matchers::Contains("HTTP 407"));
  CHECK_THAT(refused.error().message, Catch::Matchers::Contains("the proxy of source 'api'"));
  CHECK_THAT(refused.error().message, !Catch::Matchers::Contains("wrong"));
}

TEST_CASE("messages name the request without its query", "[http]") {
  CHECK(http::describe_request(boost::beast::http::verb::get,
                               "https://h.example/users?access_token=secret") ==
        "GET https://h.example/users");
}

TEST_CASE("Retry-After is read as seconds or as an HTTP date", "[http]") {
  const auto now = std::chrono::sys_days(std::chrono::year(2015) / 10 / 21) + 7h + 27min;
  CHECK(http::parse_retry_after("120", now) == std::optional(std::chrono::milliseconds(120000)));
  CHECK(http::parse_retry_after(" 0 ", now) == std::optional(std::chrono::milliseconds(0)));
  CHECK(http::parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now) ==
        std::optional(std::chrono::milliseconds(60000)));
  CHECK(http::parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now) ==
        std::optional(std::chrono::milliseconds(0)));
  CHECK_FALSE(http::parse_retry_after("soon", now));
  CHECK_FALSE(http::parse_retry_after("12s", now));
  CHECK_FALSE(http::parse_retry_after("Wed, 41 Oct 2015 07:28:00 GMT", now));
}

TEST_CASE("back-off doubles up to its cap with at most a quarter of jitter", "[http]") {
  for (int i = 0; i < 50; ++i) {
    const auto first = http::backoff_delay(1, 1000ms, 30s);
    CHECK(first <= 1000ms);
    CHECK(first >= 750ms);
    const auto third = http::backoff_delay(3, 1000ms, 30s);
    CHECK(third <= 4000ms);
    CHECK(third >= 3000ms);
    const auto capped = http::backoff_delay(20, 1000ms, 30s);
    CHECK(capped <= 30s);
    CHECK(capped >= 22500ms);
  }
}

TEST_CASE("the rate limiter lets a second's worth through and then spaces requests", "[http]") {
  FakeClock clock(std::chrono::sys_days(std::chrono::year(2026) / 1 / 1));
  http::RateLimiter limiter(2.0, clock);
  CHECK(limiter.acquire({}));
  CHECK(limiter.acquire({}));
  CHECK(limiter.wait_needed() == 500ms);
  clock.advance(250ms);
  CHECK(limiter.wait_needed() == 250ms);
  clock.advance(250ms);
  CHECK(limiter.wait_needed() == 0ms);
  CHECK(limiter.acquire({}));
  http::RateLimiter unlimited(0, clock);
  for (int i = 0; i < 100; ++i) CHECK(unlimited.acquire({}));
}

}  // namespace
}  // namespace ferry::test
