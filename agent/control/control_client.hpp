// The other end of the control socket, for `ferry status` and, later, `ferry sync` and `erase`
// when an agent is running: sends one request line and reads one response line.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include "common/error/error.hpp"

namespace ferry::control {

// kUnavailable when nothing listens at `path` (no agent running); kIo for other failures, such as
// a timeout or a socket this user may not open (kPermission).
Result<std::string> request(const std::filesystem::path& path, const std::string& line,
                            std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace ferry::control
