// The `ferry-tenant` command line: keygen, certs and serve. One file per command; this header is
// what main() and the tests call.
#pragma once

#include <ostream>
#include <span>
#include <string>

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

// The commands, each given the arguments after its name.
int run_keygen(std::span<const std::string> args, Io& io);
int run_certs(std::span<const std::string> args, Io& io);
int run_serve_command(std::span<const std::string> args, Io& io);

}  // namespace ferry::tenant
