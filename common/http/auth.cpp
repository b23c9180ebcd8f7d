#include "common/http/auth.hpp"

#include <algorithm>
#include <array>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <fmt/format.h>

#include "common/crypto/base64.hpp"
#include "common/crypto/bytes.hpp"
#include "common/crypto/hmac.hpp"
#include "common/crypto/random.hpp"
#include "common/http/form.hpp"
#include "common/log/printable.hpp"

namespace ferry::http {
namespace {

namespace bhttp = boost::beast::http;

std::string basic_credentials(std::string_view user, std::string_view password) {
  std::string joined = fmt::format("{}:{}", user, password);
  std::string header = "Basic " + crypto::base64_encode(crypto::as_bytes(joined));
  crypto::secure_wipe(joined.data(), joined.size());
  return header;
}

class BearerAuthenticator final : public Authenticator {
 public:
  explicit BearerAuthenticator(std::string token) : header_("Bearer " + token) {}
  ~BearerAuthenticator() override { crypto::secure_wipe(header_.data(), header_.size()); }
  Result<void> apply(Request& request, std::stop_token) override {
    request.headers.emplace_back("Authorization", header_);
    return {};
  }
  std::string_view method() const override { return "bearer"; }

 private:
  std::string header_;
};

class BasicAuthenticator final : public Authenticator {
 public:
  BasicAuthenticator(std::string_view user, std::string_view password)
      : header_(basic_credentials(user, password)) {}
  ~BasicAuthenticator() override { crypto::secure_wipe(header_.data(), header_.size()); }
  Result<void> apply(Request& request, std::stop_token) override {
    request.headers.emplace_back("Authorization", header_);
    return {};
  }
  std::string_view method() const override { return "basic"; }

 private:
  std::string header_;
};

// The OAuth error code of a token endpoint's refusal ("invalid_client"), when its body is the
// JSON RFC 6749 section 5.2 describes; only codes of letters and '_' (never free text).
std::string oauth_error_code(std::string_view body) {
  boost::system::error_code ec;
  const boost::json::value parsed = boost::json::parse(body, ec);
  if (ec || !parsed.is_object()) return {};
  const auto* error = parsed.as_object().if_contains("error");
  if (error == nullptr || !error->is_string()) return {};
  const std::string_view code = error->as_string();
  if (code.empty() || code.size() > 40 || !std::all_of(code.begin(), code.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || c == '_';
      })) {
    return {};
  }
  return std::string(code);
}

bool is_bearer(std::string_view type) {
  constexpr std::string_view kBearer = "bearer";
  return type.size() == kBearer.size() &&
         std::equal(type.begin(), type.end(), kBearer.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == b;
         });
}

class OAuth2Authenticator final : public Authenticator {
 public:
  OAuth2Authenticator(const config::OAuth2Auth& settings, Client& client, const env::Clock& clock,
                      std::string setting)
      : settings_(settings), client_(client), clock_(clock), setting_(std::move(setting)) {}
  ~OAuth2Authenticator() override {
    crypto::secure_wipe(settings_.client_secret.data(), settings_.client_secret.size());
    crypto::secure_wipe(header_.data(), header_.size());
  }

  Result<void> apply(Request& request, std::stop_token stop) override {
    fresh_ = false;
    if (header_.empty() || (expires_ && clock_.now() >= *expires_)) {
      if (auto fetched = fetch_token(stop); !fetched) return fetched;
      fresh_ = true;
    }
    request.headers.emplace_back("Authorization", header_);
    return {};
  }

  bool renew_after_refusal() override {
    // A token the API refuses although it has not expired by our clock: fetched again once; a
    // refusal of a token fresh from the endpoint means the client lacks the API's permission.
    if (fresh_) return false;
    header_.clear();
    return true;
  }

  std::string_view method() const override { return "oauth2"; }

 private:
  Result<void> fetch_token(std::stop_token stop) {
    Request request;
    request.method = bhttp::verb::post;
    request.url = settings_.token_url;
    std::vector<Parameter> form = {{"grant_type", "client_credentials"}};
    if (!settings_.scope.empty()) form.emplace_back("scope", settings_.scope);
    request.body = form_encode(form);
    request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    request.headers.emplace_back("Accept", "application/json");
    // RFC 6749 section 2.3.1: the client id and secret, form-encoded, as HTTP Basic credentials.
    std::string secret = percent_encode(settings_.client_secret);
    request.headers.emplace_back("Authorization",
                                 basic_credentials(percent_encode(settings_.client_id), secret));
    crypto::secure_wipe(secret.data(), secret.size());
    const env::WallTime asked = clock_.now();
    auto response = client_.fetch(request, stop);
    crypto::secure_wipe(request.headers.back().second.data(), request.headers.back().second.size());
    const std::string endpoint = describe_request(request.method, request.url);
    if (!response) return with_context(response.error(), "the OAuth 2 token endpoint");
    if (response->status == 400 || response->status == 401 || response->status == 403) {
      const std::string code = oauth_error_code(response->body);
      return make_error(ErrorCode::kAuth,
                        "the OAuth 2 token endpoint ({}) refused the client credentials (HTTP "
                        "{}{}): check client_id and client_secret in auth.oauth2 of {}{}",
                        endpoint, response->status, code.empty() ? "" : ", " + code, setting_,
                        code == "invalid_scope" ? " (and its scope)" : "");
    }
    if (response->status < 200 || response->status > 299) {
      return make_error(response->status >= 500 ? ErrorCode::kUnavailable : ErrorCode::kConfig,
                        "the OAuth 2 token endpoint ({}) answered HTTP {}{}", endpoint,
                        response->status,
                        response->status == 404 ? ": check token_url in auth.oauth2 of " + setting_
                                                : std::string());
    }
    boost::system::error_code ec;
    boost::json::value parsed = boost::json::parse(response->body, ec);
    crypto::secure_wipe(response->body.data(), response->body.size());
    const boost::json::object* object = !ec && parsed.is_object() ? &parsed.as_object() : nullptr;
    const boost::json::value* token = object ? object->if_contains("access_token") : nullptr;
    if (token == nullptr || !token->is_string() || token->as_string().empty()) {
      return make_error(ErrorCode::kCorrupt,
                        "the OAuth 2 token endpoint ({}) answered without an access_token: is "
                        "token_url in auth.oauth2 of {} the token endpoint?",
                        endpoint, setting_);
    }
    if (const auto* type = object->if_contains("token_type");
        type != nullptr && type->is_string() && !is_bearer(type->as_string())) {
      return make_error(ErrorCode::kConfig,
                        "the OAuth 2 token endpoint ({}) gave a token of type '{}'; Ferry uses "
                        "bearer tokens",
                        endpoint, log::printable(type->as_string(), 40));
    }
    header_ = fmt::format("Bearer {}", std::string_view(token->as_string()));
    expires_.reset();
    if (const auto* lifetime = object->if_contains("expires_in")) {
      std::int64_t seconds = -1;
      if (lifetime->is_int64()) seconds = lifetime->as_int64();
      if (lifetime->is_uint64()) seconds = static_cast<std::int64_t>(lifetime->as_uint64());
      if (lifetime->is_string()) seconds = std::atoll(lifetime->as_string().c_str());
      seconds = std::min<std::int64_t>(seconds, 365LL * 24 * 3600);  // a year at most
      if (seconds > 0) {
        // Renewed a little early: a tenth of its life, at most a minute, before it ends.
        const std::int64_t margin = std::min<std::int64_t>(60, seconds / 10);
        expires_ = asked + std::chrono::seconds(seconds - margin);
      }
    }
    boost::json::string& text = parsed.as_object()["access_token"].as_string();
    crypto::secure_wipe(text.data(), text.size());
    return {};
  }

  config::OAuth2Auth settings_;
  Client& client_;
  const env::Clock& clock_;
  std::string setting_;
  std::string header_;  // "Bearer <token>", "" when none is cached
  std::optional<env::WallTime> expires_;
  bool fresh_ = false;  // the token of the last apply() was fetched for it
};

std::string random_nonce() {
  std::array<std::uint8_t, 16> bytes{};
  if (!crypto::random_fill(bytes)) return "0";
  static constexpr char kHex[] = "0123456789abcdef";
  std::string nonce;
  for (const std::uint8_t byte : bytes) {
    nonce.push_back(kHex[byte >> 4]);
    nonce.push_back(kHex[byte & 0x0f]);
  }
  return nonce;
}

class OAuth1Authenticator final : public Authenticator {
 public:
  OAuth1Authenticator(const config::OAuth1Auth& settings, const env::Clock& clock)
      : settings_(settings), clock_(clock) {}
  ~OAuth1Authenticator() override {
    crypto::secure_wipe(settings_.consumer_secret.data(), settings_.consumer_secret.size());
  }
  Result<void> apply(Request& request, std::stop_token) override {
    const auto seconds =
        std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
    auto header =
        oauth1_authorization(bhttp::to_string(request.method), request.url, settings_.consumer_key,
                             settings_.consumer_secret, std::to_string(seconds), random_nonce());
    if (!header) return tl::unexpected(header.error());
    request.headers.emplace_back("Authorization", std::move(*header));
    return {};
  }
  std::string_view method() const override { return "oauth1"; }

 private:
  config::OAuth1Auth settings_;
  const env::Clock& clock_;
};

}  // namespace

Result<std::string> oauth1_authorization(std::string_view method, std::string_view url,
                                         std::string_view consumer_key,
                                         std::string_view consumer_secret,
                                         std::string_view timestamp, std::string_view nonce) {
  auto parsed = config::parse_url(url);
  if (!parsed) return tl::unexpected(parsed.error());
  // RFC 5849 section 3.4.1.2: the base string URI, scheme and host in lower case, the port only
  // when it is not the scheme's default, no query.
  std::string host = parsed->host;
  std::transform(host.begin(), host.end(), host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  const bool default_port = parsed->port == 0 ||
                            (parsed->scheme == "https" && parsed->port == 443) ||
                            (parsed->scheme == "http" && parsed->port == 80);
  const std::size_t query_at = parsed->target.find('?');
  const std::string path = parsed->target.substr(0, query_at);
  const std::string base_uri =
      fmt::format("{}://{}{}{}", parsed->scheme, host,
                  default_port ? std::string() : fmt::format(":{}", parsed->port), path);

  std::vector<Parameter> oauth = {{"oauth_consumer_key", std::string(consumer_key)},
                                  {"oauth_nonce", std::string(nonce)},
                                  {"oauth_signature_method", "HMAC-SHA256"},
                                  {"oauth_timestamp", std::string(timestamp)},
                                  {"oauth_version", "1.0"}};
  // Section 3.4.1.3: the query's parameters and the protocol's, each encoded, then sorted.
  std::vector<Parameter> all;
  if (query_at != std::string::npos) {
    for (auto& [name, value] : parse_query(std::string_view(parsed->target).substr(query_at + 1))) {
      all.emplace_back(percent_encode(name), percent_encode(value));
    }
  }
  for (const auto& [name, value] : oauth)
    all.emplace_back(percent_encode(name), percent_encode(value));
  std::sort(all.begin(), all.end());
  std::string normalized;
  for (const auto& [name, value] : all) {
    if (!normalized.empty()) normalized.push_back('&');
    normalized += name + "=" + value;
  }
  std::string upper(method);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  const std::string base =
      fmt::format("{}&{}&{}", upper, percent_encode(base_uri), percent_encode(normalized));
  // Section 3.4.2: the key is the encoded consumer secret and '&' (no token secret).
  std::string key = percent_encode(consumer_secret) + "&";
  auto tag = crypto::hmac_sha256(crypto::as_bytes(key), crypto::as_bytes(base));
  crypto::secure_wipe(key.data(), key.size());
  if (!tag) return tl::unexpected(tag.error());
  const std::string signature = crypto::base64_encode(crypto::ByteView(tag->data(), tag->size()));
  std::string header = "OAuth ";
  bool first = true;
  oauth.emplace_back("oauth_signature", signature);
  std::sort(oauth.begin(), oauth.end());
  for (const auto& [name, value] : oauth) {
    if (!first) header += ", ";
    first = false;
    header += fmt::format("{}=\"{}\"", percent_encode(name), percent_encode(value));
  }
  return header;
}

std::unique_ptr<Authenticator> make_authenticator(const config::ApiAuth& auth, Client& client,
                                                  const env::Clock& clock, std::string setting) {
  if (const auto* oauth2 = std::get_if<config::OAuth2Auth>(&auth)) {
    return std::make_unique<OAuth2Authenticator>(*oauth2, client, clock, std::move(setting));
  }
  if (const auto* oauth1 = std::get_if<config::OAuth1Auth>(&auth)) {
    return std::make_unique<OAuth1Authenticator>(*oauth1, clock);
  }
  if (const auto* bearer = std::get_if<config::BearerAuth>(&auth)) {
    return std::make_unique<BearerAuthenticator>(bearer->token);
  }
  if (const auto* basic = std::get_if<config::BasicAuth>(&auth)) {
    return std::make_unique<BasicAuthenticator>(basic->user, basic->password);
  }
  return nullptr;
}

}  // namespace ferry::http
