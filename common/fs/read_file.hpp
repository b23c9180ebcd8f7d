// Reading the small files Ferry is pointed at (the configuration, token files, key files), with
// errors that carry the path and the operating system's reason:
// "cannot read /etc/ferry/token: Permission denied".
//
// One file per system: read_file_posix.cpp, read_file_windows.cpp.
#pragma once

#include <filesystem>
#include <string>

#include "common/error/error.hpp"

namespace ferry::fs {

// The whole content of a regular file. Larger than `max_size` is refused (a token file is never
// megabytes). Errors: kNotFound, kPermission, kIo, kInvalidArgument (too large).
Result<std::string> read_small_file(const std::filesystem::path& path,
                                    std::size_t max_size = 16u * 1024 * 1024);

// Checks that `path` is a regular file this process can open for reading.
Result<void> check_readable(const std::filesystem::path& path);

}  // namespace ferry::fs
