#include "agent/control/control_client.hpp"

#include <algorithm>
#include <thread>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "common/error/path_text.hpp"

namespace ferry::control {

namespace {

constexpr std::chrono::milliseconds kDefaultTimeout = std::chrono::seconds(10);

std::string message_of(const boost::json::object& answer) {
  const auto* message = answer.if_contains("message");
  return message != nullptr && message->is_string() ? std::string(message->get_string()) : "";
}

}  // namespace

Result<boost::json::object> ControlClient::ask(const std::string& line,
                                               std::chrono::milliseconds timeout,
                                               std::string_view refused) const {
  auto answer = request(socket_, line, timeout);
  if (!answer) return tl::unexpected(answer.error());
  auto object = parse_answer(*answer, path_text(socket_));
  if (!object) return tl::unexpected(object.error());
  auto refusal = refusal_of(*object, path_text(socket_));
  if (!refusal) return tl::unexpected(refusal.error());
  if (*refusal) return make_error(ErrorCode::kInvalidArgument, "{}: {}", refused, **refusal);
  return object;
}

Result<StatusReply> ControlClient::status() const {
  auto answer = request(socket_, status_line());
  if (!answer) return tl::unexpected(answer.error());
  auto status = parse_status(std::move(*answer), path_text(socket_));
  if (!status) return status;
  // The status JSON has no "ok"; a refusal (this user may not ask, say) has "ok": false.
  if (status->json.contains("ok")) {
    auto refusal = refusal_of(status->json, path_text(socket_));
    if (!refusal) return tl::unexpected(refusal.error());
    if (*refusal) {
      return make_error(ErrorCode::kInvalidArgument, "the running agent refused: {}", **refusal);
    }
  }
  return status;
}

Result<std::string> ControlClient::sync_now(const SyncNowRequest& asked) const {
  auto answer = ask(to_line(asked), kDefaultTimeout, "the running agent refused");
  if (!answer) return tl::unexpected(answer.error());
  return message_of(*answer);
}

Result<SyncWaitReply> ControlClient::sync_wait(const SyncWaitRequest& asked) const {
  // The agent answers when the timeout passes: allow the answer time to arrive.
  auto answer =
      ask(to_line(asked), asked.timeout + std::chrono::seconds(30), "the running agent refused");
  if (!answer) return tl::unexpected(answer.error());
  return parse_sync_wait_reply(*answer);
}

Result<EraseReply> ControlClient::erase(const EraseRequest& asked) const {
  auto answer =
      ask(to_line(asked), std::chrono::seconds(120), "the running agent refused the erasure");
  if (!answer) return tl::unexpected(answer.error());
  return parse_erase_reply(*answer);
}

Result<std::string> ControlClient::reload() const {
  auto answer =
      ask(reload_line(), std::chrono::seconds(90), "the running agent refused the reload");
  if (!answer) return tl::unexpected(answer.error());
  return message_of(*answer);
}

Result<void> ControlClient::ping() const {
  auto answer = ask(ping_line(), kDefaultTimeout, "the running agent refused");
  if (!answer) return tl::unexpected(answer.error());
  return {};
}

Result<void> ControlClient::ping_until(std::chrono::steady_clock::time_point deadline) const {
  auto pause = std::chrono::milliseconds(20);
  for (;;) {
    auto answered = ping();
    if (answered || answered.error().code != ErrorCode::kUnavailable ||
        std::chrono::steady_clock::now() + pause >= deadline) {
      return answered;
    }
    // Another process starting: there is nothing to wait on but its socket appearing.
    std::this_thread::sleep_for(pause);
    pause = std::min<std::chrono::milliseconds>(pause * 2, std::chrono::milliseconds(500));
  }
}

}  // namespace ferry::control
