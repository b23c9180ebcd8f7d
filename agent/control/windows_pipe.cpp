#include "agent/control/windows_pipe.hpp"

#include <memory>
#include <vector>

// After windows.h:
#include <sddl.h>

#include "common/audit/audit_log.hpp"
#include "common/config/text.hpp"
#include "common/env/windows_acl.hpp"
#include "common/env/windows_handle.hpp"
#include "common/error/path_text.hpp"

namespace ferry::control::windows {
namespace {

constexpr std::wstring_view kPipePrefix = L"\\\\.\\pipe\\";

bool is_pipe_name(const std::filesystem::path& path) {
  const std::wstring& text = path.native();
  return text.size() > kPipePrefix.size() &&
         config::to_lower(path_text(std::filesystem::path(text.substr(0, kPipePrefix.size())))) ==
             path_text(std::filesystem::path(std::wstring(kPipePrefix)));
}

// The user of an access token, as SID text.
Result<env::UserId> token_user(HANDLE token) {
  DWORD size = 0;
  ::GetTokenInformation(token, TokenUser, nullptr, 0, &size);
  std::vector<unsigned char> buffer(size);
  if (size == 0 || !::GetTokenInformation(token, TokenUser, buffer.data(), size, &size)) {
    return make_error(ErrorCode::kIo, "cannot read the user of the other end of the pipe: {}",
                      env::windows::system_message(::GetLastError()));
  }
  LPWSTR text = nullptr;
  if (!::ConvertSidToStringSidW(reinterpret_cast<const TOKEN_USER*>(buffer.data())->User.Sid,
                                &text)) {
    return make_error(ErrorCode::kIo, "cannot read the user of the other end of the pipe: {}",
                      env::windows::system_message(::GetLastError()));
  }
  env::UserId user = path_text(std::filesystem::path(text));
  ::LocalFree(text);
  return user;
}

}  // namespace

std::wstring pipe_name(const std::filesystem::path& control_socket) {
  if (is_pipe_name(control_socket)) return control_socket.native();
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(control_socket, ec);
  if (ec) absolute = control_socket;
  const std::string key = config::to_lower(path_text(absolute.lexically_normal()));
  const std::string digest = audit::sha256_hex(key).value_or(std::string(16, '0'));
  return std::wstring(kPipePrefix) + L"ferry-" +
         std::filesystem::path(digest.substr(0, 16)).wstring();
}

std::string describe_pipe(const std::filesystem::path& control_socket) {
  if (is_pipe_name(control_socket)) return path_text(control_socket);
  return path_text(control_socket) + " (pipe " +
         path_text(std::filesystem::path(pipe_name(control_socket))) + ")";
}

Result<env::UserId> client_user(HANDLE pipe) {
  if (!::ImpersonateNamedPipeClient(pipe)) {
    return make_error(ErrorCode::kIo, "cannot tell who is at the other end of the pipe: {}",
                      env::windows::system_message(::GetLastError()));
  }
  HANDLE raw = nullptr;
  const bool opened = ::OpenThreadToken(::GetCurrentThread(), TOKEN_QUERY, TRUE, &raw) != 0;
  const DWORD error = ::GetLastError();
  ::RevertToSelf();
  if (!opened) {
    return make_error(ErrorCode::kIo, "cannot tell who is at the other end of the pipe: {}",
                      env::windows::system_message(error));
  }
  const env::windows::UniqueHandle token(raw);
  return token_user(raw);
}

Result<env::UserId> server_user(HANDLE pipe) {
  ULONG pid = 0;
  if (!::GetNamedPipeServerProcessId(pipe, &pid)) {
    return make_error(ErrorCode::kIo, "cannot tell which process answers on the pipe: {}",
                      env::windows::system_message(::GetLastError()));
  }
  const env::windows::UniqueHandle process(
      ::OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid));
  HANDLE raw = nullptr;
  if (process.get() == nullptr || !::OpenProcessToken(process.get(), TOKEN_QUERY, &raw)) {
    return make_error(ErrorCode::kIo,
                      "cannot tell who runs process {}, which answers on the pipe: {}", pid,
                      env::windows::system_message(::GetLastError()));
  }
  const env::windows::UniqueHandle token(raw);
  return token_user(raw);
}

bool trusted_server(const env::UserId& user) {
  // SYSTEM, LocalService, NetworkService; a service's own SID (NT SERVICE\Ferry).
  if (user == "S-1-5-18" || user == "S-1-5-19" || user == "S-1-5-20") return true;
  if (user.rfind("S-1-5-80-", 0) == 0) return true;
  return user == env::current_user();
}

}  // namespace ferry::control::windows
