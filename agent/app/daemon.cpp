#include "agent/app/daemon.hpp"

#include <fmt/format.h>

#include "agent/app/audit_events.hpp"
#include "agent/app/service_status.hpp"
#include "common/config/duration.hpp"
#include "common/error/path_text.hpp"
#include "common/log/log.hpp"

namespace ferry::app {
namespace {

constexpr auto kTrimEvery = std::chrono::hours(24);
constexpr auto kWakeEvery = std::chrono::hours(1);
// How often run() looks whether the spool's disk has failed.
constexpr auto kStorageCheckEvery = std::chrono::seconds(1);

}  // namespace

const std::vector<Daemon::Step>& Daemon::steps() {
  static const std::vector<Step> list{
      {"block signals", &Daemon::block_signals, &Daemon::restore_signals},
      {"take the data_dir lock", &Daemon::take_lock, &Daemon::release_lock},
      {"open the audit log", &Daemon::open_audit_log, &Daemon::close_audit_log},
      {"open the spool", &Daemon::open_spool, &Daemon::close_generation},
      {"build the collector", &Daemon::build_collector, nullptr},
      {"build the uplink", &Daemon::build_uplink, nullptr},
      {"open the control socket", &Daemon::open_control_socket, &Daemon::close_control_socket},
      {"open the metrics endpoint", &Daemon::open_metrics, &Daemon::close_metrics},
      {"start collecting and delivering", &Daemon::start_generation, &Daemon::stop_generation},
  };
  return list;
}

Daemon::Daemon(config::Settings settings, keys::Keyring keyring, Lifecycle& lifecycle)
    : config_file_(settings.file),
      settings_(std::move(settings)),
      keyring_(std::move(keyring)),
      lifecycle_(lifecycle) {}

tl::expected<std::unique_ptr<Daemon>, StartFailure> Daemon::start(config::Settings settings,
                                                                  keys::Keyring keyring,
                                                                  Lifecycle& lifecycle) {
  std::unique_ptr<Daemon> daemon(new Daemon(std::move(settings), std::move(keyring), lifecycle));
  for (const Step& step : steps()) {
    lifecycle.starting(step.name);
    if (auto done = ((*daemon).*step.up)(); !done) {
      const bool generation_step = step.up == &Daemon::open_spool ||
                                   step.up == &Daemon::build_collector ||
                                   step.up == &Daemon::build_uplink;
      StartFailure failure{std::string(step.name), done.error(),
                           generation_step && done.error().code == ErrorCode::kConfig};
      daemon.reset();  // tears down the steps done, in the reverse order
      return tl::unexpected(std::move(failure));
    }
    ++daemon->steps_done_;
  }
  lifecycle.ready();
  return daemon;
}

Daemon::~Daemon() { tear_down(); }

void Daemon::tear_down() {
  if (steps_done_ == 0) return;
  lifecycle_.stopping();
  while (steps_done_ > 0) {
    const Step& step = steps()[--steps_done_];
    if (step.down != nullptr) (this->*step.down)();
  }
  if (announced_) log::get("agent")->info("ferry stopped");
}

bool Daemon::run() {
  auto log = log::get("agent");
  const auto watchdog = lifecycle_.watchdog_interval();
  const auto status_every = lifecycle_.status_interval();
  auto wake = std::chrono::milliseconds(kWakeEvery);
  if (watchdog.count() > 0) wake = std::min(wake, watchdog);
  if (status_every.count() > 0) wake = std::min(wake, status_every);
  if (watchdog.count() > 0) {
    log->info("systemd watchdog on: telling it every {} that the agent's loops answer",
              config::format_duration(watchdog));
  }
  tell_service_manager(watchdog, status_every.count() > 0);
  auto next_trim = std::chrono::steady_clock::now() + kTrimEvery;
  auto next_tell = std::chrono::steady_clock::now() + wake;
  for (;;) {
    const auto signal =
        signals_.wait(std::min<std::chrono::milliseconds>(wake, kStorageCheckEvery));
    if (generations_->current()->spool().storage_failed()) {
      log->error(
          "a read, write or sync of the spool's files under {} failed (the error is logged "
          "above): the agent stops and exits with status 1 so that its service manager starts it "
          "again, which reopens the spool from what the disk holds; nothing the spool "
          "acknowledged is lost. Should it happen again, check the disk (dmesg, smartctl)",
          path_text(settings_.agent.data_dir));
      return false;
    }
    const auto now = std::chrono::steady_clock::now();
    if (signal || now >= next_tell) {
      tell_service_manager(watchdog, status_every.count() > 0);
      next_tell = now + wake;
    }
    if (now >= next_trim) {
      next_trim = now + kTrimEvery;
      trim_audit_log();
    }
    if (!signal) continue;  // the periodic wake-up, or EINTR
    const std::string sender = signal->sender_uid
                                   ? fmt::format(" from uid {} pid {}", *signal->sender_uid,
                                                 signal->sender_pid.value_or(0))
                                   : std::string();
    if (signal->asks == ReceivedSignal::Asks::kStop) {
      log->info("stopping on {}{}", signal->name, sender);
      return true;
    }
    if (signal->asks == ReceivedSignal::Asks::kReload) {
      log->info("reloading {}{}", path_text(config_file_),
                sender.empty() ? std::string() : fmt::format(" ({}{})", signal->name, sender));
      lifecycle_.reloading();
      ReloadRequests::Waiting asked = reloads_->take();
      const ReloadOutcome outcome = generations_->reload(asked.callers(), *signal);
      if (outcome.applied) {
        log->info("{}", outcome.message);
      } else {
        log->error("reload refused: {}", outcome.message);
      }
      asked.answer(outcome);
      lifecycle_.reloaded(outcome.applied, outcome.message);
    }
  }
}

// A loop that does not answer within a quarter of the interval (at most 5 s) counts as stuck:
// the watchdog is then not fed, and systemd restarts the agent once WatchdogSec runs out.
void Daemon::tell_service_manager(std::chrono::milliseconds watchdog, bool send_status) {
  Generation& generation = *generations_->current();
  if (watchdog.count() > 0) {
    const auto within = std::min<std::chrono::milliseconds>(watchdog / 4, std::chrono::seconds(5));
    auto stuck = generation.stuck_loop(within);
    if (!stuck) {
      lifecycle_.alive();
      if (stuck_) log::get("agent")->info("{} answers again: the watchdog is fed again", *stuck_);
    } else if (stuck != stuck_) {
      log::get("agent")->error(
          "{} did not answer within {}: the systemd watchdog is no longer fed, so systemd will "
          "restart the agent unless it recovers",
          *stuck, config::format_duration(within));
    }
    stuck_ = std::move(stuck);
  }
  if (send_status) lifecycle_.status(service_status_line(generation.status_inputs(started_)));
}

std::uint16_t Daemon::metrics_port() const { return metrics_server_ ? metrics_server_->port() : 0; }

void Daemon::trim_audit_log() {
  if (!audit_) return;
  if (auto trimmed = audit_->trim(); !trimmed) {
    log::get("agent")->error("the audit log could not be trimmed: {}", trimmed.error().message);
  }
}

// Threads started after this (the control socket's, the collector's, the uplink's) inherit the
// mask, so that only run() takes the signals.
Result<void> Daemon::block_signals() {
  signals_.block();
  return {};
}

void Daemon::restore_signals() { signals_.restore(); }

Result<void> Daemon::take_lock() {
  auto lock = DataDirLock::acquire(settings_.agent.data_dir);
  if (!lock) return tl::unexpected(lock.error());
  lock_.emplace(std::move(*lock));
  return {};
}

void Daemon::release_lock() { lock_.reset(); }

// Never fails: without the audit log the agent still runs, and says why (open_audit).
Result<void> Daemon::open_audit_log() {
  audit_ = open_audit(settings_);
  return {};
}

void Daemon::close_audit_log() {
  if (announced_) {
    record(audit_.get(), "agent_stopped", {{"pid", static_cast<std::int64_t>(::getpid())}});
  }
  audit_.reset();
}

Result<void> Daemon::open_spool() {
  GenerationOptions options;
  options.on_audit = [audit = audit_.get()](std::string_view event, boost::json::object fields) {
    record(audit, event, std::move(fields));
  };
  options.collector.on_audit = [audit = audit_.get()](std::string_view event,
                                                      const connectors::AuditFields& fields) {
    record(audit, event, audit_object(fields));
  };
  generations_ =
      std::make_unique<Generations>(config_file_, settings_, std::move(options), audit_.get());
  generations_->install(
      std::make_unique<Generation>(settings_, std::move(*keyring_), generations_->options()));
  keyring_.reset();
  return generations_->current()->open_spool();
}

void Daemon::close_generation() {
  generations_->take().reset();
  generations_.reset();
}

Result<void> Daemon::build_collector() { return generations_->current()->build_collector(); }

Result<void> Daemon::build_uplink() {
  if (auto built = generations_->current()->build_uplink(); !built) return built;
  log_built(*generations_->current());
  return {};
}

Result<void> Daemon::open_control_socket() {
  started_ = std::chrono::system_clock::now();
  reloads_ = std::make_unique<ReloadRequests>([this] { signals_.wake_for_reload(); });
  requests_ = std::make_unique<ControlRequests>(*generations_, *reloads_, audit_.get(), started_);
  auto server = control::ControlServer::start(
      settings_.agent.control_socket,
      [requests = requests_.get()](const std::string& line, const control::Peer& caller) {
        return control::dispatch(line, *requests, caller.uid);
      });
  if (!server) return tl::unexpected(server.error());
  control_server_ = std::move(*server);
  return {};
}

void Daemon::close_control_socket() {
  if (control_server_) control_server_->stop();
  control_server_.reset();
  requests_.reset();
  reloads_.reset();
}

// agent.metrics: opened after the control socket, closed before it.
Result<void> Daemon::open_metrics() {
  const config::AgentSettings& agent = settings_.agent;
  if (agent.metrics_host.empty()) return {};
  auto serving = metrics::MetricsServer::start(
      agent.metrics_host, agent.metrics_port,
      [requests = requests_.get()] { return requests->metrics_text(); });
  if (!serving) return tl::unexpected(serving.error());
  metrics_server_ = std::move(*serving);
  log::get("agent")->info("metrics endpoint listening host={} port={} path=/metrics",
                          agent.metrics_host, metrics_server_->port());
  return {};
}

void Daemon::close_metrics() {
  if (metrics_server_) metrics_server_->stop();
  metrics_server_.reset();
}

Result<void> Daemon::start_generation() {
  Generation& g = *generations_->current();
  g.start();
  log::get("agent")->info("ferry {} started config={} spool_id={} key_version={}", FERRY_VERSION,
                          path_text(config_file_), g.spool().spool_id(),
                          g.keyring().active_version());
  record(audit_.get(), "agent_started",
         {{"version", FERRY_VERSION},
          {"pid", static_cast<std::int64_t>(::getpid())},
          {"config", path_text(config_file_)},
          {"config_sha256", config_hash(config_file_)},
          {"spool_id", g.spool().spool_id()},
          {"key_version", g.keyring().active_version()},
          {"uplink", g.settings().uplink.enabled}});
  announced_ = true;
  return {};
}

// Requests that wait (a reload, a sync_wait) are answered first, so that the control socket's
// threads are free to be joined.
void Daemon::stop_generation() {
  requests_->begin_stopping();
  generations_->stop();
}

}  // namespace ferry::app
