// What the SFTP transport asks of the system, on Windows (sftp_system.hpp): CreateFileW with an
// owner-only access list from the start, WriteFile at an offset, and Winsock's shutdown and
// keepalive (SIO_KEEPALIVE_VALS).
#include <utility>

#include <winsock2.h>
#include <ws2tcpip.h>
// After winsock2.h:
#include <mstcpip.h>
// After winsock2.h:
#include <windows.h>

#include "common/env/windows_acl.hpp"
#include "common/error/path_text.hpp"
#include "connectors/sftp/sftp_system.hpp"

namespace ferry::connectors::sftp {
namespace {

HANDLE as_handle(std::intptr_t handle) { return reinterpret_cast<HANDLE>(handle); }

}  // namespace

Result<DownloadFile> DownloadFile::create(const std::filesystem::path& path) {
  auto acl = env::windows::owner_only_acl(false);
  if (!acl) return tl::unexpected(acl.error());
  env::windows::ProtectedDescriptor descriptor(std::move(*acl));
  HANDLE file = ::CreateFileW(path.c_str(), GENERIC_WRITE, 0, descriptor.attributes(), CREATE_NEW,
                              FILE_ATTRIBUTE_NORMAL, nullptr);
  if (file == INVALID_HANDLE_VALUE) {
    return make_error(ErrorCode::kIo, "cannot create {}: {}", path_text(path),
                      env::windows::system_message(::GetLastError()));
  }
  return DownloadFile(reinterpret_cast<std::intptr_t>(file), path);
}

DownloadFile::~DownloadFile() {
  if (handle_ != kNone) ::CloseHandle(as_handle(handle_));
}

DownloadFile::DownloadFile(DownloadFile&& other) noexcept
    : handle_(std::exchange(other.handle_, kNone)), path_(std::move(other.path_)) {}

Result<void> DownloadFile::write_at(const char* data, std::size_t size, std::uint64_t offset) {
  while (size > 0) {
    OVERLAPPED at{};
    at.Offset = static_cast<DWORD>(offset & 0xffffffffu);
    at.OffsetHigh = static_cast<DWORD>(offset >> 32);
    const DWORD chunk = static_cast<DWORD>(std::min<std::size_t>(size, 1u << 30));
    DWORD wrote = 0;
    if (!::WriteFile(as_handle(handle_), data, chunk, &wrote, &at)) {
      return make_error(ErrorCode::kIo, "cannot write {}: {}", path_text(path_),
                        env::windows::system_message(::GetLastError()));
    }
    data += wrote;
    size -= wrote;
    offset += wrote;
  }
  return {};
}

void shut_down(socket_t socket) { ::shutdown(socket, SD_BOTH); }

void keep_alive(socket_t socket) {
  // SIO_KEEPALIVE_VALS sets the idle time and the interval (in milliseconds); Windows itself gives
  // up after 10 unanswered probes (since Vista), where Linux is told 4.
  tcp_keepalive values{};
  values.onoff = 1;
  values.keepalivetime = 60 * 1000;
  values.keepaliveinterval = 15 * 1000;
  DWORD returned = 0;
  ::WSAIoctl(socket, SIO_KEEPALIVE_VALS, &values, sizeof values, nullptr, 0, &returned, nullptr,
             nullptr);
}

}  // namespace ferry::connectors::sftp
