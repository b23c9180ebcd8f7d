// Writing a file so that readers see either the old content or the new, never a mix, even across a
// power cut: write a temporary file beside it, fsync it, rename it over the target, fsync the
// folder. The new file gets `mode` (and the temporary file has it from the start, so a secret is
// never briefly readable by others).
#pragma once

#include <filesystem>
#include <string_view>

#include <sys/types.h>

#include "common/error/error.hpp"

namespace ferry::fs {

enum class Overwrite { kAllow, kRefuse };

Result<void> write_file_atomically(const std::filesystem::path& path, std::string_view content,
                                   mode_t mode, Overwrite overwrite = Overwrite::kAllow);

// Fails with a message naming the chmod fix when group or others have any access to the file.
Result<void> require_private_file(const std::filesystem::path& path);

// Creates the folder (and parents) with mode 0700 when missing.
Result<void> ensure_private_dir(const std::filesystem::path& path);

}  // namespace ferry::fs
