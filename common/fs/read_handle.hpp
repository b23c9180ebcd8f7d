// Windows only: reading the rest of an open file handle (read_file_windows.cpp), for the secret
// file reader, which checks the open file before it reads it.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

#include "common/error/error.hpp"

namespace ferry::fs {

// The rest of an open file (a HANDLE), `path` naming it in errors; read_small_file's limit and
// errors.
Result<std::string> read_handle(void* handle, const std::filesystem::path& path,
                                std::size_t max_size);

}  // namespace ferry::fs
