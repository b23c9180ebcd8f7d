// What the system-specific parts of RealFileSystem (file_system_posix.cpp,
// file_system_windows.cpp) share with the rest of it.
#pragma once

#include <filesystem>
#include <string_view>
#include <system_error>

#include "common/error/error.hpp"

namespace ferry::env::detail {

// "cannot <what> <path>: <the system's reason>", kPermission for a refusal, kIo otherwise.
tl::unexpected<Error> failed(std::string_view what, const std::filesystem::path& path,
                             const std::error_code& ec);

}  // namespace ferry::env::detail
