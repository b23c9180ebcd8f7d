#include "agent/app/generations.hpp"

#include <fmt/format.h>

#include "agent/app/audit_events.hpp"
#include "agent/app/log_options.hpp"
#include "common/config/load.hpp"
#include "common/error/path_text.hpp"
#include "common/log/log.hpp"
#include "connectors/registry/registry.hpp"

namespace ferry::app {

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

Generations::Generations(std::filesystem::path config_file, config::Settings started_with,
                         GenerationOptions options, audit::AuditLog* audit)
    : config_file_(std::move(config_file)),
      started_with_(std::move(started_with)),
      options_(std::move(options)),
      audit_(audit) {}

void Generations::install(std::unique_ptr<Generation> generation) {
  std::unique_lock lock(mutex_);
  current_ = std::move(generation);
}

Result<Generations::Leased> Generations::lease() {
  std::shared_lock lock(mutex_);
  auto lease = current_ ? current_->lease() : std::nullopt;
  if (!lease) return make_error(ErrorCode::kUnavailable, "{}", kNothingRuns);
  return Leased{current_.get(), std::move(*lease)};
}

void Generations::stop() {
  std::shared_lock lock(mutex_);
  if (current_) current_->stop();
}

std::unique_ptr<Generation> Generations::take() {
  std::unique_lock lock(mutex_);
  return std::move(current_);
}

namespace {

// `uid`: who asked over the control socket; `uids` too when several asked at once (one reload
// answers them all). `sighup_uid` and `sighup_pid`: who sent a SIGHUP (systemctl reload is
// systemd, uid 0 pid 1).
void add_askers(boost::json::object& fields, const std::vector<env::UserId>& asked_by,
                const ReceivedSignal& signal) {
  if (signal.sender_uid) fields["sighup_uid"] = *signal.sender_uid;
  if (signal.sender_pid) fields["sighup_pid"] = *signal.sender_pid;
  if (asked_by.empty()) return;
  fields["uid"] = asked_by.front();
  if (asked_by.size() == 1) return;
  boost::json::array uids;
  for (const env::UserId& uid : asked_by) uids.emplace_back(uid);
  fields["uids"] = std::move(uids);
}

}  // namespace

ReloadOutcome Generations::reload(const std::vector<env::UserId>& asked_by,
                                  const ReceivedSignal& signal) {
  const std::string hash = config_hash(config_file_);
  ReloadOutcome outcome = try_reload();
  boost::json::object fields{{"config", path_text(config_file_)}, {"config_sha256", hash}};
  add_askers(fields, asked_by, signal);
  if (outcome.applied) {
    fields["sources"] = outcome.sources;
    fields["key_version"] = outcome.key_version;
    record(audit_, "config_reloaded", std::move(fields));
  } else {
    fields["reason"] = outcome.message;
    record(audit_, "config_reload_refused", std::move(fields));
  }
  return outcome;
}

ReloadOutcome Generations::try_reload() {
  auto loaded = config::load_config(config_file_, connectors::catalog());
  if (!loaded) {
    std::string problems;
    for (const auto& diagnostic : loaded.error()) {
      if (!problems.empty()) problems += "; ";
      problems += diagnostic.to_string();
    }
    return {false, fmt::format("{} is not valid, the running configuration stays: {}",
                               path_text(config_file_), problems)};
  }
  if (auto key = restart_needed(started_with_, *loaded)) {
    return {false, fmt::format("{} changed: restart the service to apply it (nothing was reloaded)",
                               *key)};
  }
  auto keyring = keys::Keyring::load(keys::keyring_path(loaded->agent.data_dir));
  if (!keyring) {
    return {false, fmt::format("the key file cannot be read, the running configuration stays: {}",
                               keyring.error().message)};
  }
  // Only one spool connection may exist: the running generation goes first. Should the new one
  // fail to build (a certificate file gone, say), the previous one is built again from its
  // settings and keys.
  std::unique_lock lock(mutex_);
  std::optional<std::pair<config::Settings, keys::Keyring>> fallback;
  if (current_) {
    current_->stop();
    fallback.emplace(current_->settings(), current_->keyring());
    current_.reset();
  }
  const log::LogOptions logging = log_options(*loaded);
  const auto sources = loaded->sources.size();
  auto next = Generation::build(std::move(*loaded), std::move(*keyring), options_);
  if (!next) {
    const std::string why = next.error().message;
    if (!fallback) return {false, fmt::format("the new configuration cannot start: {}", why)};
    auto again =
        Generation::build(std::move(fallback->first), std::move(fallback->second), options_);
    if (!again) {
      // Nothing works any more: say so loudly; the process stays up for `ferry status`.
      log::get("agent")->critical("the previous configuration cannot be started again: {}",
                                  again.error().message);
      return {false, fmt::format("{}; and the previous configuration could not be restarted: {}",
                                 why, again.error().message)};
    }
    log_built(**again);
    current_ = std::move(*again);
    current_->start();
    return {
        false,
        fmt::format("the new configuration cannot start ({}); the previous one runs again", why)};
  }
  if (auto applied = log::setup(logging, log::current_style()); !applied) {
    log::get("agent")->error("the new log settings cannot be applied: {}", applied.error().message);
  }
  log_built(**next);
  current_ = std::move(*next);
  current_->start();
  return {true,
          fmt::format("configuration reloaded from {} ({} sources, key version {})",
                      path_text(config_file_), sources, current_->keyring().active_version()),
          sources, current_->keyring().active_version()};
}

void log_built(const Generation& generation) {
  auto log = log::get("agent");
  if (const auto& opened = generation.spool_report(); opened.corrupt_moved_to) {
    log->error(
        "the spool was damaged ({}); it was moved to {} and a new spool started: sources are "
        "read again from the beginning",
        opened.corrupt_reason, opened.corrupt_moved_to->string());
  }
  if (!generation.settings().uplink.enabled) {
    log->info("uplink.enabled is false: batches stay in the spool until the uplink is enabled");
  }
}

}  // namespace ferry::app
