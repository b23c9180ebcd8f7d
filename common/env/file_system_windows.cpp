// The parts of RealFileSystem that differ between systems: Windows. A rename replaces its target
// in one step and reaches the disk before it returns; "private" is an access list
// (windows_acl.hpp), since Windows has no permission bits (std::filesystem::permissions only
// sets the read-only attribute there).
#include "common/env/file_system.hpp"

#include <system_error>

#include <windows.h>

#include "common/env/file_system_detail.hpp"
#include "common/env/windows_acl.hpp"
#include "common/error/path_text.hpp"

namespace ferry::env {

namespace fs = std::filesystem;
using detail::failed;

Result<void> RealFileSystem::rename(const fs::path& from, const fs::path& to) const {
  if (!::MoveFileExW(from.c_str(), to.c_str(),
                     MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
    return failed("rename " + path_text(from) + " to", to,
                  {static_cast<int>(::GetLastError()), std::system_category()});
  }
  return {};
}

// Owner only, as 0700 and 0600 are on Linux (windows::owner_only_acl).
Result<void> RealFileSystem::make_private(const fs::path& path) const {
  std::error_code ec;
  const bool folder = fs::is_directory(path, ec);
  if (ec) return failed("restrict the permissions of", path, ec);
  auto acl = windows::owner_only_acl(folder);
  if (!acl) return tl::unexpected(acl.error());
  return windows::set_protected_acl(path, **acl);
}

}  // namespace ferry::env
