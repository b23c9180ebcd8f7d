// ferry run: the agent in the foreground until SIGTERM or SIGINT (what service managers run).
#include <csignal>
#include <thread>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <pthread.h>

#include "agent/app/agent.hpp"
#include "agent/app/data_dir_lock.hpp"
#include "agent/cli/commands.hpp"
#include "agent/cli/context.hpp"
#include "agent/control/control_server.hpp"
#include "agent/control/status.hpp"
#include "agent/uplink/uplink.hpp"

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

// One request of the control socket (SPEC section 8), answered with one JSON line.
std::string answer(const std::string& line, app::Agent& agent, const uplink::Uplink* delivery,
                   const config::Settings& settings, const keys::Keyring& keyring,
                   std::chrono::system_clock::time_point started) {
  namespace json = boost::json;
  boost::system::error_code ec;
  json::value request = json::parse(line, ec);
  const json::object* object = ec ? nullptr : request.if_object();
  const json::value* cmd = object != nullptr ? object->if_contains("cmd") : nullptr;
  if (cmd == nullptr || !cmd->is_string()) {
    return R"({"ok":false,"error":"a request is one JSON object a line with a string \"cmd\""})";
  }
  const std::string_view name = cmd->get_string();
  if (name == "status") {
    control::StatusInputs inputs;
    inputs.settings = &settings;
    inputs.started = started;
    inputs.now = std::chrono::system_clock::now();
    inputs.sources = agent.sources();
    if (delivery != nullptr) inputs.uplink = delivery->status();
    if (auto stats = agent.spool().stats()) inputs.spool = *stats;
    inputs.key_version = keyring.active_version();
    inputs.key_created = keyring.active().created;
    return json::serialize(control::status_json(inputs));
  }
  if (name == "sync_now") {
    std::optional<std::string> source;
    if (const json::value* given = object->if_contains("source");
        given && given->is_string() && !given->get_string().empty()) {
      source = std::string(given->get_string());
    }
    json::object result;
    result["ok"] = agent.run_now(source);
    if (!result["ok"].get_bool()) {
      result["error"] = fmt::format("no source named '{}'", *source);
    } else {
      result["message"] = source ? fmt::format("sync of {} started", *source)
                                 : std::string("sync of every source started");
    }
    return json::serialize(result);
  }
  if (name == "ping") return R"({"ok":true})";
  if (name == "reload") {
    return R"({"ok":false,"error":"reload is not supported yet: restart the agent to apply a changed configuration"})";
  }
  json::object result;
  result["ok"] = false;
  result["error"] = fmt::format("unknown cmd '{}' (known: status, sync_now, ping)", name);
  return json::serialize(result);
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
  const config::Settings uplink_settings = *settings;
  spool::OpenReport opened;
  auto agent = app::Agent::create(std::move(*settings), *keyring, opened);
  if (!agent) return fail(io, kExitFailure, agent.error().message);
  app::Agent& the_agent = **agent;
  std::unique_ptr<uplink::Uplink> delivery;
  if (uplink_settings.uplink.enabled) {
    uplink::Hooks hooks;
    hooks.on_progress = [&the_agent] { the_agent.spool_progress(); };
    hooks.on_command = [&the_agent](const std::string&, const std::string& source) {
      const bool all = source.empty();
      if (!the_agent.run_now(all ? std::nullopt : std::optional<std::string>(source))) {
        return uplink::CommandResult{false, fmt::format("no source named '{}'", source)};
      }
      return uplink::CommandResult{true, all ? std::string("sync of every source started")
                                             : fmt::format("sync of {} started", source)};
    };
    auto made = uplink::Uplink::create(uplink_settings, the_agent.spool(), std::move(hooks));
    if (!made) return fail(io, kExitUsage, made.error().message);
    delivery = std::move(*made);
    the_agent.spool().set_commit_listener([sender = delivery.get()] { sender->notify(); });
  } else {
    log->info("uplink.enabled is false: batches stay in the spool until the uplink is enabled");
  }
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
  // Threads start after the signals are blocked, so that only sigwait() below takes them.
  const auto started = std::chrono::system_clock::now();
  auto control_server = control::ControlServer::start(
      uplink_settings.agent.control_socket,
      [&the_agent, &delivery, &uplink_settings, &keyring, started](const std::string& line) {
        return answer(line, the_agent, delivery.get(), uplink_settings, *keyring, started);
      });
  if (!control_server) {
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    return fail(io, kExitFailure, control_server.error().message);
  }
  if (delivery) delivery->start();
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
  (*control_server)->stop();
  if (delivery) delivery->stop();
  // Take whatever signals came meanwhile (the collector's SIGUSR1, a second Ctrl-C while the
  // uplink closed): once unblocked, they would kill the process before it finishes cleanly.
  const timespec no_wait{};
  while (sigtimedwait(&signals, nullptr, &no_wait) > 0) {
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
