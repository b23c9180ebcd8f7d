// What the SFTP transport asks of the system, on Windows (sftp_system.hpp): CreateFileW with an
// owner-only access list from the start, WriteFile at an offset, and Winsock's shutdown and
// keepalive options.
#include <utility>

#include <winsock2.h>
#include <ws2tcpip.h>
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
  const DWORD on = 1;
  const DWORD idle = 60;
  const DWORD interval = 15;
  const DWORD count = 4;
  ::setsockopt(socket, SOL_SOCKET, SO_KEEPALIVE, reinterpret_cast<const char*>(&on), sizeof on);
  ::setsockopt(socket, IPPROTO_TCP, TCP_KEEPIDLE, reinterpret_cast<const char*>(&idle),
               sizeof idle);
  ::setsockopt(socket, IPPROTO_TCP, TCP_KEEPINTVL, reinterpret_cast<const char*>(&interval),
               sizeof interval);
  ::setsockopt(socket, IPPROTO_TCP, TCP_KEEPCNT, reinterpret_cast<const char*>(&count),
               sizeof count);
}

}  // namespace ferry::connectors::sftp
