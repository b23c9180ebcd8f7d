// The `ferry-tenant` command line: keygen, certs and serve. One file per command; this header is
// what main() and the tests call.
#pragma once

#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>

#include "agent/cli/args.hpp"

namespace ferry::tenant {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // runtime failure
inline constexpr int kExitUsage = 2;    // usage or configuration error

struct Io {
  std::ostream& out;
  std::ostream& err;
};

// Runs `ferry-tenant ARGS...` (without the program name); returns the exit code.
int run_tenant_cli(std::span<const std::string> args, Io& io);

// Parses the arguments of `ferry-tenant NAME`; prints the parse error (exit 2) or the help (exit
// 0, `help` followed by the options) itself. nullopt, with `exit_code` set, when the command is
// done.
std::optional<cli::ParsedArgs> parse_subcommand(std::span<const std::string> args,
                                                std::span<const cli::OptionSpec> options,
                                                std::string_view name, std::string_view help,
                                                Io& io, int& exit_code);

// The commands, each given the arguments after its name.
int run_keygen(std::span<const std::string> args, Io& io);
int run_certs(std::span<const std::string> args, Io& io);
int run_serve_command(std::span<const std::string> args, Io& io);

}  // namespace ferry::tenant
