// ferry-tenant certs --out DIR [--host NAME]... [--client]: a throwaway CA and a server
// certificate for demos and loopback tests (tests/tenant/pki.hpp). Never for production.
#include <filesystem>

#include <boost/asio/ip/address.hpp>
#include <fmt/format.h>

#include "agent/cli/args.hpp"
#include "common/fs/atomic_file.hpp"
#include "tests/tenant/pki.hpp"
#include "tests/tenant/tenant_cli.hpp"

namespace ferry::tenant {
namespace {

constexpr cli::OptionSpec kOptions[] = {
    {"out", 'o', "DIR", "folder to write ca.pem, server.pem and server.key into"},
    {"host", '\0', "NAME",
     "a host name or IP address the server certificate is for (repeatable; default localhost, "
     "127.0.0.1, ::1)",
     true},
    {"client", '\0', "",
     "also write client.pem and client.key, a client certificate for --client-ca"},
    {"help", 'h', "", "show this help"},
};

constexpr std::string_view kHelp =
    "Usage: ferry-tenant certs --out DIR [--host NAME]... [--client]\n"
    "\n"
    "Writes a test certificate authority (DIR/ca.pem) and a server certificate signed by it\n"
    "(DIR/server.pem, DIR/server.key with mode 0600) for 'ferry-tenant serve'. Give the agent\n"
    "DIR/ca.pem as uplink.ca_file. For demos and tests only: the CA key is not kept.\n"
    "\n";

int fail(Io& io, int code, std::string_view message) {
  io.err << "ferry-tenant certs: " << message << "\n";
  return code;
}

}  // namespace

int run_certs(std::span<const std::string> args, Io& io) {
  int exit_code = kExitOk;
  auto parsed = parse_subcommand(args, kOptions, "certs", kHelp, io, exit_code);
  if (!parsed) return exit_code;
  if (!parsed->positionals().empty()) {
    return fail(io, kExitUsage,
                fmt::format("unexpected argument '{}' (see 'ferry-tenant certs --help')",
                            parsed->positionals().front()));
  }
  auto out = parsed->value("out");
  if (!out || out->empty()) {
    return fail(io, kExitUsage, "--out DIR is required (where to write the certificates)");
  }
  const std::filesystem::path dir = *out;

  pki::CertOptions server;
  server.dns_names.clear();
  server.ip_addresses.clear();
  auto hosts = parsed->values("host");
  if (hosts.empty()) hosts = {"localhost", "127.0.0.1", "::1"};
  for (const auto& host : hosts) {
    boost::system::error_code ec;
    boost::asio::ip::make_address(host, ec);
    (ec ? server.dns_names : server.ip_addresses).push_back(host);
  }
  server.common_name = hosts.front();

  std::error_code ec;
  for (const char* name : {"ca.pem", "server.pem", "server.key", "client.pem", "client.key"}) {
    if (std::filesystem::exists(dir / name, ec)) {
      return fail(
          io, kExitUsage,
          fmt::format("{} already exists: choose an empty --out folder", (dir / name).string()));
    }
  }
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return fail(io, kExitFailure,
                fmt::format("cannot create folder {}: {}", dir.string(), ec.message()));
  }

  auto ca = pki::make_ca("ferry-tenant test CA");
  if (!ca) return fail(io, kExitFailure, ca.error().message);
  auto issued = pki::issue(*ca, server);
  if (!issued) return fail(io, kExitFailure, issued.error().message);
  struct Output {
    const char* name;
    const std::string& content;
    fs::Access access;
  };
  std::vector<Output> outputs = {{"ca.pem", ca->cert_pem, fs::Access::kAllRead},
                                 {"server.pem", issued->cert_pem, fs::Access::kAllRead},
                                 {"server.key", issued->key_pem, fs::Access::kOwnerOnly}};
  Result<pki::Issued> client;
  if (parsed->has("client")) {
    pki::CertOptions options;
    options.common_name = "ferry-agent";
    options.dns_names = {"ferry-agent"};
    options.ip_addresses.clear();
    options.client = true;
    client = pki::issue(*ca, options);
    if (!client) return fail(io, kExitFailure, client.error().message);
    outputs.push_back({"client.pem", client->cert_pem, fs::Access::kAllRead});
    outputs.push_back({"client.key", client->key_pem, fs::Access::kOwnerOnly});
  }
  for (const auto& output : outputs) {
    auto written = fs::write_file_atomically(dir / output.name, output.content, output.access,
                                             fs::Overwrite::kRefuse);
    if (!written) return fail(io, kExitFailure, written.error().message);
  }
  io.out << fmt::format("wrote {}, {} and {}{}\n", (dir / "ca.pem").string(),
                        (dir / "server.pem").string(), (dir / "server.key").string(),
                        parsed->has("client") ? " (and client.pem, client.key)" : "");
  return kExitOk;
}

}  // namespace ferry::tenant
