// The audit log's file on Windows (log_file.hpp): LockFileEx on audit.log.lock (shared for
// readers, exclusive for the writer) before audit.log is opened, appends at the end,
// FlushFileBuffers, ReadFile at an offset.
#include "common/audit/log_file.hpp"

#include <utility>

#include <windows.h>

#include "common/env/windows_acl.hpp"
#include "common/error/path_text.hpp"
#include "common/fs/atomic_file.hpp"

namespace ferry::audit::detail {
namespace {

namespace win = env::windows;

constexpr DWORD kLockOffsetHigh = 0x40000000;  // byte 2^62, as fs::FileLock
constexpr DWORD kShareAll = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;

tl::unexpected<Error> os_error(std::string_view what, const std::filesystem::path& path,
                               DWORD error) {
  const ErrorCode code = error == ERROR_FILE_NOT_FOUND || error == ERROR_PATH_NOT_FOUND
                             ? ErrorCode::kNotFound
                         : error == ERROR_ACCESS_DENIED ? ErrorCode::kPermission
                                                        : ErrorCode::kIo;
  return make_error(code, "cannot {} {}: {}", what, path_text(path), win::system_message(error));
}

HANDLE as_handle(std::intptr_t handle) { return reinterpret_cast<HANDLE>(handle); }

Result<HANDLE> open_handle(const std::filesystem::path& path, LockMode mode) {
  if (mode == LockMode::kShared) {
    HANDLE file = ::CreateFileW(path.c_str(), GENERIC_READ, kShareAll, nullptr, OPEN_EXISTING,
                                FILE_ATTRIBUTE_NORMAL, nullptr);
    if (file == INVALID_HANDLE_VALUE) return os_error("read", path, ::GetLastError());
    return file;
  }
  auto acl = win::owner_only_acl(false);
  if (!acl) return tl::unexpected(acl.error());
  win::ProtectedDescriptor descriptor(std::move(*acl));
  HANDLE file = ::CreateFileW(path.c_str(), GENERIC_READ | GENERIC_WRITE, kShareAll,
                              descriptor.attributes(), OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (file == INVALID_HANDLE_VALUE) return os_error("open", path, ::GetLastError());
  return file;
}

// Opens and locks <path>.lock: shared for readers, exclusive for the writer.
Result<HANDLE> lock(const std::filesystem::path& path, LockMode mode) {
  std::filesystem::path lock_path = path;
  lock_path += ".lock";
  auto acl = win::owner_only_acl(false);
  if (!acl) return tl::unexpected(acl.error());
  win::ProtectedDescriptor descriptor(std::move(*acl));
  HANDLE file = ::CreateFileW(lock_path.c_str(), GENERIC_READ | GENERIC_WRITE, kShareAll,
                              descriptor.attributes(), OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (file == INVALID_HANDLE_VALUE) return os_error("open", lock_path, ::GetLastError());
  OVERLAPPED at{};
  at.OffsetHigh = kLockOffsetHigh;
  const DWORD flags = mode == LockMode::kShared ? 0 : LOCKFILE_EXCLUSIVE_LOCK;
  if (!::LockFileEx(file, flags, 0, 1, 0, &at)) {
    const DWORD error = ::GetLastError();
    ::CloseHandle(file);
    return os_error("lock", lock_path, error);
  }
  return file;
}

Result<BY_HANDLE_FILE_INFORMATION> information(HANDLE file, const std::filesystem::path& path) {
  BY_HANDLE_FILE_INFORMATION info{};
  if (!::GetFileInformationByHandle(file, &info)) {
    return os_error("read the status of", path, ::GetLastError());
  }
  return info;
}

Result<void> flush(HANDLE file, const std::filesystem::path& path) {
  if (!::FlushFileBuffers(file)) return os_error("sync", path, ::GetLastError());
  return {};
}

}  // namespace

Result<LockedFile> LockedFile::open(const std::filesystem::path& path, LockMode mode) {
  // Locked first, then opened: while a writer holds the lock, no one has audit.log open, so that
  // trimming can rename a new file over it.
  auto locked = lock(path, mode);
  if (!locked) return tl::unexpected(locked.error());
  const auto lock_handle = reinterpret_cast<std::intptr_t>(*locked);
  auto file = open_handle(path, mode);
  if (!file) {
    ::CloseHandle(*locked);
    return tl::unexpected(file.error());
  }
  return LockedFile(reinterpret_cast<std::intptr_t>(*file), path, lock_handle);
}

LockedFile::~LockedFile() {
  if (handle_ != kNone) ::CloseHandle(as_handle(handle_));
  if (lock_ != kNone) ::CloseHandle(as_handle(lock_));  // closing releases the lock
}

LockedFile::LockedFile(LockedFile&& other) noexcept
    : handle_(std::exchange(other.handle_, kNone)),
      lock_(std::exchange(other.lock_, kNone)),
      path_(std::move(other.path_)) {}

Result<void> LockedFile::replace(std::string_view content) {
  // A file that is open cannot be renamed over: close it (the lock, on audit.log.lock, stays).
  if (handle_ != kNone) ::CloseHandle(as_handle(std::exchange(handle_, kNone)));
  return fs::write_file_atomically(path_, content, fs::Access::kAsReplaced);
}

Result<FileStatus> LockedFile::status() const {
  auto info = information(as_handle(handle_), path_);
  if (!info) return tl::unexpected(info.error());
  const auto high = [](DWORD value) { return static_cast<std::uint64_t>(value) << 32; };
  return FileStatus{static_cast<Offset>(high(info->nFileSizeHigh) | info->nFileSizeLow),
                    info->dwVolumeSerialNumber, high(info->nFileIndexHigh) | info->nFileIndexLow};
}

Result<void> LockedFile::append_durably(std::string_view text) const {
  HANDLE file = as_handle(handle_);
  LARGE_INTEGER none{};
  if (!::SetFilePointerEx(file, none, nullptr, FILE_END)) {
    return os_error("append to", path_, ::GetLastError());
  }
  while (!text.empty()) {
    DWORD written = 0;
    if (!::WriteFile(file, text.data(), static_cast<DWORD>(text.size()), &written, nullptr)) {
      return os_error("append to", path_, ::GetLastError());
    }
    text.remove_prefix(written);
  }
  return flush(file, path_);
}

Result<void> LockedFile::truncate(Offset size) const {
  HANDLE file = as_handle(handle_);
  LARGE_INTEGER at{};
  at.QuadPart = size;
  if (!::SetFilePointerEx(file, at, nullptr, FILE_BEGIN) || !::SetEndOfFile(file)) {
    return os_error("cut the incomplete last line of", path_, ::GetLastError());
  }
  return flush(file, path_);
}

Result<std::size_t> LockedFile::read_at(char* into, std::size_t size, Offset offset) const {
  OVERLAPPED at{};
  at.Offset = static_cast<DWORD>(static_cast<std::uint64_t>(offset) & 0xffffffffu);
  at.OffsetHigh = static_cast<DWORD>(static_cast<std::uint64_t>(offset) >> 32);
  DWORD got = 0;
  if (!::ReadFile(as_handle(handle_), into, static_cast<DWORD>(size), &got, &at)) {
    const DWORD error = ::GetLastError();
    if (error == ERROR_HANDLE_EOF) return 0;
    return os_error("read", path_, error);
  }
  return got;
}

Result<void> write_at_start(const std::filesystem::path& path, std::string_view record) {
  auto acl = win::owner_only_acl(false);
  if (!acl) return tl::unexpected(acl.error());
  win::ProtectedDescriptor descriptor(std::move(*acl));
  HANDLE file = ::CreateFileW(path.c_str(), GENERIC_WRITE, kShareAll, descriptor.attributes(),
                              OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (file == INVALID_HANDLE_VALUE) return os_error("open", path, ::GetLastError());
  DWORD written = 0;
  const bool wrote =
      ::WriteFile(file, record.data(), static_cast<DWORD>(record.size()), &written, nullptr);
  const DWORD error = ::GetLastError();
  ::CloseHandle(file);
  if (!wrote || written != record.size()) return os_error("write", path, error);
  return {};
}

Result<std::optional<std::string>> read_start(const std::filesystem::path& path, std::size_t size) {
  HANDLE file = ::CreateFileW(path.c_str(), GENERIC_READ, kShareAll, nullptr, OPEN_EXISTING,
                              FILE_ATTRIBUTE_NORMAL, nullptr);
  if (file == INVALID_HANDLE_VALUE) {
    const DWORD error = ::GetLastError();
    if (error == ERROR_FILE_NOT_FOUND) return std::optional<std::string>();
    return os_error("read", path, error);
  }
  std::string record(size, '\0');
  DWORD got = 0;
  const bool read = ::ReadFile(file, record.data(), static_cast<DWORD>(size), &got, nullptr);
  const DWORD error = ::GetLastError();
  ::CloseHandle(file);
  if (!read) return os_error("read", path, error);
  record.resize(got);
  return record;
}

}  // namespace ferry::audit::detail
