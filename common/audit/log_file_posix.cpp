// The audit log's file on Linux (log_file.hpp): open with O_APPEND, flock, fdatasync, pread.
#include "common/audit/log_file.hpp"

#include <cerrno>
#include <cstring>
#include <utility>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs/atomic_file.hpp"

namespace ferry::audit::detail {
namespace {

constexpr int kMaxReopens = 100;

std::string errno_text(int error) { return std::strerror(error); }

tl::unexpected<Error> os_error(std::string_view what, const std::filesystem::path& path,
                               int error) {
  const ErrorCode code = error == ENOENT   ? ErrorCode::kNotFound
                         : error == EACCES ? ErrorCode::kPermission
                                           : ErrorCode::kIo;
  return make_error(code, "cannot {} {}: {}", what, path.string(), errno_text(error));
}

Result<void> sync_dir(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return os_error("open folder", dir, errno);
  const int synced = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (synced != 0) return os_error("sync folder", dir, error);
  return {};
}

// Opens the log for `mode`; a newly created file's folder entry is synced, so that a log that was
// written and synced cannot vanish in a power cut.
Result<int> open_descriptor(const std::filesystem::path& path, LockMode mode) {
  if (mode == LockMode::kShared) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return os_error("read", path, errno);
    return fd;
  }
  const int flags = O_RDWR | O_APPEND | O_CLOEXEC;
  int fd = ::open(path.c_str(), flags);
  if (fd >= 0) return fd;
  if (errno != ENOENT) return os_error("open", path, errno);
  fd = ::open(path.c_str(), flags | O_CREAT, 0600);
  if (fd < 0) return os_error("create", path, errno);
  std::filesystem::path dir = path.parent_path();
  if (auto synced = sync_dir(dir.empty() ? "." : dir); !synced) {
    ::close(fd);
    return tl::unexpected(synced.error());
  }
  return fd;
}

Result<void> lock(int fd, LockMode mode, const std::filesystem::path& path) {
  while (::flock(fd, mode == LockMode::kShared ? LOCK_SH : LOCK_EX) != 0) {
    if (errno != EINTR) return os_error("lock", path, errno);
  }
  return {};
}

// True when `path` still names the file open as `fd`.
Result<bool> still_at_path(int fd, const std::filesystem::path& path) {
  struct stat held {};
  struct stat named {};
  if (::fstat(fd, &held) != 0) return os_error("read the status of", path, errno);
  if (::stat(path.c_str(), &named) != 0) {
    if (errno == ENOENT) return false;
    return os_error("read the status of", path, errno);
  }
  return held.st_dev == named.st_dev && held.st_ino == named.st_ino;
}

}  // namespace

Result<LockedFile> LockedFile::open(const std::filesystem::path& path, LockMode mode) {
  for (int attempt = 0; attempt < kMaxReopens; ++attempt) {
    auto fd = open_descriptor(path, mode);
    if (!fd) return tl::unexpected(fd.error());
    LockedFile file(static_cast<std::intptr_t>(*fd), path);
    if (auto locked = lock(*fd, mode, path); !locked) return tl::unexpected(locked.error());
    auto current = still_at_path(*fd, path);
    if (!current) return tl::unexpected(current.error());
    if (*current) return file;
    // Replaced (trimmed) or removed while we waited for the lock: open what the path names now.
  }
  return make_error(ErrorCode::kIo,
                    "{} kept being replaced while it was opened: is something "
                    "other than Ferry rewriting it?",
                    path.string());
}

LockedFile::~LockedFile() {
  if (handle_ != kNone) ::close(static_cast<int>(handle_));  // the last close releases the flock
}

LockedFile::LockedFile(LockedFile&& other) noexcept
    : handle_(std::exchange(other.handle_, kNone)),
      lock_(std::exchange(other.lock_, kNone)),
      path_(std::move(other.path_)) {}

Result<void> LockedFile::replace(std::string_view content) {
  // The lock stays on the old file, which this process keeps open until it is done: a process
  // that waited for it finds the path names another file and reopens (open()).
  return fs::write_file_atomically(path_, content, fs::Access::kAsReplaced);
}

Result<FileStatus> LockedFile::status() const {
  struct stat info {};
  if (::fstat(static_cast<int>(handle_), &info) != 0) {
    return os_error("read the status of", path_, errno);
  }
  return FileStatus{info.st_size, static_cast<std::uint64_t>(info.st_dev),
                    static_cast<std::uint64_t>(info.st_ino)};
}

Result<void> LockedFile::append_durably(std::string_view text) const {
  while (!text.empty()) {
    const ssize_t written = ::write(static_cast<int>(handle_), text.data(), text.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return os_error("append to", path_, errno);
    }
    text.remove_prefix(static_cast<std::size_t>(written));
  }
  if (::fdatasync(static_cast<int>(handle_)) != 0) return os_error("sync", path_, errno);
  return {};
}

Result<void> LockedFile::truncate(Offset size) const {
  if (::ftruncate(static_cast<int>(handle_), static_cast<off_t>(size)) != 0)
    return os_error("cut the incomplete last line of", path_, errno);
  if (::fdatasync(static_cast<int>(handle_)) != 0) return os_error("sync", path_, errno);
  return {};
}

Result<std::size_t> LockedFile::read_at(char* into, std::size_t size, Offset offset) const {
  for (;;) {
    const ssize_t got = ::pread(static_cast<int>(handle_), into, size, static_cast<off_t>(offset));
    if (got >= 0) return static_cast<std::size_t>(got);
    if (errno != EINTR) return os_error("read", path_, errno);
  }
}

Result<void> write_at_start(const std::filesystem::path& path, std::string_view record) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return os_error("open", path, errno);
  const ssize_t written = ::pwrite(fd, record.data(), record.size(), 0);
  const int error = errno;
  ::close(fd);
  if (written != static_cast<ssize_t>(record.size())) return os_error("write", path, error);
  return {};
}

Result<std::optional<std::string>> read_start(const std::filesystem::path& path, std::size_t size) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return os_error("read", path, errno);
  }
  std::string record(size, '\0');
  const ssize_t got = ::pread(fd, record.data(), record.size(), 0);
  const int error = errno;
  ::close(fd);
  if (got < 0) return os_error("read", path, error);
  record.resize(static_cast<std::size_t>(got));
  return record;
}

}  // namespace ferry::audit::detail
