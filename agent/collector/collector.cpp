#include "agent/collector/collector.hpp"

#include <algorithm>

#include "agent/collector/staleness.hpp"
#include "common/config/duration.hpp"
#include "common/log/log.hpp"

namespace ferry::collector {
namespace {

double seconds_between(WallTime from, WallTime to) {
  return std::chrono::duration<double>(to - from).count();
}

std::string describe(const config::Schedule& schedule) {
  return schedule.kind == config::Schedule::Kind::kCron
             ? schedule.cron
             : "every " + config::format_duration(schedule.every);
}

void log_finished(const std::string& source, const RunOutcome& outcome, WallTime started,
                  WallTime ended) {
  auto log = log::get("agent");
  if (!outcome.report) return;
  const pipeline::RunReport& report = *outcome.report;
  if (report.source_unchanged) {
    log->info("run finished source={} nothing new seconds={:.3f}", source,
              seconds_between(started, ended));
    return;
  }
  std::uint64_t rows = 0, upserts = 0, deletes = 0, bad_rows = 0, bad_values = 0, held = 0;
  for (const auto& stream : report.streams) {
    rows += stream.rows_read;
    upserts += stream.upserts;
    deletes += stream.deletes;
    bad_rows += stream.bad_rows;
    bad_values += stream.bad_values;
    held += stream.held_deletes;
    for (const auto& bad : stream.bad_row_examples) {
      log->warn("bad row source={} stream={} at={} reason=\"{}\"", source, stream.name,
                bad.location, bad.reason);
    }
  }
  log->info(
      "run finished source={} rows_read={} upserts={} deletes={} bad_rows={} bad_values={} "
      "batches={} failed_streams={} seconds={:.3f}",
      source, rows, upserts, deletes, bad_rows, bad_values, report.batches,
      report.failed_streams().size(), seconds_between(started, ended));
  if (held > 0) log->warn("run held source={} held_deletes={}: {}", source, held, outcome.problem);
}

// Changed rows (upserts and deletes) a run spooled.
std::uint64_t rows_spooled(const pipeline::RunReport& report) {
  std::uint64_t spooled = 0;
  for (const auto& stream : report.streams) spooled += stream.upserts + stream.deletes;
  return spooled;
}

// When the spool keeps a run's end: whole seconds, so that what a restart reads back is what
// status said before it.
WallTime whole_seconds(WallTime time) { return std::chrono::floor<std::chrono::seconds>(time); }

}  // namespace

Result<std::unique_ptr<Collector>> Collector::create(const config::Settings& settings,
                                                     spool::Spool& spool,
                                                     const keys::Keyring& keyring,
                                                     CollectorOptions options) {
  std::vector<Slot> slots;
  for (const auto& source : settings.sources) {
    auto context =
        agent_context(source, settings.agent.data_dir, *options.clock, *options.file_system);
    if (!context) return tl::unexpected(context.error());
    if (options.on_audit) {
      context->audit = [on_audit = options.on_audit, name = source.name](
                           std::string_view event, const connectors::AuditFields& fields) {
        connectors::AuditFields named;
        named.reserve(fields.size() + 1);
        named.emplace_back("source", name);
        named.insert(named.end(), fields.begin(), fields.end());
        on_audit(event, named);
      };
    }
    auto runner = SourceRunner::create(source, std::move(*context), options.make_source);
    if (!runner) return tl::unexpected(runner.error());
    Slot slot;
    slot.runner = std::move(*runner);
    slot.status.name = source.name;
    slot.status.type = source.type;
    slot.status.stale_after = source.stale_after;
    // When its data last changed, as recorded before this start (the staleness clock goes on).
    if (auto activity = spool.source_activity(source.name); !activity) {
      log::get("agent")->warn(
          "cannot read when source {} last changed: {}; it counts from its next run", source.name,
          activity.error().message);
    } else if (*activity) {
      apply_activity(**activity, slot.status);
    }
    slots.push_back(std::move(slot));
  }
  return std::unique_ptr<Collector>(
      new Collector(settings, spool, keyring, std::move(options), std::move(slots)));
}

namespace {

std::vector<Scheduler::Entry> entries_of(const config::Settings& settings, bool scheduled) {
  std::vector<Scheduler::Entry> entries;
  for (const auto& source : settings.sources) {
    Scheduler::Entry entry;
    entry.name = source.name;
    entry.schedule = source.schedule;
    entry.scheduled = scheduled;
    entries.push_back(std::move(entry));
  }
  return entries;
}

}  // namespace

Collector::Collector(const config::Settings& settings, spool::Spool& spool,
                     const keys::Keyring& keyring, CollectorOptions options,
                     std::vector<Slot> slots)
    : settings_(settings),
      spool_(spool),
      options_(std::move(options)),
      clock_(*options_.clock),
      keyring_(keyring),
      slots_(std::move(slots)),
      scheduler_(entries_of(settings, options_.scheduled), clock_.now()) {}

Collector::~Collector() { stop(); }

void Collector::start() {
  std::lock_guard lock(mutex_);
  if (!workers_.empty()) return;
  auto log = log::get("agent");
  log->info("collecting from {} sources", slots_.size());
  const auto now = clock_.now();
  for (std::size_t i = 0; i < slots_.size() && options_.scheduled; ++i) {
    const auto& settings = slots_[i].runner->settings();
    log->info("source scheduled source={} schedule=\"{}\" first_run_in={}", settings.name,
              describe(settings.schedule),
              config::format_duration(std::chrono::duration_cast<config::Duration>(std::max(
                  scheduler_.entries()[i].next_run - now, WallTime::duration::zero()))));
  }
  const std::size_t count = std::min(slots_.size(), std::max<std::size_t>(options_.max_workers, 1));
  for (std::size_t i = 0; i < count; ++i) {
    workers_.emplace_back([this](std::stop_token stop) { work(stop); });
  }
}

void Collector::stop() {
  std::vector<std::jthread> workers;
  {
    std::lock_guard lock(mutex_);
    workers.swap(workers_);
  }
  if (workers.empty()) return;
  for (auto& worker : workers) worker.request_stop();
  cv_.notify_all();
  for (auto& worker : workers) worker.join();
  log::get("agent")->info("collecting stopped");
}

void Collector::work(std::stop_token stop) {
  auto tokens = policy::TokenFactory::for_keyring(keyring_);
  std::unique_lock lock(mutex_);
  while (!stop.stop_requested()) {
    if (auto due = scheduler_.take_due(clock_.now())) {
      lock.unlock();
      run_slot(*due, tokens, stop);
      lock.lock();
      continue;
    }
    // Nothing due: wait for the earliest time, or for whatever may make a source due sooner.
    const auto seen = wakes_;
    const auto until = scheduler_.next_due().value_or(clock_.now() + std::chrono::hours(24));
    clock_.wait_until(cv_, lock, stop, until, [&] { return wakes_ != seen; });
  }
}

void Collector::run_slot(std::size_t index, policy::TokenFactory& tokens, std::stop_token stop) {
  auto log = log::get("agent");
  const auto started = clock_.now();
  Slot& slot = slots_[index];
  const std::string& name = slot.status.name;
  pipeline::RunOptions options;
  options.batch = settings_.uplink.batch;
  options.data_dir = settings_.agent.data_dir;
  options.keyring = &keyring_;
  {
    std::lock_guard lock(mutex_);
    slot.status.last_run = started;
    slot.status.running = true;
    if (slot.once) {
      slot.once->started = true;
      options.allow_mass_delete = slot.once->allow_mass_delete;
    }
  }
  if (options_.on_progress) {
    options.on_progress = [this, &name](std::uint64_t rows, std::uint64_t batches) {
      options_.on_progress(name, rows, batches);
    };
  }
  log->info("run started source={}", name);
  const RunOutcome outcome = slot.runner->run(spool_, tokens, options, stop);
  const auto ended = clock_.now();
  switch (outcome.kind) {
    case RunEnd::Kind::kStopped:
      log->info("run stopped source={}: rolled back; the next run reads those rows again", name);
      break;
    case RunEnd::Kind::kPaused:
      log->warn("polling paused source={}: {}", name, outcome.problem);
      break;
    case RunEnd::Kind::kFailed:
      log_finished(name, outcome, started, ended);
      log->error("run failed source={} class={}: {}", name, to_string(outcome.failure),
                 outcome.problem);
      break;
    case RunEnd::Kind::kSucceeded:
      log_finished(name, outcome, started, ended);
      break;
  }
  record_activity(slot, outcome, ended);
  {
    std::lock_guard lock(mutex_);
    record(index, outcome, ended);
    scheduler_.finished(index,
                        RunEnd{outcome.kind, outcome.failure, outcome.disk_full, started, ended});
    const auto& entry = scheduler_.entries()[index];
    if (outcome.kind == RunEnd::Kind::kFailed) {
      log->info("next attempt source={} at={} consecutive_failures={}", name,
                keys::format_rfc3339(entry.next_run), entry.failures);
    }
    if (slot.once && slot.once->started &&
        (outcome.kind != RunEnd::Kind::kPaused || stop.stop_requested())) {
      slot.once->result = outcome;
    }
    ++wakes_;
  }
  cv_.notify_all();
}

// Outside mutex_ (a spool write may wait for the disk): keeps what staleness needs across
// restarts, when the run changed it. Only this slot's worker writes its first_success.
void Collector::record_activity(const Slot& slot, const RunOutcome& outcome, WallTime ended) {
  if (!outcome.report) return;
  spool::SourceRunEnd run;
  run.ended_unix =
      std::chrono::duration_cast<std::chrono::seconds>(whole_seconds(ended).time_since_epoch())
          .count();
  run.rows_spooled = rows_spooled(*outcome.report);
  run.succeeded = outcome.problem.empty();
  bool first_success = false;
  {
    std::lock_guard lock(mutex_);
    first_success = run.succeeded && !slot.status.first_success;
  }
  if (run.rows_spooled == 0 && !first_success) return;
  if (auto recorded = spool_.record_source_run(slot.status.name, run); !recorded) {
    log::get("agent")->warn(
        "cannot record when source {} last changed: {}; ferry status shows it until the agent "
        "restarts",
        slot.status.name, recorded.error().message);
  }
}

// Under mutex_: the status of slot `index` after a run.
void Collector::record(std::size_t index, const RunOutcome& outcome, WallTime ended) {
  SourceStatus& status = slots_[index].status;
  status.running = false;
  status.paused = outcome.kind == RunEnd::Kind::kPaused;
  status.disk_full = status.paused && outcome.disk_full;
  ++status.runs_total;
  if (outcome.kind == RunEnd::Kind::kFailed) ++status.errors_total;
  status.failure = outcome.failure;
  if (outcome.kind != RunEnd::Kind::kStopped) status.last_error = outcome.problem;
  if (!outcome.report) return;
  const pipeline::RunReport& report = *outcome.report;
  std::uint64_t rows = 0, spooled = 0;
  for (const auto& stream : report.streams) {
    rows += stream.rows_read;
    spooled += stream.upserts + stream.deletes;
    status.rows_suppressed_total += stream.suppressed;
    status.bad_rows_total += stream.bad_rows;
    status.bad_values_total += stream.bad_values;
    auto known = std::find_if(status.streams.begin(), status.streams.end(),
                              [&](const StreamStatus& s) { return s.name == stream.name; });
    if (known == status.streams.end()) {
      known = status.streams.insert(status.streams.end(), StreamStatus{});
      known->name = stream.name;
    }
    known->rows_last_run = stream.rows_read;
    known->bad_rows = stream.bad_rows;
    known->bad_values = stream.bad_values;
    if (stream.error) {
      known->last_error = stream.error->message;
    } else {
      known->last_error.clear();
      known->last_success = ended;
    }
  }
  status.rows_read_total += rows;
  status.rows_spooled_total += spooled;
  status.batches_total += report.batches;
  if (spooled > 0) {
    status.last_change = whole_seconds(ended);
    status.rows_last_change = spooled;
  }
  if (outcome.problem.empty()) {
    status.last_success = ended;
    status.rows = rows;
    if (!status.first_success) status.first_success = whole_seconds(ended);
  }
}

bool Collector::run_now(std::optional<std::string> source) {
  bool found = false;
  {
    std::lock_guard lock(mutex_);
    found = scheduler_.run_now(source, clock_.now());
    ++wakes_;
  }
  cv_.notify_all();
  return found;
}

void Collector::spool_progress() {
  {
    // Called on every ack: wake nobody unless a source waits for room or run_once waits.
    std::lock_guard lock(mutex_);
    if (!scheduler_.any_paused()) {
      if (once_waiters_ == 0) return;
      ++wakes_;  // run_once re-checks wait_for_room
      cv_.notify_all();
      return;
    }
  }
  auto stats = spool_.stats();
  const bool room = stats && stats->bytes <= spool_.max_bytes() / 2;
  {
    std::lock_guard lock(mutex_);
    if (room) scheduler_.resume_paused(clock_.now());
    ++wakes_;
  }
  cv_.notify_all();
}

std::vector<OnceResult> Collector::run_once(const std::vector<std::string>& names,
                                            bool allow_mass_delete,
                                            const std::function<bool()>& wait_for_room,
                                            std::stop_token stop) {
  std::vector<std::size_t> wanted;
  std::unique_lock lock(mutex_);
  ++once_waiters_;
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (names.empty()) wanted.push_back(i);
  }
  for (const auto& name : names) {
    if (auto found = scheduler_.find(name)) wanted.push_back(*found);
  }
  for (std::size_t index : wanted) {
    slots_[index].once = Once{allow_mass_delete, false, std::nullopt};
    scheduler_.run_now(slots_[index].status.name, clock_.now());
  }
  ++wakes_;
  cv_.notify_all();
  auto all_done = [&] {
    for (std::size_t index : wanted) {
      Slot& slot = slots_[index];
      if (slot.once->result) continue;
      // Paused by a full spool that will not drain: that is its result.
      if (slot.status.paused && !slot.status.running && slot.once->started) {
        lock.unlock();
        const bool wait = wait_for_room && wait_for_room();
        lock.lock();
        if (!wait && !slot.once->result) {
          RunOutcome paused;
          paused.kind = RunEnd::Kind::kPaused;
          paused.problem = slot.status.last_error;
          slot.once->result = paused;
        }
        if (!slot.once->result) return false;
        continue;
      }
      return false;
    }
    return true;
  };
  while (!all_done() && !stop.stop_requested()) {
    const auto seen = wakes_;
    cv_.wait(lock, stop, [&] { return wakes_ != seen; });
  }
  --once_waiters_;
  std::vector<OnceResult> results;
  for (std::size_t index : wanted) {
    Slot& slot = slots_[index];
    OnceResult result{slot.status.name, {}};
    if (slot.once->result) {
      result.outcome = std::move(*slot.once->result);
    } else {
      result.outcome.kind = RunEnd::Kind::kStopped;
      result.outcome.problem = "stopped before this source's run ended";
    }
    slot.once.reset();
    results.push_back(std::move(result));
  }
  return results;
}

bool Collector::answers_within(std::chrono::milliseconds within) const {
  // std::mutex has no timed lock, and the lock is never held for long: a few tries suffice.
  const auto deadline = std::chrono::steady_clock::now() + within;
  for (;;) {
    if (mutex_.try_lock()) {
      mutex_.unlock();
      return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::vector<SourceStatus> Collector::sources() const {
  std::lock_guard lock(mutex_);
  std::vector<SourceStatus> states;
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    // When it runs next, and why, is the scheduler's: read here, never copied.
    const Scheduler::Entry& entry = scheduler_.entries()[i];
    SourceStatus& status = states.emplace_back(slots_[i].status);
    status.next_run = entry.next_run;
    status.retrying = entry.retrying;
    status.consecutive_failures = entry.failures;
  }
  return states;
}

}  // namespace ferry::collector
