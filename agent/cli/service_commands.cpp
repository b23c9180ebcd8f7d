// ferry service install|uninstall|start|stop: the Windows service (service_manager.hpp). On Linux
// each says that systemd runs the agent (exit 2).
#include <chrono>
#include <filesystem>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "agent/cli/commands.hpp"
#include "agent/cli/context.hpp"
#include "agent/cli/service_manager.hpp"
#include "common/error/path_text.hpp"

namespace ferry::cli {
namespace {

// The service stops within seconds (SIGTERM's promise); a run in progress may take longer to roll
// back on a slow disk.
constexpr auto kStopDeadline = std::chrono::seconds(90);
// Start-up opens the spool and the sources; the service manager's own limit is its wait hint.
constexpr auto kStartDeadline = std::chrono::seconds(90);

constexpr OptionSpec kInstallOptions[] = {kConfigOption, kHelpOption};
constexpr OptionSpec kHelpOnly[] = {kHelpOption};

int error_exit(const Error& error) {
  return error.code == ErrorCode::kInvalidArgument ? kExitUsage : kExitFailure;
}

// The config the installed service reads: what follows -c in its registered command line.
std::optional<std::filesystem::path> registered_config(const ServiceState& state) {
  const std::string& line = state.command_line;
  const auto option = line.find(" -c \"");
  if (option == std::string::npos) return std::nullopt;
  const auto start = option + 5;
  const auto end = line.find('"', start);
  if (end == std::string::npos) return std::nullopt;
  const std::string text = line.substr(start, end - start);
  return std::filesystem::path(std::u8string(text.begin(), text.end()));
}

int install(const ParsedArgs& args, Io& io) {
  std::error_code ec;
  const std::filesystem::path config = std::filesystem::absolute(config_path(args), ec);
  if (ec)
    return fail(io, kExitUsage,
                fmt::format("cannot make the configuration's path absolute: {}", ec.message()));
  auto program = this_program();
  if (!program) return fail(io, kExitFailure, program.error().message);
  auto installed = install_service({*program, config});
  if (!installed) return fail(io, error_exit(installed.error()), installed.error().message);
  io.out << fmt::format(
      "installed the service Ferry (Ferry data agent): it runs {} run -c {} as NT SERVICE\\Ferry, "
      "starts automatically (delayed) at boot, and restarts on failure.\n",
      path_text(*program), path_text(config));
  if (!installed->skipped.empty()) {
    io.err << fmt::format(
        "ferry: warning: this system's service manager does not take the service's {}: left "
        "as it is (Windows 10 and Server 2016 take every setting)\n",
        fmt::join(installed->skipped, ", "));
  }
  if (!std::filesystem::exists(config, ec)) {
    io.out << fmt::format("{} does not exist yet: write it (docs/install-windows.md).\n",
                          path_text(config));
  }
  io.out << fmt::format(
      "Not started: make the key file (ferry keys init -c {0}), check the configuration "
      "(ferry check -c {0}), then run 'ferry service start'.\n",
      path_text(config));
  return kExitOk;
}

int uninstall(const ParsedArgs& args, Io& io) {
  (void)args;
  if (auto removed = uninstall_service(kStopDeadline); !removed) {
    return fail(io, error_exit(removed.error()), removed.error().message);
  }
  io.out << "removed the service Ferry; its configuration, key file, spool and logs stay where "
            "they are\n";
  return kExitOk;
}

int start(const ParsedArgs& args, Io& io) {
  (void)args;
  auto state = query_service();
  if (!state) return fail(io, error_exit(state.error()), state.error().message);
  if (!state->installed) {
    return fail(io, kExitFailure,
                "the service Ferry is not installed: install it with 'ferry service install -c "
                "FILE' (or the MSI)");
  }
  // A bad configuration or key file never starts a half-working agent: said here, before the
  // service manager starts one that stops at once.
  if (auto config = registered_config(*state)) {
    auto settings = load_settings_from(*config, io);
    if (!settings) {
      return fail(io, kExitUsage,
                  fmt::format("the service Ferry was not started: fix {} first (ferry validate "
                              "-c {} checks it)",
                              path_text(*config), path_text(*config)));
    }
    if (!load_keyring(*settings, io)) {
      return fail(io, kExitFailure,
                  "the service Ferry was not started: its key file cannot be used");
    }
  }
  if (auto started = start_service(kStartDeadline); !started) {
    return fail(io, error_exit(started.error()), started.error().message);
  }
  io.out << "the service Ferry is running ('ferry status' shows what it does)\n";
  return kExitOk;
}

int stop(const ParsedArgs& args, Io& io) {
  (void)args;
  if (auto stopped = stop_service(kStopDeadline); !stopped) {
    return fail(io, error_exit(stopped.error()), stopped.error().message);
  }
  io.out << "the service Ferry is stopped; what it had not delivered stays in the spool\n";
  return kExitOk;
}

}  // namespace

const CommandSpec& service_install_command() {
  static const CommandSpec spec{
      .name = "service install",
      .summary = "install the Windows service Ferry (Windows only)",
      .usage = "ferry service install [-c FILE]",
      .details =
          "Registers the service Ferry (\"Ferry data agent\") with the Windows service\n"
          "manager: it runs `ferry run -c FILE` (FILE made absolute) as the virtual account\n"
          "NT SERVICE\\Ferry, starts automatically at boot (delayed), restarts 10 s, 30 s,\n"
          "then 60 s after a failure, and has 30 s to stop at shutdown. Also registers the\n"
          "Event Log source Ferry. Does not start it. Run as administrator. The MSI does the\n"
          "same. On Linux the package installs the systemd unit instead.",
      .options = kInstallOptions,
      .run = install};
  return spec;
}

const CommandSpec& service_uninstall_command() {
  static const CommandSpec spec{
      .name = "service uninstall",
      .summary = "stop and remove the Windows service (Windows only)",
      .usage = "ferry service uninstall",
      .details =
          "Stops the service when it runs, then removes it and its Event Log source. The\n"
          "configuration, key file, spool, audit log and logs stay. Run as administrator.",
      .options = kHelpOnly,
      .run = uninstall};
  return spec;
}

const CommandSpec& service_start_command() {
  static const CommandSpec spec{
      .name = "service start",
      .summary = "start the Windows service (Windows only)",
      .usage = "ferry service start",
      .details =
          "Checks the configuration and key file the service reads (as ferry validate does)\n"
          "and refuses to start it when they do not work; then starts it and waits until it\n"
          "runs, or says why it stopped (its exit code; the Event Log and log file have the\n"
          "reason). Run as administrator.",
      .options = kHelpOnly,
      .run = start};
  return spec;
}

const CommandSpec& service_stop_command() {
  static const CommandSpec spec{
      .name = "service stop",
      .summary = "stop the Windows service (Windows only)",
      .usage = "ferry service stop",
      .details =
          "Asks the service to stop and waits until it has: a run in progress rolls back,\n"
          "unacknowledged batches stay in the spool. Run as administrator.",
      .options = kHelpOnly,
      .run = stop};
  return spec;
}

}  // namespace ferry::cli
