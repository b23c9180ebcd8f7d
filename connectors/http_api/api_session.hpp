// What every API source (OneRoster REST, Ed-Fi, Canvas) does the same way: one HTTP client made
// from the source's settings (url, ca_file, proxy, limits), its credentials (auth:), GET with the
// credentials and one renewal after a 401, and the final answer classified the way the agent's
// back-off reads errors: kAuth (HTTP 401, credentials refused: someone must fix them),
// kPermission (HTTP 403: the account may not read this collection), kRateLimited (the API asked
// to slow down), kUnavailable (down or unreachable: soon again), kNotFound and kConfig (a path or
// a setting is wrong). Messages name the source, the method and the path, never a
// query value, a header or a body.
//
// Threads: one source worker at a time, like the Client.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <string_view>

#include "common/config/settings.hpp"
#include "common/http/auth.hpp"
#include "common/http/client.hpp"
#include "connectors/api/context.hpp"

namespace ferry::connectors::http_api {

// How an API's answers differ from plain HTTP, for the connectors whose API needs it (Canvas).
struct ApiDialect {
  // A 403 or 429 whose body says "Rate Limit Exceeded" is throttling (Canvas's leaky bucket,
  // which sends no Retry-After): the session waits and asks again, 2 s doubling up to 1 minute,
  // at most `throttle_waits` times, before the request fails with kRateLimited.
  bool rate_limit_exceeded_body = false;
  int throttle_waits = 8;
  // A 401 without a WWW-Authenticate challenge: the credentials are good but may not read this
  // (Canvas's "user not authorized to perform that action"): kPermission, not kAuth.
  bool unchallenged_401_is_permission = false;
  // When X-Rate-Limit-Remaining falls below this, the next request waits until the API's bucket
  // has drained that far again, at `drain_per_second` units a second (at most 30 s); 0: never.
  double rate_limit_low_water = 0;
  double drain_per_second = 10;
};

class ApiSession {
 public:
  // From a source whose settings.api is set (SourceTypeSpec::api_source). Fails with kConfig
  // when the trust store or ca_file cannot be used.
  static Result<std::unique_ptr<ApiSession>> create(const config::SourceSettings& settings,
                                                    const SourceContext& context);

  // The API's base URL (url:), without a trailing '/'.
  const std::string& base_url() const { return base_url_; }
  // "https://host:port": the only place the credentials go.
  const std::string& origin() const { return origin_; }
  // base_url() + "/" + path (path without its leading '/').
  std::string url(std::string_view path) const;

  // GET `url` with the credentials; a 2xx answer's body goes to `on_body` as it arrives, and the
  // response (its headers) is returned. Any other final answer is an error as described above.
  // `url` must be on the API's own scheme, host and port (a Link to elsewhere is refused, so
  // that the credentials never go to another server).
  Result<http::Response> get(const std::string& url, const http::BodyHandler& on_body,
                             std::stop_token stop, http::SendReport* report = nullptr);

  // The same, for an answer read whole (a small one: Ed-Fi's availableChangeVersions).
  Result<http::Response> get_whole(const std::string& url, std::stop_token stop);

  std::string_view auth_method() const { return authenticator_->method(); }
  void set_dialect(ApiDialect dialect) { dialect_ = dialect; }
  // Waits (throttling) so far, for tests and logs.
  std::uint64_t throttle_waits() const { return throttle_waits_; }
  http::Client& client() { return *client_; }

 private:
  ApiSession() = default;
  Result<void> same_origin(const std::string& url) const;
  // Waits `delay` by the source's clock; false when `stop` came first.
  bool wait(std::chrono::milliseconds delay, const std::stop_token& stop);

  std::string setting_;  // "source 'sis_api'"
  std::string base_url_;
  std::string origin_;  // "https://host:port", the only place credentials go
  std::unique_ptr<http::Client> client_;
  std::unique_ptr<http::Authenticator> authenticator_;
  const env::Clock* clock_ = nullptr;
  std::shared_ptr<spdlog::logger> log_;
  ApiDialect dialect_;
  std::chrono::milliseconds pause_{0};  // before the next request (rate_limit_low_water)
  // What wait() waits on: members, as a clock may notify a waiter's condition variable after
  // the wait has returned (FakeClock does).
  std::mutex wait_mutex_;
  std::condition_variable_any wait_cv_;
  std::uint64_t throttle_waits_ = 0;
};

// The classification of a final non-2xx answer to `request` ("GET https://host/path"), for
// connectors that call the Client directly.
Error answer_error(const http::Response& response, std::string_view request,
                   std::string_view setting, std::string_view auth_method);

}  // namespace ferry::connectors::http_api
