// ferry check: diagnostics, one OK/WARN/FAIL line each with the fix (docs/operations.md lists
// them).
#include <fmt/format.h>

#include "agent/cli/check_local.hpp"
#include "agent/cli/check_report.hpp"
#include "agent/cli/check_uplink.hpp"
#include "agent/cli/commands.hpp"
#include "agent/cli/context.hpp"
#include "common/config/load.hpp"
#include "common/error/path_text.hpp"
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
  // An sftp source without a pinned host key is loaded here only: its check shows the key the
  // server offers, to be compared and pinned.
  auto settings =
      config::load_config(path, connectors::catalog(), {.allow_unpinned_host_keys = true});
  if (!settings) {
    // Nothing else can be checked without a valid file; exit 2 like every configuration error.
    for (const auto& diagnostic : settings.error()) report.fail("config", diagnostic.to_string());
    report.finish();
    return kExitUsage;
  }
  report.ok("config", fmt::format("{} is valid", path_text(path)));
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
          "Runs every check and prints one line each: OK, WARN or FAIL (with what to do) or\n"
          "SKIP. In order: config (the file is valid), data dir (writable, enough free space),\n"
          "key file (present, private), key backup (WARN until 'ferry keys export' holds the\n"
          "active key version), key age (with agent.key_rotation_period: WARN once older),\n"
          "control socket (its folder writable by its owner only), each source (reachable and\n"
          "readable; with stale_after, a WARN when its data has not changed for longer than\n"
          "that), then the way to the tenant, through uplink.proxy when one is set: dns\n"
          "(the name resolves), tcp (connects), proxy (opens a tunnel), tls (TLS 1.3,\n"
          "certificate trusted and for this host, days until it expires), token (the tenant\n"
          "accepts the agent's token).\n"
          "A step that needs an earlier one that failed is SKIPped. Nothing is changed, no rows\n"
          "are sent, and it is safe to run while the agent runs.\n"
          "Exit 0 when no check fails (a WARN does not), 1 when any fails, 2 when the\n"
          "configuration file is not valid (its problems are printed as FILE:LINE:COL and\n"
          "nothing else is checked).",
      .options = kOptions,
      .run = run};
  return spec;
}

}  // namespace ferry::cli
