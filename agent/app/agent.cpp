#include "agent/app/agent.hpp"

#include <algorithm>

#include "agent/pipeline/source_run.hpp"
#include "common/config/duration.hpp"
#include "common/log/log.hpp"
#include "connectors/registry/registry.hpp"

namespace ferry::app {
namespace {

double seconds_between(WallClock::time_point from, WallClock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

}  // namespace

spool::Options spool_options(const config::Settings& settings) {
  spool::Options options;
  options.path = settings.agent.data_dir / "spool.db";
  options.agent_id = settings.agent.id;
  options.tenant_id = settings.agent.tenant;
  options.tenant_public_key = settings.uplink.tenant_public_key;
  options.max_bytes = settings.spool.max_bytes;
  options.when_full = settings.spool.when_full;
  return options;
}

Result<std::unique_ptr<Agent>> Agent::create(config::Settings settings,
                                             const keys::Keyring& keyring,
                                             spool::OpenReport& opened) {
  // Every source must be buildable before anything runs: a bad config never half-starts.
  for (const auto& source : settings.sources) {
    if (auto made = connectors::create_source(source); !made) {
      return make_error(made.error().code, "source '{}': {}", source.name, made.error().message);
    }
  }
  auto spool = spool::Spool::open(spool_options(settings), opened);
  if (!spool) return tl::unexpected(spool.error());
  const auto& key = keyring.active();
  auto tokens = std::make_unique<policy::TokenFactory>(key.secret, key.version);
  return std::unique_ptr<Agent>(
      new Agent(std::move(settings), std::move(*spool), std::move(tokens)));
}

Agent::Agent(config::Settings settings, std::unique_ptr<spool::Spool> spool,
             std::unique_ptr<policy::TokenFactory> tokens)
    : settings_(std::move(settings)), spool_(std::move(spool)), tokens_(std::move(tokens)) {
  const auto now = WallClock::now();
  for (const auto& source : settings_.sources) {
    Slot slot;
    slot.settings = &source;
    slot.state.name = source.name;
    slot.state.next_run = next_run(source.schedule, std::nullopt, now);
    slots_.push_back(std::move(slot));
  }
}

void Agent::run(std::stop_token stop) {
  auto log = log::get("agent");
  log->info("collecting from {} sources", slots_.size());
  for (const auto& slot : slots_) {
    log->info("source scheduled source={} schedule=\"{}\" first_run_in={}", slot.state.name,
              slot.settings->schedule.kind == config::Schedule::Kind::kCron
                  ? slot.settings->schedule.cron
                  : "every " + config::format_duration(slot.settings->schedule.every),
              config::format_duration(std::chrono::duration_cast<config::Duration>(
                  std::max(slot.state.next_run - WallClock::now(), WallClock::duration::zero()))));
  }
  while (!stop.stop_requested()) {
    Slot* due = nullptr;
    {
      std::unique_lock lock(mutex_);
      if (slots_.empty()) {
        wake_cv_.wait(lock, stop, [&] { return false; });
        break;
      }
      const auto earliest = std::min_element(
          slots_.begin(), slots_.end(),
          [](const Slot& a, const Slot& b) { return a.state.next_run < b.state.next_run; });
      const auto when = earliest->state.next_run;
      wake_cv_.wait_until(lock, stop, when, [&] { return wake_; });
      if (stop.stop_requested()) break;
      wake_ = false;
      // Woken early (run_now moved a time) or on time: take whichever source is due now.
      const auto now = WallClock::now();
      for (auto& slot : slots_) {
        if (slot.state.next_run <= now &&
            (due == nullptr || slot.state.next_run < due->state.next_run)) {
          due = &slot;
        }
      }
    }
    if (due != nullptr) run_one(*due, stop);
  }
  log->info("collecting stopped");
}

void Agent::run_one(Slot& slot, std::stop_token stop) {
  auto log = log::get("agent");
  const auto started = WallClock::now();
  {
    std::lock_guard lock(mutex_);
    slot.state.last_run = started;
    slot.state.running = true;
  }
  log->info("run started source={}", slot.state.name);
  std::string error;
  bool failed = false;
  bool paused = false;
  std::uint64_t rows = 0;
  std::uint64_t spooled = 0;
  std::uint64_t suppressed = 0;
  std::uint64_t bad_total = 0;
  std::uint64_t batches = 0;
  auto source = connectors::create_source(*slot.settings);
  if (!source) {
    error = source.error().message;
    failed = true;
  } else {
    pipeline::RunOptions options;
    options.batch = settings_.uplink.batch;
    options.data_dir = settings_.agent.data_dir;
    auto report = pipeline::run_source(*slot.settings, **source, *spool_, *tokens_, options, stop);
    if (!report) {
      error = report.error().message;
      failed = true;
      paused = report.error().code == ErrorCode::kFull;
    } else {
      std::uint64_t upserts = 0;
      std::uint64_t deletes = 0;
      std::uint64_t bad_rows = 0;
      std::uint64_t held = 0;
      for (const auto& stream : report->streams) {
        rows += stream.rows_read;
        upserts += stream.upserts;
        deletes += stream.deletes;
        bad_rows += stream.bad_rows;
        held += stream.held_deletes;
        suppressed += stream.suppressed;
        for (const auto& bad : stream.bad_row_examples) {
          log->warn("bad row source={} stream={} at={} reason=\"{}\"", slot.state.name, stream.name,
                    bad.location, bad.reason);
        }
      }
      spooled = upserts + deletes;
      bad_total = bad_rows;
      batches = report->batches;
      if (report->source_unchanged) {
        log->info("run finished source={} nothing new seconds={:.3f}", slot.state.name,
                  seconds_between(started, WallClock::now()));
      } else {
        log->info(
            "run finished source={} rows_read={} upserts={} deletes={} bad_rows={} batches={} "
            "seconds={:.3f}",
            slot.state.name, rows, upserts, deletes, bad_rows, report->batches,
            seconds_between(started, WallClock::now()));
      }
      if (held > 0) {
        error = fmt::format(
            "{} deletes held by the mass-delete guard; check the export, then run: ferry sync "
            "--source {} --allow-mass-delete",
            held, slot.state.name);
        log->warn("run held source={} held_deletes={}: {}", slot.state.name, held, error);
      }
    }
  }
  if (failed && stop.stop_requested()) {
    log->info("run stopped source={}: rolled back; the next run reads those rows again",
              slot.state.name);
  } else if (failed && paused) {
    log->warn("polling paused source={}: {}", slot.state.name, error);
  } else if (failed) {
    log->error("run failed source={}: {}", slot.state.name, error);
  }
  const auto ended = WallClock::now();
  std::lock_guard lock(mutex_);
  slot.state.running = false;
  slot.state.paused = paused;
  ++slot.state.runs_total;
  slot.state.errors_total += failed && !stop.stop_requested() && !paused ? 1 : 0;
  slot.state.rows_read_total += rows;
  slot.state.rows_spooled_total += spooled;
  slot.state.rows_suppressed_total += suppressed;
  slot.state.bad_rows_total += bad_total;
  slot.state.batches_total += batches;
  slot.state.last_error = error;
  if (error.empty()) {
    slot.state.last_success = ended;
    slot.state.rows = rows;
  }
  slot.state.next_run = next_run(slot.settings->schedule, started, ended);
  if (slot.run_again) {
    slot.run_again = false;
    slot.state.next_run = ended;
  }
}

bool Agent::run_now(std::optional<std::string> source) {
  bool found = false;
  {
    std::lock_guard lock(mutex_);
    const auto now = WallClock::now();
    for (auto& slot : slots_) {
      if (!source || slot.state.name == *source) {
        slot.state.next_run = now;
        // A run in progress may have read past what changed: run once more when it ends.
        if (slot.state.running) slot.run_again = true;
        found = true;
      }
    }
    wake_ = true;
  }
  wake_cv_.notify_all();
  return found || !source;
}

void Agent::spool_progress() {
  {
    std::lock_guard lock(mutex_);
    if (std::none_of(slots_.begin(), slots_.end(), [](const Slot& s) { return s.state.paused; })) {
      return;
    }
  }
  auto stats = spool_->stats();
  if (!stats || stats->bytes > spool_->max_bytes() / 2) return;
  bool any = false;
  {
    std::lock_guard lock(mutex_);
    const auto now = WallClock::now();
    for (auto& slot : slots_) {
      if (slot.state.paused && slot.state.next_run > now) {
        slot.state.next_run = now;
        any = true;
      }
    }
    if (any) wake_ = true;
  }
  if (any) wake_cv_.notify_all();
}

std::vector<SourceState> Agent::sources() const {
  std::lock_guard lock(mutex_);
  std::vector<SourceState> states;
  for (const auto& slot : slots_) states.push_back(slot.state);
  return states;
}

}  // namespace ferry::app
