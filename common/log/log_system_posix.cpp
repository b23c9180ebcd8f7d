// What the logger asks of the system, on Linux (log_system.hpp).
#include "common/log/log_system.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ferry::log::detail {

// systemd sets JOURNAL_STREAM to "DEVICE:INODE" of the stream it connected to the service's
// stderr. A process whose stderr was redirected since (`ferry status 2>file` in a shell that a
// service started) inherits the variable but no longer writes to the journal: the numbers must
// match stderr itself.
bool stderr_is_journal() {
  const char* journal = std::getenv("JOURNAL_STREAM");
  if (journal == nullptr || *journal == '\0') return false;
  unsigned long long device = 0, inode = 0;
  if (std::sscanf(journal, "%llu:%llu", &device, &inode) != 2) return false;
  struct stat info {};
  if (::fstat(STDERR_FILENO, &info) != 0) return false;
  return static_cast<unsigned long long>(info.st_dev) == device &&
         static_cast<unsigned long long>(info.st_ino) == inode;
}

bool stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

void create_log_file(const std::string& name) {
  const int fd = ::open(name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd >= 0) ::close(fd);
}

Result<void> create_log_folder(const std::filesystem::path& folder) {
  if (::mkdir(folder.c_str(), 0750) != 0 && errno != EEXIST) {
    return make_error(ErrorCode::kIo, "{}", std::strerror(errno));
  }
  return {};
}

}  // namespace ferry::log::detail
