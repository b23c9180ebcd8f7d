// The collector: polls each source on its schedule into the spool, on a small pool of worker
// threads, so that a slow or blocked source never delays another's schedule.
//
// Each source is built once (SourceRunner) and lives as long as the collector, so a connector may
// keep a connection or an access token between runs. The Scheduler says which source is due; a
// worker takes it, runs it, and hands the outcome back (a failure is retried by its class, see
// backoff.hpp). A source never runs twice at once. The pool has min(sources, max_workers)
// threads: with more sources blocked at once than that, the others wait for a free worker.
//
// The spool is shared by the workers; it serialises its writes on its one connection.
//
// Threads: every public method may be called from any thread. stop() makes runs in progress stop
// at their next row; their open transactions roll back, so nothing half-done is kept and nothing
// is lost (the next run reads those rows again).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "agent/collector/scheduler.hpp"
#include "agent/collector/source_runner.hpp"
#include "agent/collector/source_status.hpp"
#include "agent/policy/token_factory.hpp"
#include "agent/spool/spool.hpp"
#include "common/config/settings.hpp"
#include "common/env/clock.hpp"
#include "common/env/file_system.hpp"
#include "common/keys/keyring.hpp"

namespace ferry::collector {

inline constexpr std::size_t kMaxWorkers = 4;

struct CollectorOptions {
  // False for `ferry sync`: no source runs by its schedule, only through run_once/run_now.
  bool scheduled = true;
  std::size_t max_workers = kMaxWorkers;
  const env::Clock* clock = &env::system_clock();
  // The agent's own files (the scratch folders), and the sources' through their context.
  const env::FileSystem* file_system = &env::real_file_system();
  // Rows read and batches spooled so far by a run of `source` (every few thousand rows), on the
  // worker's thread.
  std::function<void(const std::string& source, std::uint64_t rows, std::uint64_t batches)>
      on_progress;
  // Builds each source; the built-in connectors (connectors::create_source) when empty. Tests
  // give scripted sources here.
  connectors::SourceMaker make_source;
  // An audit event of a source's (SourceContext::audit), with "source" first among its fields;
  // unset: not recorded. Called on the source's worker thread.
  std::function<void(std::string_view event, const connectors::AuditFields& fields)> on_audit;
};

// A run asked for by run_once, and how it ended.
struct OnceResult {
  std::string source;
  RunOutcome outcome;
};

class Collector {
 public:
  // Builds every source of `settings` (a bad one is an error: nothing half-starts); nothing runs
  // until start(). `settings`, `spool` and `keyring` must outlive the collector.
  static Result<std::unique_ptr<Collector>> create(const config::Settings& settings,
                                                   spool::Spool& spool,
                                                   const keys::Keyring& keyring,
                                                   CollectorOptions options = {});
  ~Collector();
  Collector(const Collector&) = delete;
  Collector& operator=(const Collector&) = delete;

  // Starts the workers (idempotent).
  void start();
  // Stops runs in progress and joins the workers.
  void stop();

  // Asks for a run of every source (or of one) now, as if its time had come. False when no
  // source has that name.
  bool run_now(std::optional<std::string> source = std::nullopt);
  // The uplink removed batches from the spool. Sources paused by a full spool (when_full: pause)
  // run again once it is no more than half full, so that they do not stop at every ack.
  void spool_progress();

  // Runs each named source (every source when `names` is empty) once more, with
  // `allow_mass_delete`, and waits until each such run has ended, or `stop`. A run paused by a
  // full spool waits for room while `wait_for_room()` holds, and is otherwise returned paused.
  // Needs start(). The results come in the order of `names` (of the configuration when empty).
  std::vector<OnceResult> run_once(const std::vector<std::string>& names, bool allow_mass_delete,
                                   const std::function<bool()>& wait_for_room,
                                   std::stop_token stop);

  std::vector<SourceStatus> sources() const;

  // Whether the collector's lock could be taken within `within` (the systemd watchdog's liveness
  // probe). The workers hold it only between runs, never while a source is read, so a slow source
  // does not make the collector look stuck; a deadlock does.
  bool answers_within(std::chrono::milliseconds within) const;

 private:
  struct Once {
    bool allow_mass_delete = false;
    bool started = false;  // a run with these options began
    std::optional<RunOutcome> result;
  };
  struct Slot {
    std::unique_ptr<SourceRunner> runner;
    SourceStatus status;
    std::optional<Once> once;
  };

  Collector(const config::Settings& settings, spool::Spool& spool, const keys::Keyring& keyring,
            CollectorOptions options, std::vector<Slot> slots);
  void work(std::stop_token stop);
  void run_slot(std::size_t index, policy::TokenFactory& tokens, std::stop_token stop);
  void record(std::size_t index, const RunOutcome& outcome, WallTime ended);
  void record_activity(const Slot& slot, const RunOutcome& outcome, WallTime ended);

  const config::Settings& settings_;
  spool::Spool& spool_;
  CollectorOptions options_;
  const env::Clock& clock_;
  const keys::Keyring& keyring_;  // each worker derives its own TokenFactory (not thread-safe)

  mutable std::mutex mutex_;  // guards everything below
  std::condition_variable_any cv_;  // workers wait for work; run_once for results
  std::uint64_t wakes_ = 0;         // bumped by whatever may have made a source due
  int once_waiters_ = 0;            // run_once calls waiting
  std::vector<Slot> slots_;
  Scheduler scheduler_;
  std::vector<std::jthread> workers_;
};

}  // namespace ferry::collector
