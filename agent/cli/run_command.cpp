// ferry run: the agent in the foreground until SIGTERM or SIGINT (what service managers run).
// The agent itself is app::Daemon; this file parses the arguments and maps failures to exit codes.
#include "agent/app/daemon.hpp"
#include "agent/app/systemd_lifecycle.hpp"
#include "agent/cli/commands.hpp"
#include "agent/cli/context.hpp"

namespace ferry::cli {
namespace {

constexpr OptionSpec kOptions[] = {kConfigOption, kHelpOption};

int run(const ParsedArgs& args, Io& io) {
  auto settings = load_settings(args, io);
  if (!settings) return kExitUsage;
  if (!writes_as_data_dir_owner(*settings, io, "run")) return kExitFailure;
  if (!setup_logging(*settings, io, log::StderrStyle::kAuto)) return kExitFailure;
  auto keyring = load_keyring(*settings, io);
  if (!keyring) return kExitFailure;
  // Under systemd (Type=notify) it hears READY=1, STATUS=, RELOADING=1, STOPPING=1, WATCHDOG=1.
  const std::unique_ptr<app::Lifecycle> systemd = app::systemd_lifecycle();
  auto daemon = app::Daemon::start(std::move(*settings), std::move(*keyring),
                                   systemd ? *systemd : app::quiet_lifecycle());
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
          "Polls each source on its schedule, spools what changed, and delivers the spool\n"
          "to the tenant (unless uplink.enabled is false). Logs to stderr and to\n"
          "agent.log.file when set; under systemd, stderr is the journal, with each line's\n"
          "level; elsewhere, without agent.log.file, also to <data_dir>/logs/ferry.log.\n"
          "Started by systemd as a Type=notify service, it reports READY=1 once the\n"
          "control socket listens, a STATUS= line, reloads and stopping, and feeds\n"
          "WatchdogSec= while its loops answer. SIGTERM or SIGINT stops it within seconds:\n"
          "a run in progress rolls back and is read again next time, and unacknowledged\n"
          "batches stay in the spool; nothing is lost. Service managers (systemd, the\n"
          "Windows service) run this command.",
      .options = kOptions,
      .run = run};
  return spec;
}

}  // namespace ferry::cli
