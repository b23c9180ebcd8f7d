// ferry audit verify|show. (Stub: being written.)
#include "agent/cli/commands.hpp"
#include "agent/cli/context.hpp"

namespace ferry::cli {
namespace {
constexpr OptionSpec kOptions[] = {kConfigOption, kHelpOption};
int run(const ParsedArgs&, Io& io) { return fail(io, kExitFailure, "audit is not built yet"); }
}  // namespace

const CommandSpec& audit_verify_command() {
  static const CommandSpec spec{.name = "audit verify",
                                .summary = "check the audit log's hash chain",
                                .usage = "ferry audit verify [-c FILE]",
                                .details = "",
                                .options = kOptions,
                                .run = run};
  return spec;
}

const CommandSpec& audit_show_command() {
  static const CommandSpec spec{.name = "audit show",
                                .summary = "print the audit log",
                                .usage = "ferry audit show [-c FILE] [--since T]",
                                .details = "",
                                .options = kOptions,
                                .run = run};
  return spec;
}
}  // namespace ferry::cli
