// The parts of RealFileSystem that differ between systems: POSIX (Linux).
#include "common/env/file_system.hpp"

#include <system_error>

#include "common/env/file_system_detail.hpp"

namespace ferry::env {

namespace fs = std::filesystem;
using detail::failed;

Result<void> RealFileSystem::rename(const fs::path& from, const fs::path& to) const {
  std::error_code ec;
  fs::rename(from, to, ec);
  if (ec) return failed("rename " + from.string() + " to", to, ec);
  return {};
}

Result<void> RealFileSystem::make_private(const fs::path& path) const {
  std::error_code ec;
  const bool folder = fs::is_directory(path, ec);
  if (!ec) {
    fs::permissions(path,
                    folder ? fs::perms::owner_all : fs::perms::owner_read | fs::perms::owner_write,
                    fs::perm_options::replace, ec);
  }
  if (ec) return failed("restrict the permissions of", path, ec);
  return {};
}

}  // namespace ferry::env
