// The lock file on Windows (file_lock.hpp): LockFileEx on one byte far past the end of the file.
// Windows' byte-range locks are mandatory, so the locked byte is one no one reads or writes.
#include "common/fs/file_lock.hpp"

#include <utility>

#include <windows.h>

#include "common/env/windows_acl.hpp"
#include "common/error/path_text.hpp"

namespace ferry::fs {
namespace {

constexpr DWORD kLockOffsetHigh = 0x40000000;  // byte 2^62: past any file Ferry writes

}  // namespace

Result<FileLock> FileLock::exclusive(const std::filesystem::path& path, Wait wait) {
  auto acl = env::windows::owner_only_acl(false);
  if (!acl) return tl::unexpected(acl.error());
  env::windows::ProtectedDescriptor descriptor(std::move(*acl));
  HANDLE file = ::CreateFileW(path.c_str(), GENERIC_READ | GENERIC_WRITE,
                              FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                              descriptor.attributes(), OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (file == INVALID_HANDLE_VALUE) {
    return make_error(ErrorCode::kIo, "cannot open the lock file {}: {}", path_text(path),
                      env::windows::system_message(::GetLastError()));
  }
  OVERLAPPED at{};
  at.OffsetHigh = kLockOffsetHigh;
  DWORD flags = LOCKFILE_EXCLUSIVE_LOCK;
  if (wait == Wait::kNot) flags |= LOCKFILE_FAIL_IMMEDIATELY;
  if (!::LockFileEx(file, flags, 0, 1, 0, &at)) {
    const DWORD error = ::GetLastError();
    ::CloseHandle(file);
    if (error == ERROR_LOCK_VIOLATION || error == ERROR_IO_PENDING) {
      return make_error(ErrorCode::kUnavailable, "{} is locked by another process",
                        path_text(path));
    }
    return make_error(ErrorCode::kIo, "cannot lock {}: {}", path_text(path),
                      env::windows::system_message(error));
  }
  return FileLock(reinterpret_cast<std::intptr_t>(file));
}

FileLock::~FileLock() {
  // Closing the handle releases the lock.
  if (handle_ != kNone) ::CloseHandle(reinterpret_cast<HANDLE>(handle_));
}

FileLock::FileLock(FileLock&& other) noexcept : handle_(std::exchange(other.handle_, kNone)) {}

}  // namespace ferry::fs
