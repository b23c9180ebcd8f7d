#include "agent/cli/check_uplink.hpp"

#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <fmt/format.h>

#include "agent/uplink/dial.hpp"
#include "agent/uplink/messages.hpp"
#include "agent/uplink/tls_context.hpp"
#include "common/error/path_text.hpp"
#include "common/frame/frame.hpp"

namespace ferry::cli {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using namespace net::experimental::awaitable_operators;
using boost::system::error_code;
using uplink::DialError;
using uplink::DialFailure;
using uplink::DialTarget;

// Each network step gets this long; a check should answer in seconds, not the agent's minutes.
constexpr std::chrono::seconds kStepTimeout{10};
// Certificates expiring within this many days get a "renew soon" note on their OK line.
constexpr int kRenewSoonDays = 30;

// "host:port", with brackets around an IPv6 literal.
std::string authority(const std::string& host, std::uint16_t port) {
  if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

std::string tenant_at(const DialTarget& target) { return authority(target.host, target.port); }

std::string proxy_at(const DialTarget& target) {
  return authority(target.proxy->host, target.proxy->port);
}

// The addresses a name resolved to, at most four, each once.
std::string addresses(const uplink::Endpoints& endpoints) {
  std::set<std::string> seen;
  std::vector<std::string> listed;
  for (const auto& entry : endpoints) {
    auto address = entry.endpoint().address().to_string();
    if (!seen.insert(address).second) continue;
    if (listed.size() == 4) {
      listed.emplace_back("...");
      break;
    }
    listed.push_back(std::move(address));
  }
  return fmt::format("{}", fmt::join(listed, ", "));
}

class UplinkCheck {
 public:
  // `tls` is null when the TLS settings cannot be used (already reported).
  UplinkCheck(const config::Settings& settings, DialTarget target,
              std::unique_ptr<net::ssl::context> tls, CheckReport& report)
      : settings_(settings), target_(std::move(target)), tls_(std::move(tls)), report_(report) {}

  net::awaitable<void> run() {
    auto endpoints = co_await uplink::resolve_step(target_);
    if (!endpoints) {
      fail_step("dns", endpoints.error());
      co_return;
    }
    report_.ok("dns", dns_found(*endpoints));

    auto stream = co_await uplink::connect_step(target_, *endpoints);
    if (!stream) {
      fail_step("tcp", stream.error());
      co_return;
    }
    report_.ok("tcp", fmt::format("connected to {}{}",
                                  target_.proxy ? proxy_at(target_) : tenant_at(target_),
                                  target_.proxy ? " (uplink.proxy)" : ""));
    if (target_.proxy) {
      auto tunnel = co_await uplink::tunnel_step(*stream, target_);
      if (!tunnel) {
        fail_step("proxy", tunnel.error());
        co_return;
      }
      report_.ok("proxy",
                 fmt::format("{} opened a tunnel to {}", proxy_at(target_), tenant_at(target_)));
    }
    co_await check_tls_and_token(std::move(*stream));
  }

 private:
  net::awaitable<void> check_tls_and_token(beast::tcp_stream stream) {
    if (!tls_) {  // the TLS settings failed, and said so, before the network checks
      skip_after("tls");
      co_return;
    }
    std::optional<std::chrono::system_clock::time_point> expires;
    auto dialed = co_await uplink::tls_step(*tls_, std::move(stream), target_, &expires);
    if (!dialed) {
      fail_step("tls", dialed.error());
      co_return;
    }
    report_.ok("tls", tls_found(*dialed));

    auto upgraded = co_await uplink::upgrade_step(*dialed->ws, target_);
    if (!upgraded) {
      fail_step("token", upgraded.error());
      co_return;
    }
    co_await check_hello(*dialed->ws);
    error_code ignored;
    co_await dialed->ws->async_close(websocket::close_code::normal,
                                     net::redirect_error(net::use_awaitable, ignored));
  }

  // The tenant knows the token; `hello` shows whether it is this agent's (agent.id, agent.tenant).
  // The spool id is a throwaway one: the check must not touch the spool (an agent may hold it).
  net::awaitable<void> check_hello(uplink::WebSocket& ws) {
    auto spool_id = frame::new_uuid();
    if (!spool_id) {
      report_.fail("token", spool_id.error().message);
      co_return;
    }
    const uplink::Hello hello{settings_.agent.id, settings_.agent.tenant, *spool_id, FERRY_VERSION,
                              1};
    ws.text(true);
    error_code ec;
    co_await ws.async_write(net::buffer(uplink::to_json(hello)),
                            net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      report_.fail("token", fmt::format("the connection to {} failed after the token was "
                                        "accepted: {}",
                                        target_.url, ec.message()));
      co_return;
    }
    auto welcomed = co_await await_welcome(ws);
    if (!welcomed) {
      report_.fail("token", welcomed.error());
      co_return;
    }
    report_.ok("token", fmt::format("the tenant accepted the token for agent {} of tenant {}",
                                    settings_.agent.id, settings_.agent.tenant));
  }

  // Waits for `welcome`, skipping messages of types this version does not know.
  net::awaitable<tl::expected<void, std::string>> await_welcome(uplink::WebSocket& ws) {
    net::steady_timer deadline(co_await net::this_coro::executor);
    deadline.expires_after(kStepTimeout);
    for (;;) {
      beast::flat_buffer buffer;
      error_code ec;
      error_code timer_ec;
      auto first =
          co_await (ws.async_read(buffer, net::redirect_error(net::use_awaitable, ec)) ||
                    deadline.async_wait(net::redirect_error(net::use_awaitable, timer_ec)));
      if (first.index() == 1) {
        co_return tl::unexpected(fmt::format(
            "{} accepted the token but did not answer hello within {}s: ask the tenant's "
            "operator to look at its logs",
            target_.url, kStepTimeout.count()));
      }
      if (ec) co_return tl::unexpected(hello_refused(ec, ws));
      auto message = uplink::parse_incoming(
          std::string_view(static_cast<const char*>(buffer.data().data()), buffer.size()));
      if (!message) {
        co_return tl::unexpected(fmt::format("the tenant's answer to hello is not readable: {}",
                                             message.error().message));
      }
      if (std::holds_alternative<uplink::Welcome>(*message)) {
        co_return tl::expected<void, std::string>{};
      }
      if (!std::holds_alternative<uplink::UnknownMessage>(*message)) {
        co_return tl::unexpected(
            std::string("the tenant sent another message before welcome (a protocol error)"));
      }
    }
  }

  std::string hello_refused(const error_code& ec, const uplink::WebSocket& ws) const {
    if (ec != websocket::error::closed) {
      return fmt::format("the connection to {} failed after the token was accepted: {}",
                         target_.url, ec.message());
    }
    const auto& reason = ws.reason();
    return fmt::format(
        "the tenant knows the token but refused hello for agent {} of tenant {} (close code "
        "{}: {}): the token was issued for another agent; check agent.id and agent.tenant in {} "
        "against what the tenant issued the token for",
        settings_.agent.id, settings_.agent.tenant, static_cast<unsigned>(reason.code),
        std::string(reason.reason.data(), reason.reason.size()), path_text(settings_.file));
  }

  std::string dns_found(const uplink::Endpoints& endpoints) const {
    if (target_.proxy) {
      return fmt::format("the proxy {} (uplink.proxy) resolves to {}; the proxy resolves {}",
                         target_.proxy->host, addresses(endpoints), target_.host);
    }
    return fmt::format("{} resolves to {}", target_.host, addresses(endpoints));
  }

  std::string dns_hint() const {
    return fmt::format(": check the host name in {} and this machine's DNS settings",
                       target_.proxy ? "uplink.proxy" : "uplink.url");
  }

  std::string tcp_hint() const {
    if (target_.proxy) {
      return ": is the proxy running? check the host and port in uplink.proxy";
    }
    return fmt::format(
        ": is the tenant running at that address? check the host and port in uplink.url, and "
        "that firewalls let this machine connect out to port {}",
        target_.port);
  }

  std::string tls_found(const uplink::Dialed& dialed) const {
    std::string found = fmt::format("{} with {}; certificate trusted and issued for {}",
                                    dialed.tls_version, tenant_at(target_), target_.host);
    if (!dialed.certificate_expires) return found;
    const auto left = std::chrono::floor<std::chrono::days>(*dialed.certificate_expires -
                                                            std::chrono::system_clock::now());
    found += fmt::format(", expires in {} day{} ({})", left.count(), left.count() == 1 ? "" : "s",
                         uplink::format_date(*dialed.certificate_expires));
    if (left.count() < kRenewSoonDays) {
      found += ": ask the tenant to renew it soon, the agent cannot connect once it expires";
    }
    return found;
  }

  // The steps in the order they run.
  std::vector<std::string_view> steps() const {
    if (target_.proxy) return {"dns", "tcp", "proxy", "tls", "token"};
    return {"dns", "tcp", "tls", "token"};
  }

  // A FAIL line for `step` from a dial error (plus a hint for steps whose message has none), then
  // a SKIP line for each later step.
  void fail_step(std::string_view step, const DialError& error) {
    std::string hint;
    if (error.kind == DialFailure::kResolve) hint = dns_hint();
    if (error.kind == DialFailure::kConnect) hint = tcp_hint();
    if (error.kind == DialFailure::kTls) {
      hint = ": check that uplink.url names the tenant's TLS (wss://) port";
    }
    report_.fail(step, error.message + hint);
    skip_after(step);
  }

  // A SKIP line for each step after `failed`; not for tls when its settings already FAILed.
  void skip_after(std::string_view failed) {
    bool after = false;
    for (const auto step : steps()) {
      if (after && !(step == "tls" && !tls_)) {
        report_.skip(step, fmt::format("skipped because the {} check failed", failed));
      }
      after = after || step == failed;
    }
  }

  const config::Settings& settings_;
  DialTarget target_;
  std::unique_ptr<net::ssl::context> tls_;
  CheckReport& report_;
};

}  // namespace

void check_uplink(const config::Settings& settings, CheckReport& report) {
  const auto& uplink_settings = settings.uplink;
  if (!uplink_settings.enabled) {
    report.skip("uplink", fmt::format("uplink.enabled is false in {}: rows stay in the spool and "
                                      "nothing is sent, so there is no tenant to check",
                                      path_text(settings.file)));
    return;
  }
  auto target =
      uplink::make_dial_target(uplink_settings.url, uplink_settings.proxy, uplink_settings.token);
  if (!target) {
    report.fail("uplink", target.error());
    return;
  }
  target->connect_timeout = kStepTimeout;
  target->ca_file = uplink_settings.ca_file;
  target->idle_timeout = kStepTimeout;
  // A ca_file or client certificate that cannot be used is reported first, so that a network
  // failure does not hide it.
  auto tls = uplink::make_tls_context(uplink_settings, settings.agent.data_dir);
  if (!tls) report.fail("tls", tls.error().message);
  net::io_context io;
  UplinkCheck check(settings, std::move(*target), tls ? std::move(*tls) : nullptr, report);
  std::exception_ptr crashed;
  net::co_spawn(io, check.run(), [&](std::exception_ptr error) { crashed = error; });
  io.run();
  if (crashed) std::rethrow_exception(crashed);
}

}  // namespace ferry::cli
