// Writing a file so that readers see either the old content or the new, never a mix, even across a
// power cut: write a temporary file beside it, flush it to disk, rename it over the target (and on
// Linux fsync the folder; on Windows the rename is MOVEFILE_WRITE_THROUGH). The temporary file has
// its permissions from the start, so a secret is never briefly readable by others.
//
// One file per system: atomic_file_posix.cpp, atomic_file_windows.cpp.
#pragma once

#include <filesystem>
#include <string_view>

#include "common/error/error.hpp"

namespace ferry::fs {

// Who may read the file, said once for both systems.
enum class Access {
  // The agent's own (the key file, exports, token maps): mode 0600 on Linux; on Windows a
  // protected access list giving this process's user, SYSTEM, Administrators and the Ferry
  // service's account (NT SERVICE\Ferry) full control, and no one else.
  kOwnerOnly,
  // Anyone may read, only the owner write (a CA certificate): 0644; on Windows the owner-only
  // list plus read for BUILTIN\Users.
  kAllRead,
  // What the file being replaced has (its mode, or its access list); kOwnerOnly when there is
  // none yet.
  kAsReplaced,
};

enum class Overwrite { kAllow, kRefuse };

Result<void> write_file_atomically(const std::filesystem::path& path, std::string_view content,
                                   Access access, Overwrite overwrite = Overwrite::kAllow);

// Creates the folder (and its missing parents) for its owner only, as `Access::kOwnerOnly` says
// (0700 on Linux), when missing; a folder already there is left as it is.
Result<void> ensure_private_dir(const std::filesystem::path& path);

// Makes a new folder for its owner only in the system's temporary folder ($TMPDIR or /tmp; on
// Windows %TEMP%), named `prefix` and random characters ("ferry-sis-" gives
// /tmp/ferry-sis-Xa81Qz).
Result<std::filesystem::path> make_private_temp_dir(std::string_view prefix);

}  // namespace ferry::fs
