#include "agent/cli/diagnose_system.hpp"

#include <cstdio>
#include <sstream>

#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "common/fs/read_file.hpp"
#include "common/fs/secret_file_posix.hpp"

namespace ferry::cli {

std::string system_versions() {
  struct utsname system {};
  std::string os = "unknown";
  if (::uname(&system) == 0) {
    os = fmt::format("{} {} {} {}", system.sysname, system.release, system.version, system.machine);
  }
  std::string release = "unknown";
  if (auto text = fs::read_small_file("/etc/os-release", 64 * 1024)) {
    std::istringstream lines(*text);
    for (std::string line; std::getline(lines, line);) {
      if (line.starts_with("PRETTY_NAME=")) release = line.substr(12);
    }
  }
  return fmt::format("kernel {}\nos {}\n", os, release);
}

std::string file_line(const std::filesystem::path& path) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0) {
    return fmt::format("{}  (cannot stat: missing?)", path.string());
  }
  const char type = S_ISDIR(info.st_mode)   ? 'd'
                    : S_ISLNK(info.st_mode) ? 'l'
                    : S_ISREG(info.st_mode) ? '-'
                                            : '?';
  return fmt::format("{}{:04o}  {}:{}  {:>12}  {}", type, info.st_mode & 07777,
                     fs::account_name(info.st_uid), info.st_gid, info.st_size, path.string());
}

// Under systemd the agent logs to the journal.
std::string service_log(std::size_t count) {
  const std::string command = fmt::format(
      "journalctl --unit ferry.service --lines {} --no-pager --output short-iso 2>&1", count);
  std::string text;
  int code = -1;
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    char buffer[4096];
    for (std::size_t got; (got = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) {
      text.append(buffer, got);
    }
    code = ::pclose(pipe);
  }
  if (code != 0 || text.empty() || text.starts_with("-- No entries --")) {
    return "(no log file, and no journal lines of ferry.service this user may read: run ferry "
           "diagnose as root or as a member of the systemd-journal group; with agent.log.file "
           "set, the file's last lines are included)\n" +
           text;
  }
  return fmt::format("# journalctl --unit ferry.service, the last {} lines\n{}", count, text);
}

}  // namespace ferry::cli
