// The agent process of `ferry run`: start-up as a list of small named steps, one teardown path,
// and the signal loop.
//
// The steps, in order (each undone in the reverse order by the one teardown path, whether the
// agent stops or a later step failed half-way):
//   block signals -> take the data_dir lock -> open the audit log -> open the spool -> build the
//   collector -> build the uplink -> open the control socket -> open the metrics endpoint ->
//   start collecting and delivering
// The configuration and key file are loaded before (the command prints their problems). A
// Lifecycle hears each step, ready() once all are done, reloads, and stopping(): the seam for
// systemd's sd_notify and the Windows service.
//
// Owns, and destroys in the reverse order: the signal mask, the data_dir lock, the audit log, the
// current Generation (spool, collector, uplink), the control server and the metrics server.
//
// Threads: start(), run() and the destructor on the main thread, which alone takes the agent's
// signals (AgentSignals). The control server and metrics endpoint call in on their own threads.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/app/control_requests.hpp"
#include "agent/app/data_dir_lock.hpp"
#include "agent/app/generations.hpp"
#include "agent/app/lifecycle.hpp"
#include "agent/app/reload_requests.hpp"
#include "agent/app/signals.hpp"
#include "agent/control/control_server.hpp"
#include "agent/metrics/metrics_server.hpp"
#include "common/audit/audit_log.hpp"
#include "common/config/settings.hpp"
#include "common/keys/keyring.hpp"

namespace ferry::app {

// A start-up step failed; everything before it was torn down again.
struct StartFailure {
  std::string step;  // "open the spool"
  Error error;
  // The configuration does not work (exit 2), rather than the world around it (exit 1).
  bool configuration = false;
};

class Daemon {
 public:
  // Runs every start-up step; on a failure, undoes the steps done and says which failed.
  // `lifecycle` must outlive the daemon.
  static tl::expected<std::unique_ptr<Daemon>, StartFailure> start(config::Settings settings,
                                                                   keys::Keyring keyring,
                                                                   Lifecycle& lifecycle);
  // The one teardown path.
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Until SIGINT or SIGTERM: then true. SIGHUP (or a `reload` request) reloads the
  // configuration; the audit log is trimmed to agent.audit.retention once a day. False, within a
  // second, once a read, write or sync of the spool's files has failed (Spool::storage_failed):
  // the caller tears the agent down and exits non-zero, for the service manager to start it again.
  bool run();

  // The metrics endpoint's port (0 when agent.metrics is off): for tests that asked for port 0.
  std::uint16_t metrics_port() const;

 private:
  struct Step {
    std::string_view name;
    Result<void> (Daemon::*up)();
    void (Daemon::*down)();  // null: undone by an earlier step's down
  };
  static const std::vector<Step>& steps();

  Daemon(config::Settings settings, keys::Keyring keyring, Lifecycle& lifecycle);
  void tear_down();

  Result<void> block_signals();
  void restore_signals();
  Result<void> take_lock();
  void release_lock();
  Result<void> open_audit_log();
  void close_audit_log();
  Result<void> open_spool();
  void close_generation();
  Result<void> build_collector();
  Result<void> build_uplink();
  Result<void> open_control_socket();
  void close_control_socket();
  Result<void> open_metrics();
  void close_metrics();
  Result<void> start_generation();
  void stop_generation();

  void trim_audit_log();
  // Feeds the watchdog when every loop answers its probe, and sends the status line.
  void tell_service_manager(std::chrono::milliseconds watchdog, bool send_status);

  const std::filesystem::path config_file_;
  config::Settings settings_;             // as the process started; a reload may not change some
  std::optional<keys::Keyring> keyring_;  // until the first generation takes it
  Lifecycle& lifecycle_;
  std::size_t steps_done_ = 0;
  bool announced_ = false;  // agent_started recorded: agent_stopped is due
  std::chrono::system_clock::time_point started_;
  std::optional<std::string> stuck_;  // the loop last found stuck: said once, until it answers

  AgentSignals signals_;
  std::optional<DataDirLock> lock_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<Generations> generations_;
  std::unique_ptr<ReloadRequests> reloads_;
  std::unique_ptr<ControlRequests> requests_;
  std::unique_ptr<control::ControlServer> control_server_;
  std::unique_ptr<metrics::MetricsServer> metrics_server_;
};

}  // namespace ferry::app
