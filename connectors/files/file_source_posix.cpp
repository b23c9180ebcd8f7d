// Files on Linux (file_source.hpp): open, read, access.
#include "connectors/files/file_source.hpp"

#include <cerrno>
#include <system_error>

#include <fcntl.h>
#include <unistd.h>

namespace ferry::connectors::files {

Result<std::unique_ptr<FileSource>> FileSource::open(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int error = errno;
    if (error == ENOENT)
      return make_error(ErrorCode::kNotFound, "{} does not exist", path.string());
    if (error == EACCES) {
      return make_error(ErrorCode::kPermission,
                        "{} is not readable by this user: let the ferry service user read it "
                        "(chmod o+r, or add the user to the file's group)",
                        path.string());
    }
    return make_error(ErrorCode::kIo, "cannot open {}: {}", path.string(),
                      std::generic_category().message(error));
  }
  return std::unique_ptr<FileSource>(new FileSource(fd, path));
}

FileSource::~FileSource() { ::close(static_cast<int>(handle_)); }

Result<std::size_t> FileSource::read(std::span<char> buffer) {
  for (;;) {
    const ssize_t got = ::read(static_cast<int>(handle_), buffer.data(), buffer.size());
    if (got >= 0) return static_cast<std::size_t>(got);
    if (errno == EINTR) continue;
    return make_error(ErrorCode::kIo, "reading {} failed: {}", path_.string(),
                      std::generic_category().message(errno));
  }
}

std::optional<std::string> read_permission_fix(const std::filesystem::path& path, bool folder) {
  if (::access(path.c_str(), folder ? (R_OK | X_OK) : R_OK) == 0) return std::nullopt;
  return folder ? "chmod o+rx, or add the user to its group"
                : "chmod o+r, or add the user to its group";
}

}  // namespace ferry::connectors::files
