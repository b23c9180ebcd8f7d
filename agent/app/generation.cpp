#include "agent/app/generation.hpp"

#include <fmt/format.h>

#include "agent/app/spool_options.hpp"
#include "agent/pipeline/key_rotation.hpp"
#include "agent/pipeline/rekey_request.hpp"
#include "common/log/log.hpp"

namespace ferry::app {

Generation::Generation(config::Settings settings, keys::Keyring keyring, GenerationOptions options)
    : settings_(std::move(settings)), keyring_(std::move(keyring)), options_(std::move(options)) {}

Generation::~Generation() { stop(); }

Result<void> Generation::open_spool() {
  auto spool = spool::Spool::open(spool_options(settings_), opened_);
  if (!spool) return tl::unexpected(spool.error());
  spool_ = std::move(*spool);
  // Before any source is read: a key rotation since the spool last ran is caught up with, so the
  // tenant gets its maps before rows with new tokens (docs/key-rotation.md).
  auto caught_up = pipeline::catch_up_key_rotation(*spool_, keyring_, settings_,
                                                   settings_.agent.data_dir);
  if (!caught_up) {
    return make_error(caught_up.error().code, "key rotation to version {}: {}",
                      keyring_.active_version(), caught_up.error().message);
  }
  key_catch_up_ = std::move(*caught_up);
  return {};
}

Result<void> Generation::build_collector() {
  auto made = collector::Collector::create(settings_, *spool_, keyring_, options_.collector);
  if (!made) return tl::unexpected(made.error());
  collector_ = std::move(*made);
  return {};
}

Result<void> Generation::build_uplink() {
  if (!settings_.uplink.enabled || !options_.deliver) return {};
  uplink::Hooks hooks;
  hooks.on_progress = [this] {
    collector_->spool_progress();
    progress_.notify();
  };
  hooks.on_audit = options_.on_audit;
  hooks.on_command = options_.on_command;
  if (!hooks.on_command) {
    hooks.on_command = [this](const std::string&, const std::string& source) {
      auto started = run_now(source.empty() ? std::nullopt : std::optional<std::string>(source));
      return started ? uplink::CommandResult{true, *started}
                     : uplink::CommandResult{false, started.error().message};
    };
  }
  // On the uplink's worker thread; spool_, keyring_ and settings_ outlive the uplink.
  hooks.on_rekey_request =
      [this](const std::vector<std::string>& tokens) -> Result<uplink::RekeyOutcome> {
    auto answer = pipeline::answer_rekey_request(*spool_, keyring_, settings_, tokens);
    if (!answer) return tl::unexpected(answer.error());
    return uplink::RekeyOutcome{answer->mapped, answer->unknown, answer->current, answer->seq};
  };
  auto made = uplink::Uplink::create(settings_, *spool_, std::move(hooks));
  if (!made) return tl::unexpected(made.error());
  uplink_ = std::move(*made);
  spool_->set_commit_listener([sender = uplink_.get()] { sender->notify(); });
  return {};
}

Result<std::unique_ptr<Generation>> Generation::build(config::Settings settings,
                                                      keys::Keyring keyring,
                                                      GenerationOptions options) {
  auto made =
      std::make_unique<Generation>(std::move(settings), std::move(keyring), std::move(options));
  for (auto step :
       {&Generation::open_spool, &Generation::build_collector, &Generation::build_uplink}) {
    if (auto done = ((*made).*step)(); !done) return tl::unexpected(done.error());
  }
  return made;
}

void Generation::start() {
  if (started_) return;
  started_ = true;
  if (uplink_) uplink_->start();
  collector_->start();
}

void Generation::stop() {
  stopping_.request_stop();
  {
    std::unique_lock lock(leases_mutex_);
    leases_returned_.wait(lock, [&] { return leases_ == 0; });
  }
  if (!started_) return;
  started_ = false;
  collector_->stop();
  if (uplink_) uplink_->stop();
}

Result<std::string> Generation::run_now(const std::optional<std::string>& source) {
  if (!collector_->run_now(source)) {
    return make_error(ErrorCode::kNotFound, "no source named '{}'", source.value_or(""));
  }
  return source ? fmt::format("sync of {} started", *source)
                : std::string("sync of every source started");
}

std::optional<std::string> Generation::stuck_loop(std::chrono::milliseconds within) const {
  if (collector_ && !collector_->answers_within(within)) return "the collector";
  if (uplink_ && !uplink_->answers_within(within)) return "the uplink";
  return std::nullopt;
}

control::StatusInputs Generation::status_inputs(
    std::chrono::system_clock::time_point started) const {
  control::StatusInputs inputs;
  inputs.settings = &settings_;
  inputs.started = started;
  inputs.now = std::chrono::system_clock::now();
  inputs.sources = collector_->sources();
  if (uplink_) inputs.uplink = uplink_->status();
  if (auto stats = spool_->stats()) inputs.spool = *stats;
  inputs.key_version = keyring_.active_version();
  inputs.key_created = keyring_.active().created;
  if (auto pending = spool_->pending_rekey_batches()) inputs.rekey_batches_pending = *pending;
  return inputs;
}

bool Generation::take_once_turn(std::stop_token stop,
                                std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(once_mutex_);
  if (!once_returned_.wait_until(lock, stop, deadline, [&] { return !once_taken_; })) return false;
  once_taken_ = true;
  return true;
}

void Generation::return_once_turn() {
  {
    std::lock_guard lock(once_mutex_);
    once_taken_ = false;
  }
  once_returned_.notify_all();
}

std::optional<Generation::Lease> Generation::lease() {
  std::lock_guard lock(leases_mutex_);
  if (stopping_.stop_requested()) return std::nullopt;
  ++leases_;
  return Lease(this);
}

Generation::Lease::~Lease() {
  if (owner_ == nullptr) return;
  {
    std::lock_guard lock(owner_->leases_mutex_);
    --owner_->leases_;
  }
  owner_->leases_returned_.notify_all();
}

std::stop_token Generation::Lease::stop_token() const { return owner_->stopping_.get_token(); }

}  // namespace ferry::app
