#include "agent/control/control_client.hpp"

#include <algorithm>
#include <optional>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>
#include <sys/stat.h>

#include "agent/control/peer.hpp"

namespace ferry::control {

namespace net = boost::asio;
using boost::system::error_code;

namespace {

constexpr std::chrono::milliseconds kDefaultTimeout = std::chrono::seconds(10);

// Why the server at the other end of `socket` (connected to `path`) is not the agent; nullopt
// when it runs as root or as the owner of the socket file (SO_PEERCRED, docs/security.md).
std::optional<std::string> untrusted_server(net::local::stream_protocol::socket& socket,
                                            const std::filesystem::path& path) {
  auto server = peer_of(socket.native_handle());
  if (!server) return server.error().message;
  struct stat file {};
  if (::lstat(path.c_str(), &file) != 0) {
    return fmt::format("{} disappeared while connecting: not talking to what answered there",
                       path.string());
  }
  return distrust_of(path.string(), server->uid, file.st_uid);
}

std::string message_of(const boost::json::object& answer) {
  const auto* message = answer.if_contains("message");
  return message != nullptr && message->is_string() ? std::string(message->get_string()) : "";
}

}  // namespace

Result<std::string> request(const std::filesystem::path& path, const std::string& line,
                            std::chrono::milliseconds timeout) {
  net::io_context io;
  net::local::stream_protocol::socket socket(io);
  std::string response;
  error_code result;
  std::optional<std::string> untrusted;
  socket.async_connect(path.string(), [&](error_code ec) {
    if (ec) {
      result = ec;
      return;
    }
    untrusted = untrusted_server(socket, path);
    if (untrusted) return;  // nothing is sent to it
    auto text = std::make_shared<std::string>(line + "\n");
    net::async_write(socket, net::buffer(*text), [&, text](error_code write_ec, std::size_t) {
      if (write_ec) {
        result = write_ec;
        return;
      }
      net::async_read_until(socket, net::dynamic_buffer(response, 16 * 1024 * 1024), '\n',
                            [&](error_code read_ec, std::size_t) { result = read_ec; });
    });
  });
  io.run_for(timeout);
  if (untrusted) return make_error(ErrorCode::kPermission, "{}", *untrusted);
  if (!io.stopped()) {
    return make_error(ErrorCode::kIo, "the agent did not answer on {} within {} s", path.string(),
                      std::chrono::duration_cast<std::chrono::seconds>(timeout).count());
  }
  if (result == net::error::connection_refused || result == net::error::not_found ||
      result == boost::system::errc::no_such_file_or_directory) {
    return make_error(ErrorCode::kUnavailable, "no agent is running (nothing listens on {})",
                      path.string());
  }
  if (result == net::error::access_denied) {
    return make_error(ErrorCode::kPermission,
                      "cannot open {}: permission denied (run as root or as a member of the "
                      "agent's group)",
                      path.string());
  }
  if (result) {
    return make_error(ErrorCode::kIo, "control socket {}: {}", path.string(), result.message());
  }
  while (!response.empty() && (response.back() == '\n' || response.back() == '\r')) {
    response.pop_back();
  }
  return response;
}

Result<boost::json::object> ControlClient::ask(const std::string& line,
                                               std::chrono::milliseconds timeout,
                                               std::string_view refused) const {
  auto answer = request(socket_, line, timeout);
  if (!answer) return tl::unexpected(answer.error());
  auto object = parse_answer(*answer, socket_.string());
  if (!object) return tl::unexpected(object.error());
  auto refusal = refusal_of(*object, socket_.string());
  if (!refusal) return tl::unexpected(refusal.error());
  if (*refusal) return make_error(ErrorCode::kInvalidArgument, "{}: {}", refused, **refusal);
  return object;
}

Result<StatusReply> ControlClient::status() const {
  auto answer = request(socket_, status_line());
  if (!answer) return tl::unexpected(answer.error());
  auto status = parse_status(std::move(*answer), socket_.string());
  if (!status) return status;
  // The status JSON has no "ok"; a refusal (this user may not ask, say) has "ok": false.
  if (status->json.contains("ok")) {
    auto refusal = refusal_of(status->json, socket_.string());
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
