// The lock file on Linux (file_lock.hpp): flock(LOCK_EX) on an open descriptor.
#include "common/fs/file_lock.hpp"

#include <cerrno>
#include <cstring>
#include <utility>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace ferry::fs {

Result<FileLock> FileLock::exclusive(const std::filesystem::path& path, Wait wait) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return make_error(ErrorCode::kIo, "cannot open the lock file {}: {}", path.string(),
                      std::strerror(errno));
  }
  const int operation = wait == Wait::kNot ? LOCK_EX | LOCK_NB : LOCK_EX;
  while (::flock(fd, operation) != 0) {
    const int error = errno;
    if (error == EINTR) continue;
    ::close(fd);
    if (error == EWOULDBLOCK) {
      return make_error(ErrorCode::kUnavailable, "{} is locked by another process", path.string());
    }
    return make_error(ErrorCode::kIo, "cannot lock {}: {}", path.string(), std::strerror(error));
  }
  return FileLock(fd);
}

FileLock::~FileLock() {
  if (handle_ != kNone) ::close(static_cast<int>(handle_));  // closing releases the lock
}

FileLock::FileLock(FileLock&& other) noexcept : handle_(std::exchange(other.handle_, kNone)) {}

}  // namespace ferry::fs
