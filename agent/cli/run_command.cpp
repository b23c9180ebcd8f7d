// ferry run: the agent in the foreground until SIGTERM or SIGINT (what service managers run).
#include <csignal>
#include <thread>

#include <fmt/format.h>
#include <pthread.h>

#include "agent/app/agent.hpp"
#include "agent/app/data_dir_lock.hpp"
#include "agent/cli/commands.hpp"
#include "agent/cli/context.hpp"

namespace ferry::cli {
namespace {

constexpr OptionSpec kOptions[] = {kConfigOption, kHelpOption};

// The signals the agent answers. They are blocked in every thread and taken by sigwait() in the
// main thread only, so no code runs in a signal handler. SIGUSR1 is the collecting thread's own
// "I have finished" wake-up.
sigset_t agent_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int signal : {SIGINT, SIGTERM, SIGHUP, SIGUSR1}) sigaddset(&set, signal);
  return set;
}

const char* signal_name(int signal) {
  switch (signal) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    case SIGHUP:
      return "SIGHUP";
    default:
      return "a signal";
  }
}

int run(const ParsedArgs& args, Io& io) {
  auto settings = load_settings(args, io);
  if (!settings) return kExitUsage;
  if (!setup_logging(*settings, io, log::StderrStyle::kAuto)) return kExitFailure;
  auto keyring = load_keyring(*settings, io);
  if (!keyring) return kExitFailure;
  auto lock = app::DataDirLock::acquire(settings->agent.data_dir);
  if (!lock) return fail(io, kExitFailure, lock.error().message);

  auto log = log::get("agent");
  const auto config_file = settings->file;
  spool::OpenReport opened;
  auto agent = app::Agent::create(std::move(*settings), *keyring, opened);
  if (!agent) return fail(io, kExitFailure, agent.error().message);
  if (opened.corrupt_moved_to) {
    log->error(
        "the spool was damaged ({}); it was moved to {} and a new spool started: sources are "
        "read again from the beginning",
        opened.corrupt_reason, opened.corrupt_moved_to->string());
  }
  log->info("ferry {} started config={} spool_id={} key_version={}", FERRY_VERSION,
            config_file.string(), (*agent)->spool().spool_id(), keyring->active_version());

  const sigset_t signals = agent_signals();
  sigset_t previous;
  pthread_sigmask(SIG_BLOCK, &signals, &previous);
  const pthread_t main_thread = pthread_self();
  std::jthread collector([&](std::stop_token stop) {
    (*agent)->run(stop);
    pthread_kill(main_thread, SIGUSR1);
  });
  for (;;) {
    int signal = 0;
    if (sigwait(&signals, &signal) != 0) continue;
    if (signal == SIGINT || signal == SIGTERM) {
      log->info("stopping on {}", signal_name(signal));
      break;
    }
    if (signal == SIGHUP) {
      log->warn(
          "SIGHUP: reloading the configuration is not supported yet; restart the service to "
          "apply a changed {}",
          config_file.string());
      continue;
    }
    // SIGUSR1: the collecting thread ended, which it does only when asked to stop.
    break;
  }
  collector.request_stop();
  collector.join();
  // Take the collecting thread's SIGUSR1 if it is still pending: unblocked, it would kill us.
  sigset_t wake;
  sigemptyset(&wake);
  sigaddset(&wake, SIGUSR1);
  const timespec no_wait{};
  while (sigtimedwait(&wake, nullptr, &no_wait) == SIGUSR1) {
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  log->info("ferry stopped");
  return kExitOk;
}

}  // namespace

const CommandSpec& run_command() {
  static const CommandSpec spec{
      .name = "run",
      .summary = "run the agent in the foreground until SIGTERM or SIGINT",
      .usage = "ferry run [-c FILE]",
      .details =
          "Polls each source on its schedule and spools what changed. Logs to stderr (and to\n"
          "agent.log.file when set). SIGTERM or SIGINT stops it within seconds: a run in\n"
          "progress rolls back and is read again next time; nothing is lost. Service managers\n"
          "(systemd, the Windows service) run this command.",
      .options = kOptions,
      .run = run};
  return spec;
}

}  // namespace ferry::cli
