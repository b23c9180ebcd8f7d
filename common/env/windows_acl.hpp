// Windows access lists for Ferry's own files (Windows has no permission bits). The list is made
// apart from applying it so that tests can check it where Wine cannot: Wine accepts an access
// list on a file but neither keeps it nor enforces it as Windows does (docs/windows.md).
#pragma once

#include <filesystem>
#include <memory>

#include <windows.h>

#include "common/error/error.hpp"

namespace ferry::env::windows {

struct LocalDeleter {
  void operator()(void* memory) const { ::LocalFree(memory); }
};
using AclPtr = std::unique_ptr<ACL, LocalDeleter>;

// Full control for this process's user, SYSTEM and Administrators (who stand where root does on
// Linux), and no one else; for a folder, inherited by everything in it.
Result<AclPtr> owner_only_acl(bool folder);

// Sets `acl` as the access list of `path`, protected: nothing inherited from the folder above.
Result<void> set_protected_acl(const std::filesystem::path& path, const ACL& acl);

}  // namespace ferry::env::windows
