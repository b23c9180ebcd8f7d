// ferry check: diagnostics, one OK/FAIL line each with the fix. (Stub: being written.)
#include "agent/cli/commands.hpp"
#include "agent/cli/context.hpp"

namespace ferry::cli {
namespace {
constexpr OptionSpec kOptions[] = {kConfigOption, kHelpOption};
int run(const ParsedArgs&, Io& io) { return fail(io, kExitFailure, "check is not built yet"); }
}  // namespace

const CommandSpec& check_command() {
  static const CommandSpec spec{.name = "check",
                                .summary = "diagnose the configuration, sources and uplink",
                                .usage = "ferry check [-c FILE]",
                                .details = "",
                                .options = kOptions,
                                .run = run};
  return spec;
}
}  // namespace ferry::cli
