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

#include <memory>
#include <stop_token>
#include <string>
#include <string_view>

#include "common/config/settings.hpp"
#include "common/http/auth.hpp"
#include "common/http/client.hpp"
#include "connectors/api/context.hpp"

namespace ferry::connectors::http_api {

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
  http::Client& client() { return *client_; }

 private:
  ApiSession() = default;
  Result<void> same_origin(const std::string& url) const;

  std::string setting_;  // "source 'sis_api'"
  std::string base_url_;
  std::string origin_;  // "https://host:port", the only place credentials go
  std::unique_ptr<http::Client> client_;
  std::unique_ptr<http::Authenticator> authenticator_;
};

// The classification of a final non-2xx answer to `request` ("GET https://host/path"), for
// connectors that call the Client directly.
Error answer_error(const http::Response& response, std::string_view request,
                   std::string_view setting, std::string_view auth_method);

}  // namespace ferry::connectors::http_api
