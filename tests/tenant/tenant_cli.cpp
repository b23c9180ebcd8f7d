#include "tests/tenant/tenant_cli.hpp"

#include <string_view>

namespace ferry::tenant {
namespace {

constexpr std::string_view kUsage =
    "Usage: ferry-tenant COMMAND [OPTIONS]\n"
    "\n"
    "The reference receiving side of the ferry.v1 uplink (docs/tenant.md).\n"
    "\n"
    "Commands:\n"
    "  keygen   write a tenant X25519 private key and print its public key\n"
    "  certs    write a test CA and a server certificate (demos and tests only)\n"
    "  serve    accept agents, store their batches, acknowledge them\n"
    "\n"
    "Run 'ferry-tenant COMMAND --help' for a command's options.\n";

}  // namespace

std::optional<cli::ParsedArgs> parse_subcommand(std::span<const std::string> args,
                                                std::span<const cli::OptionSpec> options,
                                                std::string_view name, std::string_view help,
                                                Io& io, int& exit_code) {
  const std::string program = "ferry-tenant " + std::string(name);
  auto parsed = cli::parse_args(args, options, program);
  if (!parsed) {
    io.err << "ferry-tenant: " << parsed.error().message << "\n";
    exit_code = kExitUsage;
    return std::nullopt;
  }
  if (parsed->has("help")) {
    io.out << help << cli::format_options(options);
    exit_code = kExitOk;
    return std::nullopt;
  }
  return std::move(*parsed);
}

int run_tenant_cli(std::span<const std::string> args, Io& io) {
  if (args.empty()) {
    io.err << kUsage;
    return kExitUsage;
  }
  const std::string& command = args.front();
  const auto rest = args.subspan(1);
  if (command == "keygen") return run_keygen(rest, io);
  if (command == "certs") return run_certs(rest, io);
  if (command == "serve") return run_serve_command(rest, io);
  if (command == "--help" || command == "-h" || command == "help") {
    io.out << kUsage;
    return kExitOk;
  }
  io.err << "ferry-tenant: unknown command '" << command
         << "' (use keygen, certs or serve; see 'ferry-tenant --help')\n";
  return kExitUsage;
}

}  // namespace ferry::tenant
