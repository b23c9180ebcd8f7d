#include "connectors/http_api/api_session.hpp"

#include <fmt/format.h>

#include "common/config/url.hpp"
#include "common/http/tunnel.hpp"

namespace ferry::connectors::http_api {
namespace {

std::string origin_of(const config::Url& url) {
  return fmt::format("{}://{}", url.scheme,
                     http::authority(url.host, url.port == 0 ? 443 : url.port));
}

}  // namespace

Error answer_error(const http::Response& response, std::string_view request,
                   std::string_view setting, std::string_view auth_method) {
  const unsigned status = response.status;
  if (status == 401) {
    return Error{ErrorCode::kAuth,
                 fmt::format("{}: the API refused the credentials (HTTP 401): check auth.{} of {}",
                             request, auth_method, setting)};
  }
  if (status == 403) {
    return Error{ErrorCode::kPermission,
                 fmt::format("{}: the API refused access (HTTP 403): the account of auth.{} of {} "
                             "lacks the permission to read this; ask the API's administrator",
                             request, auth_method, setting)};
  }
  if (status == 404) {
    return Error{ErrorCode::kNotFound,
                 fmt::format("{}: not found (HTTP 404): check url of {} (the API's base URL, "
                             "including its version path)",
                             request, setting)};
  }
  if (status == 429) {
    return Error{ErrorCode::kRateLimited,
                 fmt::format("{}: the API asks to slow down (HTTP 429)", request)};
  }
  if (status >= 500) {
    return Error{
        ErrorCode::kUnavailable,
        fmt::format("{}: the API failed (HTTP {}); it is tried again later", request, status)};
  }
  return Error{
      ErrorCode::kConfig,
      fmt::format("{}: the API answered HTTP {}, which Ferry cannot use", request, status)};
}

Result<std::unique_ptr<ApiSession>> ApiSession::create(const config::SourceSettings& settings,
                                                       const SourceContext& context) {
  if (!settings.api) {
    return make_error(ErrorCode::kInternal, "source '{}' has no API settings", settings.name);
  }
  const config::ApiSettings& api = *settings.api;
  std::unique_ptr<ApiSession> session(new ApiSession());
  session->setting_ = fmt::format("source '{}'", settings.name);
  session->base_url_ = api.url;
  while (session->base_url_.ends_with('/')) session->base_url_.pop_back();
  auto parsed = config::parse_url(session->base_url_);
  if (!parsed) return with_context(parsed.error(), "url of " + session->setting_);
  session->origin_ = origin_of(*parsed);

  http::ClientOptions options;
  options.setting = session->setting_;
  options.ca_file = api.ca_file;
  if (api.proxy) {
    auto proxy = config::parse_url(*api.proxy);
    if (!proxy) return with_context(proxy.error(), "proxy of " + session->setting_);
    options.proxy = std::move(*proxy);
  }
  options.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(api.timeout);
  options.request_timeout =
      std::chrono::duration_cast<std::chrono::milliseconds>(api.request_timeout);
  options.max_response_bytes = static_cast<std::uint64_t>(api.max_response_bytes);
  options.rate_limit = api.rate_limit;
  options.retries = api.retries;
  auto client = http::Client::create(std::move(options), *context.clock);
  if (!client) return tl::unexpected(client.error());
  session->client_ = std::move(*client);
  session->authenticator_ =
      http::make_authenticator(api.auth, *session->client_, *context.clock, session->setting_);
  if (!session->authenticator_) {
    return make_error(ErrorCode::kConfig, "{} has no auth: method", session->setting_);
  }
  return session;
}

std::string ApiSession::url(std::string_view path) const {
  while (path.starts_with('/')) path.remove_prefix(1);
  return fmt::format("{}/{}", base_url_, path);
}

Result<void> ApiSession::same_origin(const std::string& url) const {
  auto parsed = config::parse_url(url);
  if (!parsed || origin_of(*parsed) != origin_) {
    return make_error(ErrorCode::kCorrupt,
                      "{}: the API points to another server ({}) for the next page; Ferry sends "
                      "its credentials only to {}",
                      setting_, parsed ? origin_of(*parsed) : std::string("not a URL"), origin_);
  }
  return {};
}

Result<http::Response> ApiSession::get(const std::string& url, const http::BodyHandler& on_body,
                                       std::stop_token stop, http::SendReport* report) {
  if (auto same = same_origin(url); !same) return tl::unexpected(same.error());
  for (int renewals = 0;; ++renewals) {
    http::Request request;
    request.url = url;
    request.headers.emplace_back("Accept", "application/json");
    request.sign = [this, stop](http::Request& attempt) {
      return authenticator_->apply(attempt, stop);
    };
    auto response = client_->send(request, on_body, stop, report);
    if (!response) return response;
    if (response->status >= 200 && response->status <= 299) return response;
    if (response->status == 401 && renewals == 0 && authenticator_->renew_after_refusal()) {
      continue;
    }
    return tl::unexpected(answer_error(*response, http::describe_request(request.method, url),
                                       setting_, authenticator_->method()));
  }
}

Result<http::Response> ApiSession::get_whole(const std::string& url, std::stop_token stop) {
  std::string body;
  auto response = get(
      url,
      [&](std::string_view piece) -> Result<void> {
        body.append(piece);
        return {};
      },
      stop);
  if (response) response->body = std::move(body);
  return response;
}

}  // namespace ferry::connectors::http_api
