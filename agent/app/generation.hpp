// One configuration's worth of running agent: the spool, the collector that polls the sources
// into it, and the uplink that delivers it. `ferry run` builds one at start-up and a new one at
// each reload (app::Generations); `ferry sync` builds one for its single pass. Built in three
// named steps (open_spool, build_collector, build_uplink) that the daemon runs as its own
// start-up steps, or all at once with build().
//
// Owns: the settings and keyring it was built from (the collector and uplink refer to them), then
// the spool, the collector and the uplink, destroyed in the reverse order.
//
// Threads: build, start() and stop() from one thread (the daemon's main thread, or the command's).
// The accessors, run_now() and lease() from any thread while it lives. stop() asks every lease's
// holder to stop and waits until each lease is returned, then stops collecting and delivering.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <utility>

#include <boost/json/object.hpp>

#include "agent/app/progress_signal.hpp"
#include "agent/collector/collector.hpp"
#include "agent/pipeline/key_rotation.hpp"
#include "agent/control/status.hpp"
#include "agent/spool/spool.hpp"
#include "agent/uplink/uplink.hpp"
#include "common/config/settings.hpp"
#include "common/keys/keyring.hpp"

namespace ferry::app {

struct GenerationOptions {
  collector::CollectorOptions collector;
  // False: no uplink even with uplink.enabled (`ferry sync --no-upload`).
  bool deliver = true;
  // A tenant command (uplink allow_commands). Unset: "sync_now" starts runs, as the agent does.
  std::function<uplink::CommandResult(const std::string& name, const std::string& source)>
      on_command;
  // An audit event of the uplink's; unset: not recorded.
  std::function<void(std::string_view event, boost::json::object fields)> on_audit;
};

class Generation {
 public:
  Generation(config::Settings settings, keys::Keyring keyring, GenerationOptions options = {});
  ~Generation();
  Generation(const Generation&) = delete;
  Generation& operator=(const Generation&) = delete;

  // The steps, in this order. A spool found damaged is moved aside and a new one started:
  // spool_replaced() then says so. Opening the spool also catches it up with a key rotation
  // (pipeline/key_rotation.hpp): key_catch_up() says what that did.
  Result<void> open_spool();
  Result<void> build_collector();
  // Nothing to build (and uplink() stays null) with uplink.enabled false or deliver false.
  Result<void> build_uplink();
  // The three steps; the error of the first that fails.
  static Result<std::unique_ptr<Generation>> build(config::Settings settings, keys::Keyring keyring,
                                                   GenerationOptions options = {});

  // Starts delivering, then collecting.
  void start();
  // A run in progress rolls back; unacknowledged batches stay in the spool. Idempotent.
  void stop();

  const config::Settings& settings() const { return settings_; }
  const keys::Keyring& keyring() const { return keyring_; }
  spool::Spool& spool() const { return *spool_; }
  collector::Collector& collector() const { return *collector_; }
  uplink::Uplink* uplink() const { return uplink_.get(); }  // null: nothing is delivered
  const spool::OpenReport& spool_report() const { return opened_; }
  const pipeline::KeyCatchUp& key_catch_up() const { return key_catch_up_; }
  // Notified by the uplink's progress.
  ProgressSignal& progress() { return progress_; }

  // Asks for a run of `source` (every source when nullopt) now; the message says which, the error
  // that no source has that name.
  Result<std::string> run_now(const std::optional<std::string>& source);
  // The systemd watchdog's liveness probe: the first of the collector and the uplink whose loop
  // did not answer within `within` ("the collector", "the uplink"); nullopt when all did.
  std::optional<std::string> stuck_loop(std::chrono::milliseconds within) const;
  // What `status` and the metrics show; `started`: when the agent started.
  control::StatusInputs status_inputs(std::chrono::system_clock::time_point started) const;

  // Held by a request that waits on this generation (sync_wait): stop() waits for it to be
  // returned, after requesting stop_token().
  class Lease {
   public:
    Lease(Lease&& other) noexcept : owner_(std::exchange(other.owner_, nullptr)) {}
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    std::stop_token stop_token() const;

   private:
    friend class Generation;
    explicit Lease(Generation* owner) : owner_(owner) {}
    Generation* owner_;
  };
  // Nullopt once stop() has begun.
  std::optional<Lease> lease();
  // Collector::run_once keeps one pending run per source: its callers take turns. False when
  // `stop` or `deadline` came first; otherwise return_once_turn() when done.
  bool take_once_turn(std::stop_token stop, std::chrono::steady_clock::time_point deadline);
  void return_once_turn();

 private:
  config::Settings settings_;
  keys::Keyring keyring_;
  GenerationOptions options_;
  spool::OpenReport opened_;
  pipeline::KeyCatchUp key_catch_up_;
  ProgressSignal progress_;
  std::unique_ptr<spool::Spool> spool_;
  std::unique_ptr<collector::Collector> collector_;
  std::unique_ptr<uplink::Uplink> uplink_;
  bool started_ = false;

  std::mutex leases_mutex_;
  std::condition_variable leases_returned_;
  std::size_t leases_ = 0;  // guarded by leases_mutex_
  std::stop_source stopping_;
  std::mutex once_mutex_;
  std::condition_variable_any once_returned_;
  bool once_taken_ = false;  // guarded by once_mutex_
};

}  // namespace ferry::app
