// Linux only: reading the rest of an open file descriptor (read_file_posix.cpp), for the secret
// file reader, which checks the open file before it reads it.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

#include "common/error/error.hpp"

namespace ferry::fs {

// The rest of an open file, `path` naming it in errors; read_small_file's limit and errors.
Result<std::string> read_descriptor(int fd, const std::filesystem::path& path,
                                    std::size_t max_size);

}  // namespace ferry::fs
