// The credentials of API sources: OAuth 2 client credentials against a token endpoint of the test
// server (cached, renewed, refused), OAuth 1.0a HMAC-SHA256 against a signature computed by an
// independent implementation (Python's hmac and urllib), bearer and Basic; and the
// percent-encoding they rest on. No secret ever appears in a message.
#include "common/http/auth.hpp"

#include <atomic>

#include <catch2/catch.hpp>

#include "common/crypto/base64.hpp"
#include "common/http/form.hpp"
#include "tests/support/fake_clock.hpp"
#include "tests/support/https_server.hpp"
#include "tests/support/temp_dir.hpp"

namespace ferry::test {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kSecret = "s3cr3t-Value+/=";

std::string decoded_basic(const std::string& header) {
  REQUIRE(header.starts_with("Basic "));
  auto bytes = crypto::base64_decode(header.substr(6));
  REQUIRE(bytes);
  return std::string(bytes->begin(), bytes->end());
}

struct TokenSite {
  TokenSite() : clock(std::chrono::sys_days(std::chrono::year(2026) / 12 / 1)) {
    server.write_ca_file(dir / "ca.pem");
    http::ClientOptions options;
    options.setting = "source 'api'";
    options.ca_file = dir / "ca.pem";
    options.retries = 0;
    auto made = http::Client::create(options);
    REQUIRE(made);
    client = std::move(*made);
    settings.token_url = server.base_url() + "/oauth/token";
    settings.client_id = "ferry id";
    settings.client_secret = std::string(kSecret);
    settings.scope = "roster-core.readonly";
  }

  HttpReply answer(const HttpExchange& exchange) {
    if (exchange.path == "/oauth/token") {
      ++token_requests;
      last_token_request = exchange;
      HttpReply reply;
      if (decoded_basic(exchange.headers.at("authorization")) !=
          http::percent_encode("ferry id") + ":" + http::percent_encode(kSecret)) {
        reply.status = 401;
        reply.body = R"({"error":"invalid_client","error_description":"bad secret"})";
        return reply;
      }
      reply.body =
          fmt::format(R"({{"access_token":"tok{}","token_type":"Bearer","expires_in":{}}})",
                      token_requests.load(), expires_in);
      return reply;
    }
    HttpReply reply;
    const auto auth = exchange.headers.find("authorization");
    const std::string expected = fmt::format("Bearer tok{}", token_requests.load());
    reply.status = auth != exchange.headers.end() && auth->second == expected ? 200 : 401;
    return reply;
  }

  TempDir dir;
  HttpsServer server{[this](const HttpExchange& exchange) { return answer(exchange); }};
  FakeClock clock;
  std::unique_ptr<http::Client> client;
  config::OAuth2Auth settings;
  std::atomic<int> token_requests = 0;
  std::atomic<int> expires_in = 3600;
  HttpExchange last_token_request;
};

Result<unsigned> call(TokenSite& site, http::Authenticator& auth) {
  http::Request request;
  request.url = site.server.base_url() + "/users";
  if (auto applied = auth.apply(request, {}); !applied) return tl::unexpected(applied.error());
  auto response = site.client->fetch(request, {});
  if (!response) return tl::unexpected(response.error());
  return response->status;
}

TEST_CASE("OAuth 2 fetches a token once and reuses it until shortly before it expires",
          "[http][auth]") {
  TokenSite site;
  auto auth = http::make_authenticator(site.settings, *site.client, site.clock, "source 'api'");
  REQUIRE(auth);
  CHECK(auth->method() == "oauth2");
  CHECK(call(site, *auth) == 200u);
  CHECK(call(site, *auth) == 200u);
  CHECK(site.token_requests == 1);
  CHECK(site.last_token_request.method == "POST");
  CHECK(site.last_token_request.body == "grant_type=client_credentials&scope=roster-core.readonly");
  CHECK(site.last_token_request.headers.at("content-type") == "application/x-www-form-urlencoded");
  // 3600 s, renewed 60 s early.
  site.clock.advance(3539s);
  CHECK(call(site, *auth) == 200u);
  CHECK(site.token_requests == 1);
  site.clock.advance(2s);
  CHECK(call(site, *auth) == 200u);
  CHECK(site.token_requests == 2);
}

TEST_CASE("OAuth 2 renews a refused token once but not a fresh one", "[http][auth]") {
  TokenSite site;
  auto auth = http::make_authenticator(site.settings, *site.client, site.clock, "source 'api'");
  CHECK(call(site, *auth) == 200u);
  CHECK(call(site, *auth) == 200u);
  // A cached token refused: worth one renewal.
  CHECK(auth->renew_after_refusal());
  CHECK(call(site, *auth) == 200u);
  CHECK(site.token_requests == 2);
  // A token fetched for this very request and refused: renewing would not help.
  CHECK_FALSE(auth->renew_after_refusal());
}

TEST_CASE("OAuth 2 names a refused client without its secret", "[http][auth]") {
  TokenSite site;
  site.settings.client_secret = "not-the-secret-123";
  auto auth = http::make_authenticator(site.settings, *site.client, site.clock, "source 'api'");
  auto refused = call(site, *auth);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ErrorCode::kAuth);
  CHECK_THAT(refused.error().message, Catch::Matchers::Contains("invalid_client"));
  CHECK_THAT(refused.error().message, Catch::Matchers::Contains("auth.oauth2 of source 'api'"));
  CHECK_THAT(refused.error().message, !Catch::Matchers::Contains("not-the-secret-123"));
  CHECK_THAT(refused.error().message, !Catch::Matchers::Contains("bad secret"));
}

TEST_CASE("OAuth 2 says when the token endpoint gives no token", "[http][auth]") {
  TokenSite site;
  site.settings.token_url = site.server.base_url() + "/not-a-token-endpoint";
  auto auth = http::make_authenticator(site.settings, *site.client, site.clock, "source 'api'");
  auto answer = call(site, *auth);
  REQUIRE_FALSE(answer);
  CHECK_THAT(answer.error().message, Catch::Matchers::Contains("token endpoint"));
}

TEST_CASE("OAuth 1.0a signs as an independent implementation does", "[http][auth]") {
  // Computed with Python 3's hmac, hashlib and urllib.parse.quote(safe='-._~'), RFC 5849.
  auto header = http::oauth1_authorization(
      "GET",
      "https://sis.example.org:8443/ims/oneroster/v1p1/"
      "users?limit=100&offset=0&filter=dateLastModified%3E%272026-01-01T00%3A00%3A00Z%27",
      "ferry-key", "s3cr3t/+=", "1767225600", "0123456789abcdef");
  REQUIRE(header);
  CHECK(*header ==
        "OAuth oauth_consumer_key=\"ferry-key\", oauth_nonce=\"0123456789abcdef\", "
        "oauth_signature=\"00SduFpqNH%2Bs120b5w1lYEftDgnjaxef6KrMWy21LCg%3D\", "
        "oauth_signature_method=\"HMAC-SHA256\", oauth_timestamp=\"1767225600\", "
        "oauth_version=\"1.0\"");
}

TEST_CASE("OAuth 1.0a signs each attempt afresh so that a retry never reuses a nonce",
          "[http][auth]") {
  std::atomic<int> calls = 0;
  HttpsServer server([&](const HttpExchange&) {
    HttpReply reply;
    reply.status = ++calls == 1 ? 503 : 200;
    return reply;
  });
  TempDir dir;
  server.write_ca_file(dir / "ca.pem");
  http::ClientOptions options;
  options.setting = "source 'api'";
  options.ca_file = dir / "ca.pem";
  options.first_backoff = 10ms;
  auto client = http::Client::create(options);
  REQUIRE(client);
  FakeClock clock(std::chrono::sys_days(std::chrono::year(2026) / 12 / 1));
  config::OAuth1Auth settings;
  settings.consumer_key = "key";
  settings.consumer_secret = "secret";
  auto auth = http::make_authenticator(settings, **client, clock, "source 'api'");
  http::Request request;
  request.url = server.base_url() + "/users";
  request.sign = [&](http::Request& attempt) { return auth->apply(attempt, {}); };
  auto answer = (*client)->fetch(request, {});
  REQUIRE(answer);
  CHECK(answer->status == 200);
  const auto exchanges = server.exchanges();
  REQUIRE(exchanges.size() == 2);
  const auto nonce = [](const HttpExchange& exchange) {
    const std::string& header = exchange.headers.at("authorization");
    const auto at = header.find("oauth_nonce=\"");
    return header.substr(at, header.find('"', at + 13) - at);
  };
  CHECK(nonce(exchanges[0]) != nonce(exchanges[1]));
}

TEST_CASE("bearer and Basic credentials go in the Authorization header", "[http][auth]") {
  TokenSite site;
  config::BearerAuth bearer;
  bearer.token = "canvas-token";
  auto made = http::make_authenticator(bearer, *site.client, site.clock, "source 'lms'");
  http::Request request;
  REQUIRE(made->apply(request, {}));
  REQUIRE(request.headers.size() == 1);
  CHECK(request.headers[0] == http::Header{"Authorization", "Bearer canvas-token"});

  config::BasicAuth basic;
  basic.user = "ferry";
  basic.password = "pw:with colon";
  made = http::make_authenticator(basic, *site.client, site.clock, "source 'lms'");
  http::Request second;
  REQUIRE(made->apply(second, {}));
  CHECK(decoded_basic(second.headers.at(0).second) == "ferry:pw:with colon");
  CHECK(made->method() == "basic");
}

TEST_CASE("percent-encoding keeps the unreserved characters only", "[http]") {
  CHECK(http::percent_encode("a-Z_0.~ b/+é") == "a-Z_0.~%20b%2F%2B%C3%A9");
  CHECK(http::percent_decode("a%20b+c%2", true) == "a b c%2");
  CHECK(http::percent_decode("a+b", false) == "a+b");
  const auto query = http::parse_query("limit=10&filter=x%3E%271%27&flag&&a=b+c");
  REQUIRE(query.size() == 4);
  CHECK(query[1] == http::Parameter{"filter", "x>'1'"});
  CHECK(query[2] == http::Parameter{"flag", ""});
  CHECK(query[3] == http::Parameter{"a", "b c"});
  CHECK(http::with_query("https://h/p", {{"limit", "5"}, {"q", "a b"}}) ==
        "https://h/p?limit=5&q=a%20b");
  CHECK(http::with_query("https://h/p?x=1", {{"limit", "5"}}) == "https://h/p?x=1&limit=5");
}

}  // namespace
}  // namespace ferry::test
