#include "tests/support/system_checks.hpp"

#include <sys/stat.h>

namespace ferry::test {

bool owner_only(const std::filesystem::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return false;
  const mode_t mode = info.st_mode & 0777;
  return S_ISDIR(info.st_mode) ? mode == 0700 : mode == 0600;
}

std::string missing_file_reason() { return "No such file or directory"; }

std::optional<std::string> permissions_unchecked() { return std::nullopt; }

}  // namespace ferry::test
