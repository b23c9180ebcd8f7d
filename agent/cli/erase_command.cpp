// ferry erase: the right to be forgotten. (Stub: being written.)
#include "agent/cli/commands.hpp"
#include "agent/cli/context.hpp"

namespace ferry::cli {
namespace {
constexpr OptionSpec kOptions[] = {kConfigOption, kHelpOption};
int run(const ParsedArgs&, Io& io) { return fail(io, kExitFailure, "erase is not built yet"); }
}  // namespace

const CommandSpec& erase_command() {
  static const CommandSpec spec{.name = "erase",
                                .summary = "forget a subject: suppress, tell the tenant, audit",
                                .usage = "ferry erase [-c FILE] --domain D VALUE...",
                                .details = "",
                                .options = kOptions,
                                .run = run};
  return spec;
}
}  // namespace ferry::cli
