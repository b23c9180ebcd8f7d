// ferry check: diagnostics, one OK/FAIL line each with the fix (docs/operations.md lists them).
#include <fmt/format.h>

#include "agent/cli/check_local.hpp"
#include "agent/cli/check_report.hpp"
#include "agent/cli/check_uplink.hpp"
#include "agent/cli/commands.hpp"
#include "agent/cli/context.hpp"
#include "common/config/load.hpp"
#include "connectors/registry/registry.hpp"

namespace ferry::cli {
namespace {

constexpr OptionSpec kOptions[] = {
    kConfigOption,
    {"json", '\0', "", "print one JSON object: {\"ok\": bool, \"checks\": [...]}"},
    kHelpOption};

int run(const ParsedArgs& args, Io& io) {
  CheckReport report(io.out,
                     args.has("json") ? CheckReport::Style::kJson : CheckReport::Style::kText);
  const auto path = config_path(args);
  auto settings = config::load_config(path, connectors::catalog());
  if (!settings) {
    // Nothing else can be checked without a valid file; exit 2 like every configuration error.
    for (const auto& diagnostic : settings.error()) report.fail("config", diagnostic.to_string());
    report.finish();
    return kExitUsage;
  }
  report.ok("config", fmt::format("{} is valid", path.string()));
  check_data_dir(*settings, report);
  check_key_file(*settings, report);
  check_control_socket(*settings, report);
  check_sources(*settings, report);
  check_source_changes(*settings, report, std::chrono::system_clock::now());
  check_uplink(*settings, report);
  report.finish();
  return report.failed() ? kExitFailure : kExitOk;
}

}  // namespace

const CommandSpec& check_command() {
  static const CommandSpec spec{
      .name = "check",
      .summary = "diagnose the configuration, key file, sources and the way to the tenant",
      .usage = "ferry check [-c FILE] [--json]",
      .details =
          "Runs every check and prints one line each: OK, FAIL (with what to do), WARN or SKIP.\n"
          "In order: config (the file is valid), data dir (writable, enough free space),\n"
          "key file (present, private), control socket (its folder writable by its owner\n"
          "only), each source (reachable and readable; with stale_after, a WARN when its data\n"
          "has not changed for longer than that), then the way to\n"
          "the tenant, through uplink.proxy when one is set: dns (the name resolves), tcp\n"
          "(connects), proxy (opens a tunnel), tls (TLS 1.3, certificate trusted and for this\n"
          "host, days until it expires), token (the tenant accepts the agent's token).\n"
          "A step that needs an earlier one that failed is SKIPped. Nothing is changed, no rows\n"
          "are sent, and it is safe to run while the agent runs.\n"
          "Exit 0 when every check passes, 1 when any fails, 2 when the configuration file is\n"
          "not valid (its problems are printed as FILE:LINE:COL and nothing else is checked).",
      .options = kOptions,
      .run = run};
  return spec;
}

}  // namespace ferry::cli
