// The terminal's system calls behind terminal.hpp, one file per system: terminal_posix.cpp
// (termios; the signals put echo back), terminal_windows.cpp (the console's mode, ReadConsoleW).
#pragma once

#include <cstddef>
#include <string_view>

#include "common/crypto/bytes.hpp"
#include "common/error/error.hpp"

namespace ferry::cli {

enum class Echo { kOn, kOff };

// Prints `prompt` on standard error and reads one line from the terminal (standard input), with
// echo as asked, without its line end, into wiped memory: UTF-8 on every system. kInvalidArgument
// for a line longer than `max_size` bytes; kIo at end of input.
Result<crypto::SecureBytes> ask_terminal(std::string_view prompt, std::size_t max_size, Echo echo);

}  // namespace ferry::cli
