// What every `ferry` command is: a name, its help text, its options as data, and a function.
// A new command is one file that defines its CommandSpec and one line in commands.cpp.
#pragma once

#include <iostream>
#include <istream>
#include <ostream>
#include <span>
#include <string_view>

#include "agent/cli/args.hpp"

namespace ferry::cli {

// Exit codes of SPEC section 1.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // runtime failure
inline constexpr int kExitUsage = 2;    // usage or configuration error

struct Io {
  std::ostream& out;
  std::ostream& err;
  std::istream* in = &std::cin;  // for `-`: values read from standard input
};

struct CommandSpec {
  std::string_view name;     // "validate", "keys rotate"
  std::string_view summary;  // one line for `ferry --help`
  std::string_view usage;    // "ferry validate [-c FILE]"
  std::string_view details;  // paragraph(s) for `ferry validate --help`; may be empty
  std::span<const OptionSpec> options;
  int (*run)(const ParsedArgs& args, Io& io);
};

// Runs `ferry ARGS...` (args excludes the program name) and returns the exit code.
int run_cli(std::span<const std::string> args, Io& io);

// Prints "ferry: MESSAGE" on the error stream; returns `code` for `return fail(...)`.
int fail(Io& io, int code, std::string_view message);

}  // namespace ferry::cli
