// Atomic files on Linux (atomic_file.hpp): mkostemp, fchmod, fsync, rename (or link, to refuse
// an existing target), fsync of the folder.
#include "common/fs/atomic_file.hpp"

#include <cerrno>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ferry::fs {
namespace {

std::string errno_text(int error) { return std::strerror(error); }

// Closes a file descriptor when it goes out of scope.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

Result<void> write_all(int fd, std::string_view content, const std::filesystem::path& path) {
  while (!content.empty()) {
    ssize_t written = ::write(fd, content.data(), content.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return make_error(ErrorCode::kIo, "cannot write {}: {}", path.string(), errno_text(errno));
    }
    content.remove_prefix(static_cast<std::size_t>(written));
  }
  return {};
}

// The mode `access` stands for; for kAsReplaced, the mode of the file at `path`.
mode_t mode_for(Access access, const std::filesystem::path& path) {
  switch (access) {
    case Access::kOwnerOnly:
      return 0600;
    case Access::kAllRead:
      return 0644;
    case Access::kAsReplaced: {
      struct stat info {};
      return ::stat(path.c_str(), &info) == 0 ? (info.st_mode & 0777) : 0600;
    }
  }
  return 0600;
}

Result<void> fsync_dir(const std::filesystem::path& dir) {
  FileDescriptor fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0 || ::fsync(fd.get()) != 0) {
    return make_error(ErrorCode::kIo, "cannot sync folder {}: {}", dir.string(), errno_text(errno));
  }
  return {};
}

}  // namespace

Result<void> write_file_atomically(const std::filesystem::path& path, std::string_view content,
                                   Access access, Overwrite overwrite) {
  const mode_t mode = mode_for(access, path);
  std::filesystem::path dir = path.parent_path();
  if (dir.empty()) dir = ".";
  std::string temp = (dir / ("." + path.filename().string() + ".tmp-XXXXXX")).string();
  FileDescriptor fd(::mkostemp(temp.data(), O_CLOEXEC));
  if (fd.get() < 0) {
    return make_error(ErrorCode::kIo, "cannot create a file in {}: {}", dir.string(),
                      errno_text(errno));
  }
  auto cleanup_on_error = [&](Error error) -> Result<void> {
    ::unlink(temp.c_str());
    return tl::unexpected(std::move(error));
  };
  if (::fchmod(fd.get(), mode) != 0) {
    return cleanup_on_error(
        Error{ErrorCode::kIo, "cannot set the mode of " + temp + ": " + errno_text(errno)});
  }
  if (auto written = write_all(fd.get(), content, temp); !written) {
    return cleanup_on_error(written.error());
  }
  if (::fsync(fd.get()) != 0) {
    return cleanup_on_error(
        Error{ErrorCode::kIo, "cannot sync " + temp + ": " + errno_text(errno)});
  }
  if (::close(fd.release()) != 0) {
    return cleanup_on_error(
        Error{ErrorCode::kIo, "cannot close " + temp + ": " + errno_text(errno)});
  }
  if (overwrite == Overwrite::kRefuse) {
    // link() fails when the target exists, so two processes cannot both create the file.
    if (::link(temp.c_str(), path.c_str()) != 0) {
      int error = errno;
      ::unlink(temp.c_str());
      if (error == EEXIST) {
        return make_error(ErrorCode::kAlreadyExists, "{} already exists", path.string());
      }
      return make_error(ErrorCode::kIo, "cannot create {}: {}", path.string(), errno_text(error));
    }
    ::unlink(temp.c_str());
  } else if (::rename(temp.c_str(), path.c_str()) != 0) {
    return cleanup_on_error(
        Error{ErrorCode::kIo, "cannot replace " + path.string() + ": " + errno_text(errno)});
  }
  return fsync_dir(dir);
}

Result<void> ensure_private_dir(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return {};
  std::filesystem::path parent = path.parent_path();
  if (!parent.empty() && !std::filesystem::exists(parent, ec)) {
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      return make_error(ErrorCode::kIo, "cannot create folder {}: {}", parent.string(),
                        ec.message());
    }
  }
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
    return make_error(ErrorCode::kIo, "cannot create folder {}: {}", path.string(),
                      errno_text(errno));
  }
  return {};
}

Result<std::filesystem::path> make_private_temp_dir(std::string_view prefix) {
  std::error_code ec;
  std::filesystem::path base = std::filesystem::temp_directory_path(ec);
  if (ec) base = "/tmp";
  std::string pattern = (base / (std::string(prefix) + "XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {  // mode 0700
    return make_error(ErrorCode::kIo, "cannot create a private folder in {}: {}", base.string(),
                      errno_text(errno));
  }
  return std::filesystem::path(pattern);
}

}  // namespace ferry::fs
