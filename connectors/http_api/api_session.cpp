#include "connectors/http_api/api_session.hpp"

#include <algorithm>
#include <cstdio>
#include <utility>

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
  session->clock_ = context.clock;
  session->log_ = context.log;
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

bool ApiSession::wait(std::chrono::milliseconds delay, const std::stop_token& stop) {
  std::unique_lock lock(wait_mutex_);
  clock_->wait_until(wait_cv_, lock, stop, clock_->now() + delay, [] { return false; });
  return !stop.stop_requested();
}

Result<http::Response> ApiSession::get(const std::string& url, const http::BodyHandler& on_body,
                                       std::stop_token stop, http::SendReport* report) {
  if (auto same = same_origin(url); !same) return tl::unexpected(same.error());
  const std::string described = http::describe_request(boost::beast::http::verb::get, url);
  if (pause_.count() > 0) {
    const auto pause = std::exchange(pause_, std::chrono::milliseconds(0));
    if (!wait(pause, stop)) return make_error(ErrorCode::kUnavailable, "{}: stopped", described);
  }
  int renewals = 0;
  int throttled = 0;
  auto backoff = std::chrono::milliseconds(2000);
  for (;;) {
    http::Request request;
    request.url = url;
    request.headers.emplace_back("Accept", "application/json");
    request.sign = [this, stop](http::Request& attempt) {
      return authenticator_->apply(attempt, stop);
    };
    auto response = client_->send(request, on_body, stop, report);
    if (!response) {
      // A 429 the client gave up on is throttling as well, for an API that sends no Retry-After.
      if (!dialect_.rate_limit_exceeded_body || response.error().code != ErrorCode::kRateLimited ||
          throttled >= dialect_.throttle_waits) {
        return response;
      }
    } else if (response->status >= 200 && response->status <= 299) {
      if (dialect_.rate_limit_low_water > 0) {
        const auto remaining = response->header("X-Rate-Limit-Remaining");
        double left = 0;
        if (remaining && std::sscanf(std::string(*remaining).c_str(), "%lf", &left) == 1 &&
            left < dialect_.rate_limit_low_water && dialect_.drain_per_second > 0) {
          const double seconds = (dialect_.rate_limit_low_water - left) / dialect_.drain_per_second;
          pause_ = std::chrono::milliseconds(
              static_cast<std::int64_t>(std::min(seconds, 30.0) * 1000.0));
          if (log_)
            log_->debug(
                "slowing down source={}: X-Rate-Limit-Remaining {} below {}, next request "
                "in {} ms",
                setting_, left, dialect_.rate_limit_low_water, pause_.count());
        }
      }
      return response;
    } else if (response->status == 401 && renewals == 0 && authenticator_->renew_after_refusal()) {
      ++renewals;
      continue;
    } else {
      const bool throttle = dialect_.rate_limit_exceeded_body &&
                            (response->status == 403 || response->status == 429) &&
                            response->body.find("Rate Limit Exceeded") != std::string::npos;
      if (!throttle || throttled >= dialect_.throttle_waits) {
        if (throttle) {
          return make_error(ErrorCode::kRateLimited,
                            "{}: the API still says Rate Limit Exceeded after {} waits", described,
                            throttled);
        }
        if (response->status == 401 && dialect_.unchallenged_401_is_permission &&
            !response->header("WWW-Authenticate")) {
          return make_error(ErrorCode::kPermission,
                            "{}: the API refused access (HTTP 401 without a challenge: the token "
                            "is good but its user may not read this); give the user of auth.{} "
                            "of {} the permission, or leave the stream out",
                            described, authenticator_->method(), setting_);
        }
        return tl::unexpected(
            answer_error(*response, described, setting_, authenticator_->method()));
      }
    }
    // Throttled: wait, then ask again. Nothing of a throttled answer's body was handed over.
    ++throttled;
    ++throttle_waits_;
    if (log_)
      log_->info("throttled by the API source={} wait_ms={}: {}", setting_, backoff.count(),
                 described);
    if (!wait(backoff, stop)) return make_error(ErrorCode::kUnavailable, "{}: stopped", described);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(60000));
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
