// How an API source proves who it is (`auth:` of the source, docs/configuration.md "API sources"):
// OAuth 2.0 client credentials (RFC 6749 section 4.4; the access token cached until shortly
// before it expires, fetched again once when the API answers 401), OAuth 1.0a with HMAC-SHA256
// (RFC 5849, as OneRoster 1.1 certification requires), a bearer token, or HTTP Basic.
//
// Secrets stay in memory only: never in a message, a log line or a status. Threads: one thread at
// a time, like the Client it uses.
#pragma once

#include <memory>
#include <stop_token>
#include <string>
#include <string_view>

#include "common/config/settings.hpp"
#include "common/env/clock.hpp"
#include "common/error/error.hpp"
#include "common/http/client.hpp"

namespace ferry::http {

class Authenticator {
 public:
  virtual ~Authenticator() = default;

  // Adds the credentials to `request` (its method and url final), fetching an access token first
  // when none is cached. Errors: kAuth when the credentials are refused (the message says which
  // keys to check), else as the Client's.
  virtual Result<void> apply(Request& request, std::stop_token stop) = 0;

  // The API answered 401 to a request made with apply(). True when asking again may help: an
  // OAuth 2 token is dropped so that the next apply() fetches a new one (once per refusal).
  virtual bool renew_after_refusal() { return false; }

  // "oauth2", "oauth1", "bearer", "basic": the method as `auth:` names it, for messages.
  virtual std::string_view method() const = 0;
};

// The authenticator of `auth` (one of the four, not monostate). `client` and `clock` outlive it;
// `setting` names the source in messages ("source 'sis_api'").
std::unique_ptr<Authenticator> make_authenticator(const config::ApiAuth& auth, Client& client,
                                                  const env::Clock& clock, std::string setting);

// The OAuth 1.0a HMAC-SHA256 Authorization header value for `method` `url` (its query parameters
// signed too), with the given timestamp and nonce: exposed for tests against published vectors.
Result<std::string> oauth1_authorization(std::string_view method, std::string_view url,
                                         std::string_view consumer_key,
                                         std::string_view consumer_secret,
                                         std::string_view timestamp, std::string_view nonce);

}  // namespace ferry::http
