// What the SFTP transport asks of the system, one file per system (sftp_system_posix.cpp,
// sftp_system_windows.cpp): the local file a download goes into, and the connection's socket.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>

#include <libssh/libssh.h>

#include "common/error/error.hpp"

namespace ferry::connectors::sftp {

// A new file for a download, its owner's only, written at offsets; closed when the object goes.
class DownloadFile {
 public:
  // Fails when `path` exists (kIo naming it).
  static Result<DownloadFile> create(const std::filesystem::path& path);
  ~DownloadFile();
  DownloadFile(DownloadFile&& other) noexcept;
  DownloadFile& operator=(DownloadFile&&) = delete;
  DownloadFile(const DownloadFile&) = delete;
  DownloadFile& operator=(const DownloadFile&) = delete;

  Result<void> write_at(const char* data, std::size_t size, std::uint64_t offset);

 private:
  DownloadFile(std::intptr_t handle, std::filesystem::path path)
      : handle_(handle), path_(std::move(path)) {}
  static constexpr std::intptr_t kNone = -1;
  std::intptr_t handle_ = kNone;  // a file descriptor, or a HANDLE
  std::filesystem::path path_;
};

// Shuts the socket down for reading and writing (shutdown(2)): a blocked read on it returns.
void shut_down(socket_t socket);

// TCP keepalive on the connection: the first probe after 60 s without traffic, then every 15 s,
// given up after 4 unanswered (on Windows, which fixes that number, after 10).
void keep_alive(socket_t socket);

}  // namespace ferry::connectors::sftp
