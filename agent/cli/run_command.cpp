// ferry run: the agent in the foreground until SIGTERM or SIGINT (what service managers run).
#include <csignal>
#include <future>
#include <shared_mutex>
#include <thread>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <pthread.h>
#include <unistd.h>

#include "agent/app/spool_options.hpp"
#include "agent/collector/collector.hpp"
#include "agent/app/data_dir_lock.hpp"
#include "agent/app/erase.hpp"
#include "agent/cli/commands.hpp"
#include "agent/cli/context.hpp"
#include "agent/control/control_server.hpp"
#include "agent/control/status.hpp"
#include "agent/metrics/metrics.hpp"
#include "agent/metrics/metrics_server.hpp"
#include "agent/uplink/uplink.hpp"
#include "common/audit/audit_log.hpp"
#include "common/config/load.hpp"
#include "common/crypto/tokens.hpp"
#include "common/fs/read_file.hpp"
#include "common/keys/keyring.hpp"
#include "common/log/log.hpp"
#include "connectors/registry/registry.hpp"

namespace ferry::cli {
namespace {

constexpr OptionSpec kOptions[] = {kConfigOption, kHelpOption};
constexpr auto kTrimEvery = std::chrono::hours(24);

// The signals the agent answers. They are blocked in every thread and taken by sigwait() in the
// main thread only, so no code runs in a signal handler. SIGHUP reloads the configuration (a
// `reload` request over the control socket raises it too).
sigset_t agent_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int signal : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&set, signal);
  return set;
}

// What the control socket's requests need of the running agent.
struct Running {
  collector::Collector& agent;
  spool::Spool& spool;
  uplink::Uplink* delivery;  // null with uplink.enabled: false
  const config::Settings& settings;
  const keys::Keyring& keyring;
  audit::AuditLog* audit;  // null when the audit log could not be opened
  std::chrono::system_clock::time_point started;
};

std::string refuse(std::string_view error) {
  return boost::json::serialize(boost::json::object{{"ok", false}, {"error", error}});
}

// What `ferry status` and the metrics show, read from the running agent.
control::StatusInputs status_inputs(const Running& running) {
  control::StatusInputs inputs;
  inputs.settings = &running.settings;
  inputs.started = running.started;
  inputs.now = std::chrono::system_clock::now();
  inputs.sources = running.agent.sources();
  if (running.delivery != nullptr) inputs.uplink = running.delivery->status();
  if (auto stats = running.spool.stats()) inputs.spool = *stats;
  inputs.key_version = running.keyring.active_version();
  inputs.key_created = running.keyring.active().created;
  return inputs;
}

std::string answer_status(const Running& running) {
  return boost::json::serialize(control::status_json(status_inputs(running)));
}

std::string answer_sync_now(const Running& running, const boost::json::object& request) {
  std::optional<std::string> source;
  if (const auto* given = request.if_contains("source");
      given && given->is_string() && !given->get_string().empty()) {
    source = std::string(given->get_string());
  }
  if (!running.agent.run_now(source)) return refuse(fmt::format("no source named '{}'", *source));
  return boost::json::serialize(
      boost::json::object{{"ok", true},
                          {"message", source ? fmt::format("sync of {} started", *source)
                                             : std::string("sync of every source started")}});
}

// {"cmd":"erase","domain":D,"tokens":[T...]}: `ferry erase` hands its work to the agent that owns
// the spool. Tokens only: the values they stand for never cross the socket.
std::string answer_erase(const Running& running, const boost::json::object& request) {
  const auto* domain = request.if_contains("domain");
  const auto* tokens = request.if_contains("tokens");
  if (domain == nullptr || !domain->is_string() || tokens == nullptr || !tokens->is_array() ||
      tokens->get_array().empty()) {
    return refuse("erase needs a string \"domain\" and a non-empty array \"tokens\"");
  }
  std::vector<std::string> list;
  for (const auto& token : tokens->get_array()) {
    if (!token.is_string() || !crypto::token_version(token.get_string())) {
      return refuse("erase: every item of \"tokens\" must be a pseudonym or hash token");
    }
    list.emplace_back(token.get_string());
  }
  if (!crypto::is_valid_domain(domain->get_string())) {
    return refuse("erase: \"domain\" is not a valid domain ([a-z0-9_.-]+)");
  }
  app::HoldSending hold;
  if (running.delivery != nullptr) {
    hold = [delivery = running.delivery](const std::function<void(std::uint64_t)>& work) {
      delivery->hold_sending(work);
    };
  }
  auto outcome = app::erase_subjects(running.settings.agent.data_dir, running.spool,
                                     domain->get_string(), list, hold,
                                     running.keyring.active_version(), running.audit);
  if (!outcome) return refuse(outcome.error().message);
  auto log = log::get("agent");
  log->info("erased domain={} tokens={} new_tokens={} erase_seq={} withheld_batches={}",
            outcome->domain, outcome->tokens, outcome->new_tokens, outcome->spool.seq,
            outcome->spool.withheld_batches);
  if (!outcome->audit_error.empty()) {
    log->error("the audit log did not record the erasure: {}", outcome->audit_error);
  }
  for (const auto& source : outcome->spool.sources_reset) running.agent.run_now(source);
  boost::json::object result = app::to_json(*outcome);
  result["ok"] = true;
  if (!outcome->audit_error.empty()) result["audit_error"] = outcome->audit_error;
  return boost::json::serialize(result);
}

// One request of the control socket (SPEC section 8), answered with one JSON line.
std::string answer(const std::string& line, const Running& running) {
  namespace json = boost::json;
  boost::system::error_code ec;
  json::value request = json::parse(line, ec);
  const json::object* object = ec ? nullptr : request.if_object();
  const json::value* cmd = object != nullptr ? object->if_contains("cmd") : nullptr;
  if (cmd == nullptr || !cmd->is_string()) {
    return refuse("a request is one JSON object a line with a string \"cmd\"");
  }
  const std::string_view name = cmd->get_string();
  if (name == "status") return answer_status(running);
  if (name == "sync_now") return answer_sync_now(running, *object);
  if (name == "erase") return answer_erase(running, *object);
  if (name == "ping") return R"({"ok":true})";
  return refuse(
      fmt::format("unknown cmd '{}' (known: status, sync_now, erase, reload, ping)", name));
}

// The audit log, opened once per process; without it the agent still runs and says why loudly.
std::unique_ptr<audit::AuditLog> open_audit(const config::Settings& settings) {
  auto opened = audit::AuditLog::open(
      settings.agent.data_dir,
      std::chrono::duration_cast<std::chrono::seconds>(settings.agent.audit_retention));
  if (!opened) {
    log::get("agent")->error("the audit log cannot be opened: {}; nothing will be recorded in it",
                             opened.error().message);
    return nullptr;
  }
  return std::move(*opened);
}

void record(audit::AuditLog* audit, std::string_view event, boost::json::object fields) {
  if (audit == nullptr) return;
  if (auto recorded = audit->append(event, std::move(fields)); !recorded) {
    log::get("agent")->error("the audit log did not record {}: {}", event,
                             recorded.error().message);
  }
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

// One configuration's worth of the running agent: the collector, its spool and the uplink. A
// reload stops it and builds the next one from the new configuration; the process, its data_dir
// lock, the control socket and the audit log stay.
struct Generation {
  config::Settings settings;
  keys::Keyring keyring;
  std::unique_ptr<spool::Spool> spool;
  std::unique_ptr<collector::Collector> agent;
  std::unique_ptr<uplink::Uplink> delivery;

  void start() {
    if (delivery) delivery->start();
    agent->start();
  }
  // A run in progress rolls back; unacknowledged batches stay in the spool.
  void stop() {
    agent->stop();
    if (delivery) delivery->stop();
  }
};

Result<std::unique_ptr<Generation>> build(config::Settings settings, keys::Keyring keyring,
                                          audit::AuditLog* audit_log) {
  auto log = log::get("agent");
  auto made = std::make_unique<Generation>(
      Generation{std::move(settings), std::move(keyring), nullptr, nullptr, nullptr});
  Generation& g = *made;
  spool::OpenReport opened;
  auto spool = spool::Spool::open(app::spool_options(g.settings), opened);
  if (!spool) return tl::unexpected(spool.error());
  g.spool = std::move(*spool);
  auto agent = collector::Collector::create(g.settings, *g.spool, g.keyring);
  if (!agent) return tl::unexpected(agent.error());
  g.agent = std::move(*agent);
  if (opened.corrupt_moved_to) {
    log->error(
        "the spool was damaged ({}); it was moved to {} and a new spool started: sources are "
        "read again from the beginning",
        opened.corrupt_reason, opened.corrupt_moved_to->string());
  }
  if (!g.settings.uplink.enabled) {
    log->info("uplink.enabled is false: batches stay in the spool until the uplink is enabled");
    return made;
  }
  collector::Collector* the_agent = g.agent.get();
  uplink::Hooks hooks;
  hooks.on_progress = [the_agent] { the_agent->spool_progress(); };
  hooks.on_audit = [audit_log](std::string_view event, boost::json::object fields) {
    record(audit_log, event, std::move(fields));
  };
  hooks.on_command = [the_agent](const std::string&, const std::string& source) {
    const bool all = source.empty();
    if (!the_agent->run_now(all ? std::nullopt : std::optional<std::string>(source))) {
      return uplink::CommandResult{false, fmt::format("no source named '{}'", source)};
    }
    return uplink::CommandResult{true, all ? std::string("sync of every source started")
                                           : fmt::format("sync of {} started", source)};
  };
  auto delivery = uplink::Uplink::create(g.settings, *g.spool, std::move(hooks));
  if (!delivery) return tl::unexpected(delivery.error());
  g.delivery = std::move(*delivery);
  g.spool->set_commit_listener([sender = g.delivery.get()] { sender->notify(); });
  return made;
}

std::string config_hash(const std::filesystem::path& file) {
  auto text = fs::read_small_file(file);
  if (!text) return "";
  auto hash = audit::sha256_hex(*text);
  return hash ? *hash : "";
}

// Keys a reload cannot change: they name the agent, its data, or the socket being listened on.
std::optional<std::string> restart_needed(const config::Settings& now,
                                          const config::Settings& next) {
  if (now.agent.id != next.agent.id) return "agent.id";
  if (now.agent.tenant != next.agent.tenant) return "agent.tenant";
  if (now.agent.data_dir != next.agent.data_dir) return "agent.data_dir";
  if (now.agent.control_socket != next.agent.control_socket) return "agent.control_socket";
  if (now.agent.metrics_host != next.agent.metrics_host ||
      now.agent.metrics_port != next.agent.metrics_port) {
    return "agent.metrics";
  }
  return std::nullopt;
}

constexpr std::string_view kNothingRuns =
    "no configuration runs: a reload failed and the previous one could not start again; fix "
    "the configuration and reload, or restart the service (see the log)";

// A reload asked for over the control socket, answered by the main thread that does it.
struct ReloadRequest {
  std::promise<std::pair<bool, std::string>> done;
};

// The agent process: the current Generation, swapped whole by reload() on the main thread.
class Daemon {
 public:
  // `started_with`: the settings the process started with; a reload may not change what names
  // the agent, its data_dir (whose lock this process holds) or its sockets.
  Daemon(std::filesystem::path config_file, config::Settings started_with,
         std::unique_ptr<audit::AuditLog> audit_log)
      : config_file_(std::move(config_file)),
        started_with_(std::move(started_with)),
        audit_(std::move(audit_log)) {}

  audit::AuditLog* audit() const { return audit_.get(); }

  void install(std::unique_ptr<Generation> generation) {
    std::unique_lock lock(mutex_);
    current_ = std::move(generation);
  }
  void start() { current_->start(); }
  void stop() {
    std::unique_lock lock(mutex_);
    if (current_) current_->stop();
  }
  Generation& current() { return *current_; }

  // Answers one control request against the current generation. `reload` is handed to the main
  // thread (pthread `main`), which swaps generations; the answer waits for it.
  std::string answer_request(const std::string& line, pthread_t main,
                             std::chrono::system_clock::time_point started) {
    if (is_reload(line)) {
      auto request = std::make_shared<ReloadRequest>();
      auto result = request->done.get_future();
      {
        std::lock_guard lock(reload_mutex_);
        if (stopping_) return refuse("the agent is stopping");
        reload_requests_.push_back(request);
      }
      pthread_kill(main, SIGHUP);
      if (result.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
        return refuse("the reload did not finish within 60 s; see the agent's log");
      }
      auto [ok, message] = result.get();
      if (!ok) return refuse(message);
      return boost::json::serialize(boost::json::object{{"ok", true}, {"message", message}});
    }
    std::shared_lock lock(mutex_);
    if (!current_) return refuse(kNothingRuns);
    Generation& g = *current_;
    return answer(
        line, Running{*g.agent, *g.spool, g.delivery.get(), g.settings, g.keyring, audit_.get(), started});
  }

  // The body of GET /metrics, on the metrics server's thread; waits while a reload swaps
  // generations.
  std::string metrics_text(std::chrono::system_clock::time_point started) {
    std::shared_lock lock(mutex_);
    if (!current_) return "# " + std::string(kNothingRuns) + "\n";
    Generation& g = *current_;
    return metrics::render_metrics(status_inputs(
        Running{*g.agent, *g.spool, g.delivery.get(), g.settings, g.keyring, audit_.get(), started}));
  }

  // On the main thread (SIGHUP, or a `reload` request): re-reads the configuration and the key
  // file; when both are good, replaces the generation. Otherwise the running one stays.
  void reload() {
    auto [ok, message] = try_reload();
    auto log = log::get("agent");
    if (ok) {
      log->info("{}", message);
    } else {
      log->error("reload refused: {}", message);
    }
    std::vector<std::shared_ptr<ReloadRequest>> waiting;
    {
      std::lock_guard lock(reload_mutex_);
      waiting.swap(reload_requests_);
    }
    for (auto& request : waiting) request->done.set_value({ok, message});
  }

  // The agent is stopping: reload requests still waiting are answered at once.
  void cancel_reloads() {
    std::vector<std::shared_ptr<ReloadRequest>> waiting;
    {
      std::lock_guard lock(reload_mutex_);
      stopping_ = true;
      waiting.swap(reload_requests_);
    }
    for (auto& request : waiting) request->done.set_value({false, "the agent is stopping"});
  }

 private:
  static bool is_reload(const std::string& line) {
    boost::system::error_code ec;
    auto value = boost::json::parse(line, ec);
    const auto* object = ec ? nullptr : value.if_object();
    const auto* cmd = object ? object->if_contains("cmd") : nullptr;
    return cmd != nullptr && cmd->is_string() && cmd->get_string() == "reload";
  }

  std::pair<bool, std::string> try_reload() {
    const std::string hash = config_hash(config_file_);
    auto refused = [&](std::string why) {
      record(audit_.get(), "config_reload_refused",
             {{"config", config_file_.string()}, {"config_sha256", hash}, {"reason", why}});
      return std::pair<bool, std::string>{false, std::move(why)};
    };
    auto loaded = config::load_config(config_file_, connectors::catalog());
    if (!loaded) {
      std::string problems;
      for (const auto& diagnostic : loaded.error()) {
        if (!problems.empty()) problems += "; ";
        problems += diagnostic.to_string();
      }
      return refused(fmt::format("{} is not valid, the running configuration stays: {}",
                                 config_file_.string(), problems));
    }
    if (auto key = restart_needed(started_with_, *loaded)) {
      return refused(
          fmt::format("{} changed: restart the service to apply it (nothing was "
                      "reloaded)",
                      *key));
    }
    auto keyring = keys::Keyring::load(keys::keyring_path(loaded->agent.data_dir));
    if (!keyring) {
      return refused(
          fmt::format("the key file cannot be read, the running configuration "
                      "stays: {}",
                      keyring.error().message));
    }
    // Only one spool connection may exist: the running generation goes first. Should the new
    // one fail to build (a certificate file gone, say), the previous one is built again.
    std::unique_lock lock(mutex_);
    std::unique_ptr<Generation> previous = std::move(current_);
    if (previous) previous->stop();
    // Its settings and keys are kept to start it again should the new one fail; its agent (and
    // the spool connection) goes now.
    std::optional<std::pair<config::Settings, keys::Keyring>> fallback;
    if (previous) fallback.emplace(std::move(previous->settings), std::move(previous->keyring));
    previous.reset();
    log::LogOptions options;
    options.level = loaded->agent.log.level;
    options.file = loaded->agent.log.file;
    options.max_size = loaded->agent.log.max_size;
    options.max_files = loaded->agent.log.max_files;
    const auto sources = loaded->sources.size();
    auto next = build(std::move(*loaded), std::move(*keyring), audit_.get());
    if (!next) {
      const std::string why = next.error().message;
      if (!fallback) return refused(fmt::format("the new configuration cannot start: {}", why));
      auto again = build(std::move(fallback->first), std::move(fallback->second), audit_.get());
      if (!again) {
        // Nothing works any more: say so loudly; the process stays up for `ferry status`.
        log::get("agent")->critical("the previous configuration cannot be started again: {}",
                                    again.error().message);
        return refused(
            fmt::format("{}; and the previous configuration could not be "
                        "restarted: {}",
                        why, again.error().message));
      }
      current_ = std::move(*again);
      current_->start();
      return refused(
          fmt::format("the new configuration cannot start ({}); the previous one "
                      "runs again",
                      why));
    }
    if (auto logging = log::setup(options, log::StderrStyle::kAuto); !logging) {
      log::get("agent")->error("the new log settings cannot be applied: {}",
                               logging.error().message);
    }
    current_ = std::move(*next);
    current_->start();
    record(audit_.get(), "config_reloaded",
           {{"config", config_file_.string()},
            {"config_sha256", hash},
            {"sources", sources},
            {"key_version", current_->keyring.active_version()}});
    return {true, fmt::format("configuration reloaded from {} ({} sources, key version {})",
                              config_file_.string(), sources, current_->keyring.active_version())};
  }

  std::filesystem::path config_file_;
  config::Settings started_with_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::shared_mutex mutex_;  // guards current_: shared to answer, exclusive to swap
  std::unique_ptr<Generation> current_;
  std::mutex reload_mutex_;
  std::vector<std::shared_ptr<ReloadRequest>> reload_requests_;
  bool stopping_ = false;  // guarded by reload_mutex_
};

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
  const auto control_socket = settings->agent.control_socket;
  Daemon daemon(config_file, *settings, open_audit(*settings));
  auto first = build(std::move(*settings), std::move(*keyring), daemon.audit());
  if (!first) {
    const bool config_error = first.error().code == ErrorCode::kConfig;
    return fail(io, config_error ? kExitUsage : kExitFailure, first.error().message);
  }
  daemon.install(std::move(*first));
  Generation& g = daemon.current();
  log->info("ferry {} started config={} spool_id={} key_version={}", FERRY_VERSION,
            config_file.string(), g.spool->spool_id(), g.keyring.active_version());
  record(daemon.audit(), "agent_started",
         {{"version", FERRY_VERSION},
          {"pid", static_cast<std::int64_t>(::getpid())},
          {"config", config_file.string()},
          {"config_sha256", config_hash(config_file)},
          {"spool_id", g.spool->spool_id()},
          {"key_version", g.keyring.active_version()},
          {"uplink", g.settings.uplink.enabled}});

  const sigset_t signals = agent_signals();
  sigset_t previous;
  pthread_sigmask(SIG_BLOCK, &signals, &previous);
  const pthread_t main_thread = pthread_self();
  // Threads start after the signals are blocked, so that only sigwait() below takes them.
  const auto started = std::chrono::system_clock::now();
  auto control_server = control::ControlServer::start(
      control_socket, [&daemon, main_thread, started](const std::string& line) {
        return daemon.answer_request(line, main_thread, started);
      });
  if (!control_server) {
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    return fail(io, kExitFailure, control_server.error().message);
  }
  // agent.metrics: started after the control socket, stopped before it.
  std::unique_ptr<metrics::MetricsServer> metrics_server;
  if (const config::AgentSettings& agent = g.settings.agent; !agent.metrics_host.empty()) {
    auto serving =
        metrics::MetricsServer::start(agent.metrics_host, agent.metrics_port,
                                      [&daemon, started] { return daemon.metrics_text(started); });
    if (!serving) {
      (*control_server)->stop();
      pthread_sigmask(SIG_SETMASK, &previous, nullptr);
      return fail(io, kExitFailure, serving.error().message);
    }
    metrics_server = std::move(*serving);
    log->info("metrics endpoint listening host={} port={} path=/metrics", agent.metrics_host,
              metrics_server->port());
  }
  daemon.start();
  // The audit log is trimmed to agent.audit.retention at start-up and then once a day.
  auto next_trim = std::chrono::steady_clock::now() + kTrimEvery;
  for (;;) {
    const timespec hour{3600, 0};
    const int signal = sigtimedwait(&signals, nullptr, &hour);
    if (std::chrono::steady_clock::now() >= next_trim) {
      next_trim = std::chrono::steady_clock::now() + kTrimEvery;
      if (audit::AuditLog* audit_log = daemon.audit()) {
        if (auto trimmed = audit_log->trim(); !trimmed) {
          log->error("the audit log could not be trimmed: {}", trimmed.error().message);
        }
      }
    }
    if (signal < 0) continue;  // the hourly wake-up (EAGAIN) or EINTR
    if (signal == SIGINT || signal == SIGTERM) {
      log->info("stopping on {}", signal_name(signal));
      break;
    }
    if (signal == SIGHUP) {
      log->info("reloading {}", config_file.string());
      daemon.reload();
    }
  }
  daemon.cancel_reloads();
  if (metrics_server) metrics_server->stop();
  (*control_server)->stop();
  daemon.stop();
  // Take whatever signals came meanwhile (a second Ctrl-C while the uplink closed): once
  // unblocked, they would kill the process before it finishes cleanly.
  const timespec no_wait{};
  while (sigtimedwait(&signals, nullptr, &no_wait) > 0) {
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  record(daemon.audit(), "agent_stopped", {{"pid", static_cast<std::int64_t>(::getpid())}});
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
