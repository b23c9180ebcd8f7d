// The client end of the control pipe (windows_pipe.hpp): the pipe is opened for identification
// only (a server cannot act as the user who asks), its server's user is checked before anything
// is sent (SYSTEM, a service account, or this user: docs/security.md), then one line is written
// and one line read, within the time allowed.
#include "agent/control/control_client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/windows/stream_handle.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>
#include <windows.h>

#include "agent/control/windows_pipe.hpp"
#include "common/env/windows_acl.hpp"

namespace ferry::control {
namespace {

namespace net = boost::asio;
using boost::system::error_code;

// Opens the pipe, waiting while every instance is busy, until `deadline`.
Result<HANDLE> open_pipe(const std::filesystem::path& path,
                         std::chrono::steady_clock::time_point deadline) {
  const std::wstring name = windows::pipe_name(path);
  for (;;) {
    HANDLE pipe = ::CreateFileW(
        name.c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_EXISTING,
        FILE_FLAG_OVERLAPPED | SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION, nullptr);
    if (pipe != INVALID_HANDLE_VALUE) return pipe;
    const DWORD error = ::GetLastError();
    if (error == ERROR_FILE_NOT_FOUND) {
      return make_error(ErrorCode::kUnavailable, "no agent is running (nothing listens on {})",
                        windows::describe_pipe(path));
    }
    if (error == ERROR_ACCESS_DENIED) {
      return make_error(ErrorCode::kPermission,
                        "cannot open {}: access denied (run as an administrator or as the "
                        "agent's account)",
                        windows::describe_pipe(path));
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (error != ERROR_PIPE_BUSY || left.count() <= 0) {
      return make_error(ErrorCode::kIo, "control pipe {}: {}", windows::describe_pipe(path),
                        env::windows::system_message(error));
    }
    ::WaitNamedPipeW(name.c_str(), static_cast<DWORD>(left.count()));
  }
}

}  // namespace

Result<std::string> request(const std::filesystem::path& path, const std::string& line,
                            std::chrono::milliseconds timeout) {
  auto opened = open_pipe(path, std::chrono::steady_clock::now() + timeout);
  if (!opened) return tl::unexpected(opened.error());
  net::io_context io;
  net::windows::stream_handle pipe(io, *opened);
  auto server = windows::server_user(pipe.native_handle());
  if (!server)
    return make_error(ErrorCode::kPermission, "{}: not talking to it", server.error().message);
  if (!windows::trusted_server(*server)) {
    return make_error(ErrorCode::kPermission,
                      "{} answers as {}, who is neither SYSTEM, a service account nor you: not "
                      "talking to it. Another program may have taken the agent's place there: "
                      "check who runs the agent",
                      windows::describe_pipe(path), env::user_name(*server));
  }
  std::string response;
  error_code result;
  const auto text = std::make_shared<std::string>(line + "\n");
  net::async_write(pipe, net::buffer(*text), [&, text](error_code write_ec, std::size_t) {
    if (write_ec) {
      result = write_ec;
      return;
    }
    net::async_read_until(pipe, net::dynamic_buffer(response, 16 * 1024 * 1024), '\n',
                          [&](error_code read_ec, std::size_t) { result = read_ec; });
  });
  io.run_for(timeout);
  if (!io.stopped()) {
    error_code ignored;
    pipe.close(ignored);  // the pending read ends, cancelled
    io.restart();
    io.run();
    return make_error(ErrorCode::kIo, "the agent did not answer on {} within {} s",
                      windows::describe_pipe(path),
                      std::chrono::duration_cast<std::chrono::seconds>(timeout).count());
  }
  if (result) {
    return make_error(ErrorCode::kIo, "control pipe {}: {}", windows::describe_pipe(path),
                      result.message());
  }
  while (!response.empty() && (response.back() == '\n' || response.back() == '\r')) {
    response.pop_back();
  }
  return response;
}

}  // namespace ferry::control
