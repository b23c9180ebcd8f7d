// ferry-tenant keygen --out FILE: a fresh tenant key; the public half goes into the agent's
// uplink.tenant_public_key.
#include <fmt/format.h>

#include "agent/cli/args.hpp"
#include "common/crypto/base64.hpp"
#include "common/frame/frame.hpp"
#include "tests/tenant/tenant_cli.hpp"
#include "tests/tenant/tenant_key.hpp"

namespace ferry::tenant {
namespace {

constexpr cli::OptionSpec kOptions[] = {
    {"out", 'o', "FILE", "where to write the private key (mode 0600; never overwritten)"},
    {"help", 'h', "", "show this help"},
};

constexpr std::string_view kHelp =
    "Usage: ferry-tenant keygen --out FILE\n"
    "\n"
    "Writes a new X25519 private key to FILE (base64 of 32 bytes, mode 0600) and prints the\n"
    "public key in base64 on standard output: put it in the agent's uplink.tenant_public_key\n"
    "(or, to rotate the tenant's key, uplink.tenant_next_public_key). The key's id, which batch\n"
    "headers and 'serve' logs name, goes to standard error.\n"
    "\n";

}  // namespace

int run_keygen(std::span<const std::string> args, Io& io) {
  int exit_code = kExitOk;
  auto parsed = parse_subcommand(args, kOptions, "keygen", kHelp, io, exit_code);
  if (!parsed) return exit_code;
  if (!parsed->positionals().empty()) {
    io.err << "ferry-tenant keygen: unexpected argument '" << parsed->positionals().front()
           << "' (see 'ferry-tenant keygen --help')\n";
    return kExitUsage;
  }
  auto out = parsed->value("out");
  if (!out || out->empty()) {
    io.err << "ferry-tenant keygen: --out FILE is required (where to write the private key)\n";
    return kExitUsage;
  }
  auto public_key = generate_key_file(*out);
  if (!public_key) {
    io.err << "ferry-tenant keygen: " << public_key.error().message << "\n";
    return public_key.error().code == ErrorCode::kAlreadyExists ? kExitUsage : kExitFailure;
  }
  auto id = frame::tenant_key_id(*public_key);
  if (!id) {
    io.err << "ferry-tenant keygen: " << id.error().message << "\n";
    return kExitFailure;
  }
  io.out << crypto::base64_encode(*public_key) << "\n";
  io.err << "ferry-tenant keygen: key id " << *id << " written to " << out->c_str() << "\n";
  return kExitOk;
}

}  // namespace ferry::tenant
