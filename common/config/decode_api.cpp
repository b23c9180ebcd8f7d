// The HTTP side of an API source (oneroster_rest, edfi, canvas): url, ca_file, proxy, auth and the
// request limits, written at the source's level (SPEC section 3.1, docs/configuration.md "API
// sources"). Secrets are read here, once, and never echoed.
#include <limits>

#include <openssl/crypto.h>

#include "common/config/decode.hpp"
#include "common/config/size.hpp"
#include "common/config/text.hpp"
#include "common/config/url.hpp"
#include "common/crypto/pem.hpp"
#include "common/fs/read_file.hpp"

namespace ferry::config::detail {

namespace {

constexpr std::uint64_t kMinResponseSize = 64 * 1024;
constexpr double kMaxRateLimit = 1000;
constexpr std::int64_t kMaxRetries = 20;

// A secret goes into an HTTP header or form: a control character in it is always a copy mistake
// (a stray tab or line break) and could split a header.
bool has_control_character(std::string_view text) {
  for (const char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  }
  return false;
}

// An https URL (`url` of the source, `token_url` of oauth2). Messages never repeat the text: a
// URL may carry a password. A base URL takes no query: the connector appends paths to it.
std::optional<std::string> read_https_url(Context& ctx, const Entry& entry,
                                          std::string_view example, bool allow_query) {
  auto text = read_nonempty_string(ctx, entry);
  if (!text) return std::nullopt;
  auto url = parse_url(*text);
  if (!url) {
    ctx.error(entry.value_at(), "{}: {} (write it as in {})", entry.label, url.error().message,
              example);
    return std::nullopt;
  }
  if (url->scheme == "http") {
    ctx.error(entry.value_at(),
              "{} must start with https://: over http:// the school's data and the API's "
              "credentials would cross the network unencrypted",
              entry.label);
    return std::nullopt;
  }
  if (url->scheme != "https") {
    ctx.error(entry.value_at(), "{} must be an https:// URL, as in {}", entry.label, example);
    return std::nullopt;
  }
  if (!url->user.empty() || !url->password.empty()) {
    ctx.error(entry.value_at(),
              "{} must not hold a user or password: put credentials in auth:, not in the URL",
              entry.label);
    return std::nullopt;
  }
  if (url->target.find('#') != std::string::npos) {
    ctx.error(entry.value_at(),
              "{} must not have a #fragment (the part from '#' is never sent to the server): "
              "remove it",
              entry.label);
    return std::nullopt;
  }
  if (!allow_query && url->target.find('?') != std::string::npos) {
    ctx.error(entry.value_at(),
              "{} must not have a query (the part from '?'): it is the API's base URL, to which "
              "Ferry adds each endpoint's path and its own parameters",
              entry.label);
    return std::nullopt;
  }
  return text;
}

// One secret of an auth method: `<name>_file: FILE` (read now) or `<name>: ${VAR}`, exactly one.
struct SecretKeys {
  std::string_view file_key;    // "client_secret_file"
  std::string_view inline_key;  // "client_secret"
  std::string_view what;        // "a file holding the client secret"
  std::string_view variable;    // "API_CLIENT_SECRET", for the example in messages
};

void decode_secret(Context& ctx, const MapReader& map, const SecretKeys& keys,
                   const std::filesystem::path& data_dir,
                   std::optional<std::filesystem::path>& file, std::string& secret) {
  const Entry* file_entry = map.find(keys.file_key);
  const Entry* inline_entry = map.find(keys.inline_key);
  if (file_entry != nullptr && inline_entry != nullptr) {
    const Entry* second =
        file_entry->key_at().line > inline_entry->key_at().line ? file_entry : inline_entry;
    if (file_entry->key_at().line == inline_entry->key_at().line) {
      second =
          file_entry->key_at().column > inline_entry->key_at().column ? file_entry : inline_entry;
    }
    ctx.error(second->key_at(), "set either {} or {} {}, not both", keys.file_key, keys.inline_key,
              map.where_phrase());
    return;
  }
  if (file_entry == nullptr && inline_entry == nullptr) {
    ctx.error(map.at(), "missing required key '{}' {} ({}), or {}: ${{{}}} from the environment",
              keys.file_key, map.where_phrase(), keys.what, keys.inline_key, keys.variable);
    return;
  }
  if (file_entry != nullptr) {
    auto text = read_secret_line(ctx, *file_entry, data_dir, file);
    if (!text) return;
    if (has_control_character(*text)) {
      ctx.error(file_entry->value_at(),
                "{}: {} holds a tab or another control character: the file must hold the secret "
                "alone, on one line",
                file_entry->label, file->string());
      OPENSSL_cleanse(text->data(), text->size());
      return;
    }
    secret = std::move(*text);
    return;
  }
  auto text = read_inline_secret(ctx, *inline_entry);
  if (!text) return;
  if (has_control_character(*text)) {
    ctx.error(inline_entry->value_at(),
              "{} holds a line break or another control character: give the secret alone, on "
              "one line",
              inline_entry->label);
    OPENSSL_cleanse(text->data(), text->size());
    return;
  }
  secret = std::move(*text);
}

OAuth2Auth decode_oauth2(Context& ctx, const Entry& entry, const std::string& where,
                         const std::filesystem::path& data_dir) {
  OAuth2Auth oauth2;
  auto map = open_map(ctx, entry, fmt::format("auth.oauth2 of {}", where), Naming::kItem);
  if (!map) return oauth2;
  map->check_keys({"token_url", "client_id", "client_secret_file", "client_secret", "scope"});
  if (const Entry* token_url = map->require("token_url",
                                            " (the API's OAuth 2.0 token endpoint, such as "
                                            "https://sis.example.org/oauth/token)")) {
    if (auto url = read_https_url(ctx, *token_url, "https://sis.example.org/oauth/token", true)) {
      oauth2.token_url = std::move(*url);
    }
  }
  if (const Entry* client_id =
          map->require("client_id", " (the client ID the API's administrator gave you)")) {
    if (auto text = read_nonempty_string(ctx, *client_id)) oauth2.client_id = std::move(*text);
  }
  decode_secret(ctx, *map,
                {"client_secret_file", "client_secret", "a file holding the client secret",
                 "API_CLIENT_SECRET"},
                data_dir, oauth2.client_secret_file, oauth2.client_secret);
  if (const Entry* scope = map->find("scope")) {
    if (auto text = read_nonempty_string(ctx, *scope)) oauth2.scope = std::move(*text);
  }
  return oauth2;
}

OAuth1Auth decode_oauth1(Context& ctx, const Entry& entry, const std::string& where,
                         const std::filesystem::path& data_dir) {
  OAuth1Auth oauth1;
  auto map = open_map(ctx, entry, fmt::format("auth.oauth1 of {}", where), Naming::kItem);
  if (!map) return oauth1;
  map->check_keys({"consumer_key", "consumer_secret_file", "consumer_secret"});
  if (const Entry* key =
          map->require("consumer_key", " (the key the API's administrator gave you)")) {
    if (auto text = read_nonempty_string(ctx, *key)) oauth1.consumer_key = std::move(*text);
  }
  decode_secret(ctx, *map,
                {"consumer_secret_file", "consumer_secret", "a file holding the consumer secret",
                 "API_CONSUMER_SECRET"},
                data_dir, oauth1.consumer_secret_file, oauth1.consumer_secret);
  return oauth1;
}

BasicAuth decode_basic(Context& ctx, const Entry& entry, const std::string& where,
                       const std::filesystem::path& data_dir) {
  BasicAuth basic;
  auto map = open_map(ctx, entry, fmt::format("auth.basic of {}", where), Naming::kItem);
  if (!map) return basic;
  map->check_keys({"user", "password_file", "password"});
  if (const Entry* user = map->require("user", " (the account Ferry logs in as)")) {
    if (auto text = read_nonempty_string(ctx, *user)) {
      if (text->find(':') != std::string::npos) {
        ctx.error(user->value_at(),
                  "{} cannot contain ':' (basic authentication puts one between user and "
                  "password)",
                  user->label);
      } else {
        basic.user = std::move(*text);
      }
    }
  }
  decode_secret(ctx, *map,
                {"password_file", "password", "a file holding the password", "API_PASSWORD"},
                data_dir, basic.password_file, basic.password);
  return basic;
}

// `auth:`: exactly one of oauth2, oauth1, bearer_file (or bearer) and basic.
ApiAuth decode_auth(Context& ctx, const Entry& entry, const std::string& where,
                    const std::filesystem::path& data_dir) {
  auto map = open_map(ctx, entry, fmt::format("auth of {}", where), Naming::kItem);
  if (!map) return {};
  const std::vector<std::string> known = {"oauth2", "oauth1", "bearer_file", "bearer", "basic"};
  map->check_keys(known);
  std::vector<std::string> found;
  for (const std::string& key : known) {
    if (map->find(key) != nullptr) found.push_back(key);
  }
  const Entry* bearer_file = map->find("bearer_file");
  const Entry* bearer = map->find("bearer");
  // bearer_file and bearer are one method given two ways (decode_secret reports both at once).
  const std::size_t methods = found.size() - (bearer_file != nullptr && bearer != nullptr ? 1 : 0);
  if (methods > 1) {
    ctx.error(map->at(), "the auth of {} sets {}: keep exactly one way to log in", where,
              join_choices(found, "and"));
    return {};
  }
  if (methods == 0) {
    // An unknown key (reported above with a did-you-mean) is most likely the method, misspelt.
    if (map->entries().empty()) {
      ctx.error(map->at(),
                "the auth of {} needs one way to log in: oauth2: {{token_url, client_id, "
                "client_secret_file}}, oauth1: {{consumer_key, consumer_secret_file}}, "
                "bearer_file: FILE (or bearer: ${{API_TOKEN}}), or basic: {{user, "
                "password_file}}",
                where);
    }
    return {};
  }
  if (const Entry* oauth2 = map->find("oauth2"))
    return decode_oauth2(ctx, *oauth2, where, data_dir);
  if (const Entry* oauth1 = map->find("oauth1"))
    return decode_oauth1(ctx, *oauth1, where, data_dir);
  if (const Entry* basic = map->find("basic")) return decode_basic(ctx, *basic, where, data_dir);
  BearerAuth token;
  decode_secret(ctx, *map, {"bearer_file", "bearer", "a file holding the API token", "API_TOKEN"},
                data_dir, token.token_file, token.token);
  return token;
}

void decode_limits(Context& ctx, const MapReader& map, ApiSettings& api) {
  const Entry* timeout = map.find("timeout");
  const Entry* request_timeout = map.find("request_timeout");
  bool durations_ok = true;
  if (timeout != nullptr) {
    auto duration = read_duration(ctx, *timeout, std::chrono::seconds(1));
    durations_ok = duration.has_value();
    if (duration) api.timeout = *duration;
  }
  if (request_timeout != nullptr) {
    auto duration = read_duration(ctx, *request_timeout, std::chrono::seconds(1));
    durations_ok = durations_ok && duration.has_value();
    if (duration) api.request_timeout = *duration;
  }
  if (durations_ok && api.request_timeout < api.timeout) {
    if (request_timeout != nullptr) {
      ctx.error(request_timeout->value_at(),
                "{} ({}) is shorter than timeout ({}): a whole request cannot take less than one "
                "of its steps may; make it at least {}",
                request_timeout->label, format_duration(api.request_timeout),
                format_duration(api.timeout), format_duration(api.timeout));
    } else {
      // Only a timeout written above the default request_timeout gets here.
      ctx.error(timeout->value_at(),
                "{} ({}) is longer than request_timeout ({} by default), which bounds a whole "
                "request: write request_timeout: {} or more too",
                timeout->label, format_duration(api.timeout), format_duration(api.request_timeout),
                format_duration(api.timeout));
    }
  }
  if (const Entry* max_size = map.find("max_response_size")) {
    if (auto size =
            read_size(ctx, *max_size, kMinResponseSize, std::numeric_limits<std::int64_t>::max())) {
      api.max_response_bytes = static_cast<std::int64_t>(*size);
    }
  }
  if (const Entry* rate_limit = map.find("rate_limit")) {
    if (auto rate = read_double(ctx, *rate_limit)) {
      if (*rate <= 0 || *rate > kMaxRateLimit) {
        ctx.error(rate_limit->value_at(),
                  "{} must be more than 0 and at most {} (requests a second; 0.5 is one request "
                  "every 2 seconds), got '{}'; leave it out for no limit",
                  rate_limit->label, kMaxRateLimit, *rate);
      } else {
        api.rate_limit = *rate;
      }
    }
  }
  if (const Entry* retries = map.find("retries")) {
    if (auto n = read_int(ctx, *retries, 0, kMaxRetries)) api.retries = static_cast<int>(*n);
  }
}

}  // namespace

const std::vector<std::string>& api_source_keys() {
  static const std::vector<std::string> keys = {
      "url",        "ca_file", "proxy", "auth", "timeout", "request_timeout", "max_response_size",
      "rate_limit", "retries"};
  return keys;
}

ApiSettings decode_api(Context& ctx, MapReader& map, const std::string& where,
                       const std::filesystem::path& data_dir) {
  ApiSettings api;
  api.at = map.at();
  api.service_dir = data_dir;
  if (const Entry* url = map.require(
          "url", " (the API's base URL, such as https://sis.example.org/ims/oneroster/v1p1)")) {
    if (auto text =
            read_https_url(ctx, *url, "https://sis.example.org/ims/oneroster/v1p1", false)) {
      api.url = std::move(*text);
    }
  }
  if (const Entry* ca_file = map.find("ca_file"))
    api.ca_file = read_ca_file(ctx, *ca_file, "the API server's");
  if (const Entry* proxy = map.find("proxy")) api.proxy = read_proxy(ctx, *proxy);
  if (const Entry* auth = map.require(
          "auth", " (how Ferry logs in to the API: oauth2, oauth1, bearer_file or basic)")) {
    api.auth = decode_auth(ctx, *auth, where, data_dir);
  }
  decode_limits(ctx, map, api);
  return api;
}

}  // namespace ferry::config::detail
