// ferry run: the agent in the foreground until SIGTERM or SIGINT (what service managers run).
// The agent itself is app::Daemon; this file parses the arguments and maps failures to exit codes.
#include "agent/app/daemon.hpp"
#include "agent/cli/commands.hpp"
#include "agent/cli/context.hpp"

namespace ferry::cli {
namespace {

constexpr OptionSpec kOptions[] = {kConfigOption, kHelpOption};

int run(const ParsedArgs& args, Io& io) {
  auto settings = load_settings(args, io);
  if (!settings) return kExitUsage;
  if (!setup_logging(*settings, io, log::StderrStyle::kAuto)) return kExitFailure;
  auto keyring = load_keyring(*settings, io);
  if (!keyring) return kExitFailure;
  auto daemon =
      app::Daemon::start(std::move(*settings), std::move(*keyring), app::quiet_lifecycle());
  if (!daemon) {
    return fail(io, daemon.error().configuration ? kExitUsage : kExitFailure,
                daemon.error().error.message);
  }
  (*daemon)->run();
  daemon->reset();  // the one teardown path
  return kExitOk;
}

}  // namespace

const CommandSpec& run_command() {
  static const CommandSpec spec{
      .name = "run",
      .summary = "run the agent in the foreground until SIGTERM or SIGINT",
      .usage = "ferry run [-c FILE]",
      .details =
          "Polls each source on its schedule, spools what changed, and delivers the spool to\n"
          "the tenant (unless uplink.enabled is false). Logs to stderr (and to agent.log.file\n"
          "when set). SIGTERM or SIGINT stops it within seconds: a run in progress rolls back\n"
          "and is read again next time, and unacknowledged batches stay in the spool; nothing\n"
          "is lost. Service managers (systemd, the Windows service) run this command.",
      .options = kOptions,
      .run = run};
  return spec;
}

}  // namespace ferry::cli
