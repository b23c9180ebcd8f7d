// ferry run: the agent in the foreground until SIGTERM or SIGINT (what service managers run).
// The agent itself is app::Daemon; this file parses the arguments and maps failures to exit codes.
#include <sstream>

#include "agent/app/daemon.hpp"
#include "agent/app/service_host.hpp"
#include "agent/cli/commands.hpp"
#include "agent/cli/context.hpp"

namespace ferry::cli {
namespace {

constexpr OptionSpec kOptions[] = {kConfigOption, kHelpOption};

int run_agent(const ParsedArgs& args, Io& io, app::Host& host) {
  auto settings = load_settings(args, io);
  if (!settings) return kExitUsage;
  if (!writes_as_data_dir_owner(*settings, io, "run")) return kExitFailure;
  const log::StderrStyle style =
      host.windows_service ? log::StderrStyle::kEventLog : log::StderrStyle::kAuto;
  if (!setup_logging(*settings, io, style)) return kExitFailure;
  auto keyring = load_keyring(*settings, io);
  if (!keyring) return kExitFailure;
  auto daemon = app::Daemon::start(std::move(*settings), std::move(*keyring), host.lifecycle);
  if (!daemon) {
    return fail(io, daemon.error().configuration ? kExitUsage : kExitFailure,
                daemon.error().error.message);
  }
  const bool stopped = (*daemon)->run();
  daemon->reset();  // the one teardown path
  if (!stopped) {
    return fail(io, kExitFailure,
                "the spool's disk failed: ferry stopped for its service manager to start it "
                "again (the log says what failed)");
  }
  return kExitOk;
}

int run(const ParsedArgs& args, Io& io) {
  // Under systemd (Type=notify) the agent's life is told with sd_notify; as the Windows service,
  // with SetServiceStatus (app/service_host.hpp).
  return app::run_hosted([&](app::Host& host) {
    if (!host.windows_service) return run_agent(args, io, host);
    // No console: what the command would print on failure goes to the Event Log.
    std::ostringstream out;
    std::ostringstream err;
    Io service_io{out, err, io.in};
    const int code = run_agent(args, service_io, host);
    if (code != kExitOk) host.lifecycle.failed(err.str());
    return code;
  });
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
          "batches stay in the spool; nothing is lost. A read, write or sync of the\n"
          "spool's files that fails stops it with exit status 1, for its service manager to\n"
          "start it again, which reads the spool afresh. Service managers (systemd, the\n"
          "Windows service) run this command. Started by the Windows service manager (the\n"
          "service Ferry: ferry service install), it reports its start-up steps and stop to\n"
          "it, takes STOP, SHUTDOWN and PRESHUTDOWN as a stop and PARAMCHANGE as a reload,\n"
          "and writes warnings, errors and its start and stop to the Event Log as well as\n"
          "to the log file.",
      .options = kOptions,
      .run = run};
  return spec;
}

}  // namespace ferry::cli
