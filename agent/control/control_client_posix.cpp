#include "agent/control/control_client.hpp"

#include <optional>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>
#include <sys/stat.h>

#include "agent/control/peer_posix.hpp"

namespace ferry::control {

namespace net = boost::asio;
using boost::system::error_code;

namespace {

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

}  // namespace ferry::control
