// The long-running agent of `ferry run`: polls each source on its schedule, one run of a source at
// a time, into the spool. (The uplink and the control socket join it in later steps.)
//
// Threads: run() is the collecting loop and owns every source run; stop() may be called from any
// thread (the signal handler's) and makes run() return soon: a run in progress stops at its next
// row, and its open transaction rolls back, so nothing half-done is kept and nothing is lost (the
// next run reads those rows again).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "agent/app/schedule.hpp"
#include "agent/policy/token_factory.hpp"
#include "agent/spool/spool.hpp"
#include "common/config/settings.hpp"
#include "common/keys/keyring.hpp"

namespace ferry::app {

// The spool options the settings give.
spool::Options spool_options(const config::Settings& settings);

// What the agent knows of one source, for logs now and `ferry status` later.
struct SourceState {
  std::string name;
  std::optional<WallClock::time_point> last_run;      // start of the last run
  std::optional<WallClock::time_point> last_success;  // end of the last run that succeeded
  WallClock::time_point next_run{};
  std::uint64_t rows = 0;  // rows read by the last successful run
  std::string last_error;  // "" after a success
  bool paused = false;     // the spool is full (when_full: pause): polling waits for room
  bool running = false;    // a run is in progress
  // Since the agent started (for metrics): runs ended, runs failed, rows read, rows spooled
  // (upserts and deletes), rows of erased subjects not sent, bad rows, batches spooled.
  std::uint64_t runs_total = 0;
  std::uint64_t errors_total = 0;
  std::uint64_t rows_read_total = 0;
  std::uint64_t rows_spooled_total = 0;
  std::uint64_t rows_suppressed_total = 0;
  std::uint64_t bad_rows_total = 0;
  std::uint64_t batches_total = 0;
};

class Agent {
 public:
  // Opens the spool and checks that every source can be built; nothing runs yet.
  static Result<std::unique_ptr<Agent>> create(config::Settings settings,
                                               const keys::Keyring& keyring,
                                               spool::OpenReport& opened);

  // Polls the sources on their schedules until `stop` is requested.
  void run(std::stop_token stop);

  // Asks for a run of every source (or of one) now, as if its time had come. False when no
  // source has that name.
  bool run_now(std::optional<std::string> source = std::nullopt);
  // The uplink removed batches from the spool. Sources paused by a full spool (when_full: pause)
  // run again once it is no more than half full, so that they do not stop at every ack.
  void spool_progress();

  std::vector<SourceState> sources() const;
  spool::Spool& spool() { return *spool_; }

 private:
  struct Slot {
    const config::SourceSettings* settings = nullptr;
    SourceState state;
    bool run_again = false;  // run_now() came while this source was running
  };

  Agent(config::Settings settings, std::unique_ptr<spool::Spool> spool,
        std::unique_ptr<policy::TokenFactory> tokens);
  void run_one(Slot& slot, std::stop_token stop);

  config::Settings settings_;
  std::unique_ptr<spool::Spool> spool_;
  std::unique_ptr<policy::TokenFactory> tokens_;
  mutable std::mutex mutex_;  // guards slots_' states and wake_
  std::condition_variable_any wake_cv_;
  bool wake_ = false;
  std::vector<Slot> slots_;
};

}  // namespace ferry::app
