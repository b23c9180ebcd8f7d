#include "agent/app/data_dir_lock.hpp"

#include <cerrno>
#include <cstring>
#include <utility>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace ferry::app {

Result<DataDirLock> DataDirLock::acquire(const std::filesystem::path& data_dir) {
  const auto path = data_dir / "ferry.lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return make_error(ErrorCode::kIo, "cannot open {}: {}", path.string(), std::strerror(errno));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    ::close(fd);
    if (error == EWOULDBLOCK) {
      return make_error(ErrorCode::kUnavailable,
                        "another Ferry process (the running agent?) owns {}; stop it first, or "
                        "let it do the work",
                        data_dir.string());
    }
    return make_error(ErrorCode::kIo, "cannot lock {}: {}", path.string(), std::strerror(error));
  }
  return DataDirLock(fd);
}

DataDirLock::~DataDirLock() {
  if (fd_ >= 0) ::close(fd_);
}

DataDirLock::DataDirLock(DataDirLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

}  // namespace ferry::app
