#include "common/fs/read_file.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

#include "common/fs/read_descriptor.hpp"

namespace ferry::fs {
namespace {

// Opens a regular file for reading; the caller closes the descriptor.
Result<int> open_regular(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return make_error(ErrorCode::kIo, "cannot read {}: it is a directory, not a file",
                      path.string());
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int error = errno;
    return make_error(error == ENOENT   ? ErrorCode::kNotFound
                      : error == EACCES ? ErrorCode::kPermission
                                        : ErrorCode::kIo,
                      "cannot read {}: {}", path.string(), std::strerror(error));
  }
  return fd;
}

}  // namespace

Result<std::string> read_descriptor(int fd, const std::filesystem::path& path,
                                    std::size_t max_size) {
  std::string content;
  char buffer[8192];
  for (;;) {
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got < 0) {
      if (errno == EINTR) continue;
      return make_error(ErrorCode::kIo, "cannot read {}: {}", path.string(), std::strerror(errno));
    }
    if (got == 0) return content;
    if (content.size() + static_cast<std::size_t>(got) > max_size) {
      return make_error(ErrorCode::kInvalidArgument, "cannot read {}: larger than {} bytes",
                        path.string(), max_size);
    }
    content.append(buffer, static_cast<std::size_t>(got));
  }
}

Result<std::string> read_small_file(const std::filesystem::path& path, std::size_t max_size) {
  auto fd = open_regular(path);
  if (!fd) return tl::unexpected(fd.error());
  auto content = read_descriptor(*fd, path, max_size);
  ::close(*fd);
  return content;
}

Result<void> check_readable(const std::filesystem::path& path) {
  auto fd = open_regular(path);
  if (!fd) return tl::unexpected(fd.error());
  ::close(*fd);
  return {};
}

}  // namespace ferry::fs
