// What the SFTP transport asks of the system, on Linux (sftp_system.hpp).
#include "connectors/sftp/sftp_system.hpp"

#include <cerrno>
#include <cstring>
#include <utility>

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace ferry::connectors::sftp {

Result<DownloadFile> DownloadFile::create(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return make_error(ErrorCode::kIo, "cannot create {}: {}", path.string(), std::strerror(errno));
  }
  return DownloadFile(fd, path);
}

DownloadFile::~DownloadFile() {
  if (handle_ != kNone) ::close(static_cast<int>(handle_));
}

DownloadFile::DownloadFile(DownloadFile&& other) noexcept
    : handle_(std::exchange(other.handle_, kNone)), path_(std::move(other.path_)) {}

Result<void> DownloadFile::write_at(const char* data, std::size_t size, std::uint64_t offset) {
  while (size > 0) {
    const ssize_t wrote =
        ::pwrite(static_cast<int>(handle_), data, size, static_cast<off_t>(offset));
    if (wrote < 0) {
      if (errno == EINTR) continue;
      return make_error(ErrorCode::kIo, "cannot write {}: {}", path_.string(),
                        std::strerror(errno));
    }
    data += wrote;
    size -= static_cast<std::size_t>(wrote);
    offset += static_cast<std::uint64_t>(wrote);
  }
  return {};
}

void shut_down(socket_t socket) { ::shutdown(socket, SHUT_RDWR); }

void keep_alive(socket_t socket) {
  const int on = 1;
  const int idle = 60;      // seconds without traffic before the first probe
  const int interval = 15;  // between probes
  const int count = 4;      // unanswered probes before the kernel gives up
  ::setsockopt(socket, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
  ::setsockopt(socket, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
  ::setsockopt(socket, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
  ::setsockopt(socket, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
}

}  // namespace ferry::connectors::sftp
