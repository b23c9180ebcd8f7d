#include "agent/pipeline/source_run.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>

#include "agent/pipeline/rekey_maps.hpp"
#include "agent/pipeline/resume_state.hpp"
#include "agent/pipeline/stream_policy.hpp"
#include "agent/policy/compiled_policy.hpp"
#include "agent/policy/json_escape.hpp"
#include "common/crypto/sha256.hpp"
#include "common/frame/frame.hpp"
#include "common/frame/row_key.hpp"
#include "common/log/log.hpp"
#include "connectors/registry/registry.hpp"

namespace ferry::pipeline {
namespace {

using Digest = std::array<std::uint8_t, 16>;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kBadRowExamples = 10;
constexpr std::size_t kSeenFlush = 10000;
constexpr std::uint64_t kProgressEvery = 8191;  // on_progress every 8192 rows (a mask)
constexpr std::size_t kDeletePage = 10000;
// zstd level 1: a batch is mostly random-looking tokens, which no level compresses; on a 10,000-row
// OneRoster batch level 1 is three times faster than the default 3, and compresses slightly better.
constexpr int kBatchZstdLevel = 1;

// Implements the sink the connector writes into.
class SourceRun final : public connectors::RowSink {
 public:
  // `legacy` (a Sha256) when the stored digests may still be those of the rows as sent, from
  // before digests were keyed; `previous` when the run maps hash tokens after a rotation.
  SourceRun(const config::SourceSettings& settings, spool::Spool& spool,
            policy::TokenFactory& tokens, const RunOptions& options,
            const policy::Suppression& suppression, std::uint64_t erasures,
            std::optional<crypto::Sha256> legacy, policy::TokenFactory* previous,
            connectors::ResumeState resume, std::stop_token stop)
      : stop_(std::move(stop)),
        resume_(std::move(resume)),
        legacy_(std::move(legacy)),
        previous_(previous),
        suppression_(suppression),
        erasures_(erasures),
        settings_(settings),
        spool_(spool),
        tokens_(tokens),
        options_(options),
        streams_(connectors::effective_streams(settings)),
        log_(log::get("pipeline")) {
    report_.source = settings.name;
  }

  Result<bool> begin_stream(const connectors::StreamInfo& info,
                            connectors::StreamMode mode) override {
    current_or_new(info.name);
    stream_name_ = info.name;
    mode_ = mode;
    policy_.reset();
    auto compiled = compile_stream_policy(streams_, info, tokens_, &suppression_, previous_,
                                          previous_ != nullptr ? &maps_ : nullptr);
    if (!compiled) {
      fail_current(std::move(compiled.error()));
      return false;
    }
    if (!*compiled) {
      current().skipped = true;
      log_->info("stream skipped: no field policy source={} stream={}", settings_.name, info.name);
      return true;
    }
    policy_.emplace(std::move(**compiled));
    current().dropped_columns = policy_->dropped_columns();
    if (mode == connectors::StreamMode::kSnapshot) {
      auto run = spool_.next_run();
      if (!run) return tl::unexpected(run.error());
      run_ = *run;
    } else {
      run_ = 0;
    }
    // A stream with nothing stored (every first sync) has nothing to compare with: each row is
    // new, and the per-row lookup is skipped. A key repeated within this run is sent twice, the
    // later row last, as it would be when the lookup found the earlier one's digest.
    auto stored = spool_.has_keys(settings_.name, info.name);
    if (!stored) return tl::unexpected(stored.error());
    compare_ = *stored;
    return true;
  }

  Result<void> row(connectors::RowView values, connectors::RowOp op) override {
    // Checked on every row (one atomic load): a stop request ends the run within a row, and the
    // uncommitted batch is simply not written.
    if (stop_.stop_requested()) {
      return make_error(ErrorCode::kUnavailable, "source '{}': run stopped on request",
                        settings_.name);
    }
    StreamReport& stream = current();
    ++stream.rows_read;
    if ((++rows_total_ & kProgressEvery) == 0 && options_.on_progress) {
      options_.on_progress(rows_total_, report_.batches);
    }
    if (!policy_) return {};
    line_.clear();
    if (auto applied = policy_->apply(values, op, line_); !applied) return applied;
    if (policy_->suppressed()) {
      // An erased subject: not sent, not remembered (a snapshot key not seen gets no delete,
      // as its change-detection entry went with the erasure).
      ++stream.suppressed;
      return {};
    }
    const std::string_view key = policy_->last_key(line_);
    if (op == connectors::RowOp::kDelete) {
      ++stream.deletes;
      pending_digests_.push_back({stream_name_, std::string(key), std::nullopt});
      return append_line();
    }
    // The row as read, keyed (CompiledPolicy::digest): what the tenant was last sent for this key,
    // whatever key version its tokens were made with.
    auto keyed = policy_->digest();
    if (!keyed) return tl::unexpected(keyed.error());
    const Digest digest = *keyed;
    std::optional<Digest> stored;
    if (compare_) {
      auto found = spool_.digest(settings_.name, stream_name_, key);
      if (!found) return tl::unexpected(found.error());
      stored = *found;
    }
    if (stored && *stored != digest && legacy_ && *stored == legacy_digest()) {
      // Sent before digests were keyed, and unchanged since: the keyed digest replaces the old
      // one, and nothing is sent.
      ++stream.unchanged;
      pending_digests_.push_back({stream_name_, std::string(key), digest});
      if (pending_digests_.size() >= kSeenFlush) return flush(std::nullopt);
      return {};
    }
    if (stored == digest) {
      ++stream.unchanged;
      if (mode_ == connectors::StreamMode::kSnapshot) {
        seen_.emplace_back(key);
        if (seen_.size() >= kSeenFlush) return flush_seen();
      }
      return {};
    }
    ++stream.upserts;
    pending_digests_.push_back({stream_name_, std::string(key), digest});
    return append_line();
  }

  void bad_row(const connectors::BadRow& bad) override {
    StreamReport& stream = current_or_new(bad.stream);
    ++stream.bad_rows;
    if (stream.bad_row_examples.size() < kBadRowExamples) {
      stream.bad_row_examples.push_back(bad);
      log_->warn("bad row skipped source={} location={} reason={}", settings_.name, bad.location,
                 bad.reason);
    }
  }

  Result<void> end_stream(std::string_view state) override {
    if (!policy_) return {};
    note_bad_values();
    // Everything seen must be stored before the keys not seen can be told apart.
    if (auto flushed = flush_seen(); !flushed) return flushed;
    if (auto flushed = flush(std::nullopt); !flushed) return flushed;
    if (auto merged = spool_.merge_digests(settings_.name); !merged) return merged;
    if (mode_ == connectors::StreamMode::kSnapshot) {
      if (auto deleted = emit_deletes(); !deleted) return deleted;
    }
    // Held deletes keep the stream's old state, so that the next run looks again.
    if (current().held_deletes > 0) return flush(std::nullopt);
    return flush(stream_state(state));
  }

  Result<void> checkpoint(std::string_view state) override {
    if (!policy_) return {};
    return flush(stream_state(state));
  }

  void stream_failed(std::string_view stream, const Error& error) override {
    if (report_.streams.empty() || report_.streams.back().name != stream ||
        report_.streams.back().error) {
      report_.streams.emplace_back().name = std::string(stream);
    }
    fail_current(error);
  }

  // The end of the read: `state` is the source-wide state read() returned. It is kept only when
  // every stream got through.
  Result<void> finish(const std::string& state) {
    if (auto flushed = flush_seen(); !flushed) return flushed;
    std::optional<std::string> commit_state;
    if (!report_.held && report_.failed_streams().empty() && state != resume_.source) {
      resume_.source = state;
      commit_state = pipeline::encode_resume_state(resume_);
    }
    if (auto flushed = flush(std::move(commit_state)); !flushed) return flushed;
    return spool_.merge_digests(settings_.name);
  }

  RunReport& report() { return report_; }
  // Every stream got through: what the run owed key rotations is paid.
  bool complete() const { return !report_.held && report_.failed_streams().empty(); }

 private:
  // The first 16 bytes of the SHA-256 of the line as sent: the digests stored before they were
  // keyed. Only while a source still has them (SourceKeyState::legacy_digests).
  Digest legacy_digest() {
    Digest digest{};
    auto hashed = legacy_->digest(crypto::as_bytes(line_));
    if (hashed) std::memcpy(digest.data(), hashed->data(), digest.size());
    return digest;
  }

  StreamReport& current() { return report_.streams.back(); }

  // Copies the policy's bad values into the report, and logs them per field (counts only) when
  // they are new to it.
  void note_bad_values() {
    StreamReport& stream = current();
    if (!policy_ || stream.name != stream_name_ ||
        policy_->bad_value_count() == stream.bad_values) {
      return;
    }
    stream.bad_values = policy_->bad_value_count();
    stream.bad_value_fields = policy_->bad_values();
    for (const auto& field : stream.bad_value_fields) {
      if (field.unparsable > 0) {
        log_->warn(
            "bad values written as null source={} stream={} field={} count={}: not a value its "
            "generalize can read (for dates: ISO 8601, or set date_format)",
            settings_.name, stream.name, field.field, field.unparsable);
      }
      if (field.invalid_utf8 > 0) {
        log_->warn(
            "bad values repaired source={} stream={} field={} count={}: text that is not valid "
            "UTF-8; its bad bytes were sent as U+FFFD (export as UTF-8 to keep them)",
            settings_.name, stream.name, field.field, field.invalid_utf8);
      }
    }
  }

  // The current stream failed: what it has not committed goes, its state stays.
  void fail_current(Error error) {
    note_bad_values();
    StreamReport& stream = current();
    log_->warn("stream failed source={} stream={} error={}: {}", settings_.name, stream.name,
               to_string(error.code), error.message);
    stream.error = std::move(error);
    policy_.reset();
    batch_text_.clear();
    batch_rows_ = 0;
    pending_digests_.clear();
    seen_.clear();
  }

  // The resume state to commit with the current stream at `state`.
  std::string stream_state(std::string_view state) {
    if (state.empty()) {
      resume_.streams.erase(stream_name_);
    } else {
      resume_.streams.insert_or_assign(stream_name_, std::string(state));
    }
    return pipeline::encode_resume_state(resume_);
  }

  StreamReport& current_or_new(const std::string& name) {
    if (report_.streams.empty() || report_.streams.back().name != name) {
      report_.streams.emplace_back().name = name;
    }
    return report_.streams.back();
  }

  Result<void> append_line() {
    if (batch_rows_ == 0) batch_started_ = Clock::now();
    batch_text_.append(line_);
    batch_text_.push_back('\n');
    ++batch_rows_;
    if (batch_rows_ >= options_.batch.max_rows || batch_text_.size() >= options_.batch.max_bytes ||
        Clock::now() - batch_started_ >= options_.batch.max_delay) {
      return flush(std::nullopt);
    }
    return {};
  }

  Result<void> flush_seen() {
    if (seen_.empty()) return {};
    auto marked = spool_.mark_seen(settings_.name, stream_name_, seen_, run_);
    seen_.clear();
    return marked;
  }

  // Commits the open batch (if any) with its digests, and `state` when given.
  Result<void> flush(std::optional<std::string> state) {
    spool::Commit commit;
    commit.source = settings_.name;
    commit.run = run_;
    commit.state = std::move(state);
    commit.erasures = erasures_;
    if (maps_.has_pending()) {
      // Maps first: the tenant applies them before the rows carrying the new tokens.
      MapBatches maps(tokens_.version());
      for (const policy::TokenMap& map : maps_.take()) maps.add(map);
      auto batches = maps.take(/*last=*/true);
      if (!batches) return tl::unexpected(batches.error());
      for (spool::NewBatch& batch : *batches) commit.batches.push_back(std::move(batch));
    }
    if (batch_rows_ > 0) {
      auto compressed = frame::zstd_compress(batch_text_, kBatchZstdLevel);
      if (!compressed) return tl::unexpected(compressed.error());
      spool::NewBatch batch;
      batch.stream = stream_name_;
      batch.rows = batch_rows_;
      batch.key_version = tokens_.version();
      batch.compressed = std::move(*compressed);
      commit.batches.push_back(std::move(batch));
    }
    commit.digests = std::move(pending_digests_);
    pending_digests_.clear();
    if (commit.batches.empty() && commit.digests.empty() && !commit.state) return {};
    auto seqs = spool_.commit(commit);
    if (!seqs) return tl::unexpected(seqs.error());
    report_.batches += seqs->size();
    if (!seqs->empty() && options_.on_progress) options_.on_progress(rows_total_, report_.batches);
    batch_text_.clear();
    batch_rows_ = 0;
    return {};
  }

  // Keys stored for this stream that this run did not see: deletes, unless too many.
  Result<void> emit_deletes() {
    auto total = spool_.count_keys(settings_.name, stream_name_);
    if (!total) return tl::unexpected(total.error());
    std::uint64_t vanished = 0;
    for (std::string after;;) {
      auto page = spool_.keys_not_seen(settings_.name, stream_name_, run_, after, kDeletePage);
      if (!page) return tl::unexpected(page.error());
      if (page->empty()) break;
      vanished += page->size();
      after = page->back();
    }
    if (vanished == 0) return {};
    if (current().bad_rows > 0) {
      current().postponed_deletes = vanished;
      log_->warn(
          "deletes postponed: the stream had bad rows source={} stream={} vanished={} bad_rows={} "
          "(fix the export; deletes are sent by the first run without bad rows)",
          settings_.name, stream_name_, vanished, current().bad_rows);
      return {};
    }
    if (!options_.allow_mass_delete &&
        vanished * 100 > *total * static_cast<std::uint64_t>(settings_.mass_delete_percent)) {
      current().held_deletes = vanished;
      report_.held = true;
      log_->warn(
          "deletes held: too many rows vanished source={} stream={} vanished={} of={} limit={}% "
          "(check the export; if it is right, run ferry sync --source {} --allow-mass-delete)",
          settings_.name, stream_name_, vanished, *total, settings_.mass_delete_percent,
          settings_.name);
      return {};
    }
    // {"_op":"delete","id":<key>}, or {"_op":"delete",<key>} for a composite key, whose stored
    // form names its columns (common/frame/row_key.hpp). Each stored key by its own form: one
    // stored before the stream's key changed shape is deleted as it was sent.
    std::string single_prefix = "{\"_op\":\"delete\",";
    policy::append_json_string(single_prefix, policy_->key_name());
    single_prefix.push_back(':');
    for (;;) {
      // Always from the start: the keys of each committed and merged page are gone from the
      // table.
      auto page = spool_.keys_not_seen(settings_.name, stream_name_, run_, "", kDeletePage);
      if (!page) return tl::unexpected(page.error());
      if (page->empty()) break;
      for (const std::string& key : *page) {
        line_ =
            frame::composite_key_parts(key) ? std::string(R"({"_op":"delete",)") : single_prefix;
        line_.append(key);
        line_.push_back('}');
        ++current().deletes;
        pending_digests_.push_back({stream_name_, key, std::nullopt});
        if (auto appended = append_line(); !appended) return appended;
      }
      if (auto flushed = flush(std::nullopt); !flushed) return flushed;
      if (auto merged = spool_.merge_digests(settings_.name); !merged) return merged;
    }
    return {};
  }

  std::stop_token stop_;
  connectors::ResumeState resume_;  // as committed so far
  std::optional<crypto::Sha256> legacy_;
  policy::TokenFactory* previous_;
  policy::TokenMaps maps_;
  std::uint64_t rows_total_ = 0;  // rows read in every stream, for on_progress
  const policy::Suppression& suppression_;
  std::uint64_t erasures_;
  const config::SourceSettings& settings_;
  spool::Spool& spool_;
  policy::TokenFactory& tokens_;
  const RunOptions& options_;
  std::vector<config::StreamSettings> streams_;
  std::shared_ptr<spdlog::logger> log_;

  RunReport report_;
  std::string stream_name_;
  connectors::StreamMode mode_ = connectors::StreamMode::kSnapshot;
  std::optional<policy::CompiledPolicy> policy_;
  std::int64_t run_ = 0;
  bool compare_ = true;  // the stream has stored digests to compare rows with

  std::string line_;
  std::string batch_text_;
  std::uint64_t batch_rows_ = 0;
  Clock::time_point batch_started_;
  std::vector<spool::DigestUpdate> pending_digests_;
  std::vector<std::string> seen_;
};

}  // namespace

std::vector<const StreamReport*> RunReport::failed_streams() const {
  std::vector<const StreamReport*> failed;
  for (const auto& stream : streams) {
    if (stream.error) failed.push_back(&stream);
  }
  return failed;
}

namespace {

Result<RunReport> run_once(const config::SourceSettings& settings, connectors::Source& source,
                           spool::Spool& spool, policy::TokenFactory& tokens,
                           const RunOptions& options, std::stop_token stop) {
  // The erasure count first, then the list: an erasure between the two makes this run's commits
  // fail (kConflict) rather than spool rows the new list would suppress.
  auto erasures = spool.erasures();
  if (!erasures) return tl::unexpected(erasures.error());
  policy::Suppression suppression;
  if (!options.data_dir.empty()) {
    auto loaded = policy::Suppression::load(options.data_dir);
    if (!loaded) return tl::unexpected(loaded.error());
    suppression = std::move(*loaded);
  }
  // A run cut short leaves the digests of what it spooled in the journal: merged first, so that
  // those rows are recognised as sent.
  if (auto merged = spool.merge_digests(settings.name); !merged) {
    return tl::unexpected(merged.error());
  }
  auto owed = spool.source_key_state(settings.name);
  if (!owed) return tl::unexpected(owed.error());
  auto previous = spool.source_state(settings.name);
  if (!previous) return tl::unexpected(previous.error());
  // A run that owes hash maps reads everything, as if for the first time: an unchanged row is
  // still recognised (its digest is the same under every key) and not sent, but its hash tokens
  // are mapped.
  const connectors::ResumeState resume =
      owed->hash_maps_from != 0 ? connectors::ResumeState{} : decode_resume_state(*previous);
  std::optional<crypto::Sha256> legacy;
  if (owed->legacy_digests) {
    auto sha256 = crypto::Sha256::create();
    if (!sha256) return tl::unexpected(sha256.error());
    legacy.emplace(std::move(*sha256));
  }
  std::optional<policy::TokenFactory> before_rotation;
  if (owed->hash_maps_from != 0 && options.keyring != nullptr &&
      options.keyring->find(owed->hash_maps_from) != nullptr &&
      owed->hash_maps_from != tokens.version()) {
    before_rotation.emplace(
        policy::TokenFactory::for_keyring(*options.keyring, owed->hash_maps_from));
  }
  SourceRun run(settings, spool, tokens, options, suppression, *erasures, std::move(legacy),
                before_rotation ? &*before_rotation : nullptr, resume, stop);
  auto state = source.read(resume, run, stop);
  if (!state) return tl::unexpected(state.error());
  if (*state == resume.source && run.report().streams.empty()) {
    // Nothing read: what the source owes a rotation stays owed, but an unchanged source has
    // nothing new to map either (its tokens were mapped when it last changed... or never sent).
    run.report().source_unchanged = true;
    return std::move(run.report());
  }
  if (auto finished = run.finish(*state); !finished) return tl::unexpected(finished.error());
  if (run.complete() && (owed->legacy_digests || owed->hash_maps_from != 0)) {
    if (auto cleared = spool.clear_source_key_state(settings.name); !cleared) {
      return tl::unexpected(cleared.error());
    }
  }
  return std::move(run.report());
}

}  // namespace

Result<RunReport> run_source(const config::SourceSettings& settings, connectors::Source& source,
                             spool::Spool& spool, policy::TokenFactory& tokens,
                             const RunOptions& options, std::stop_token stop) {
  constexpr int kAttempts = 3;
  for (int attempt = 1;; ++attempt) {
    auto report = run_once(settings, source, spool, tokens, options, stop);
    if (report || report.error().code != ErrorCode::kConflict || attempt == kAttempts) {
      return report;
    }
    log::get("pipeline")
        ->info("run restarted source={}: a subject was erased meanwhile", settings.name);
  }
}

}  // namespace ferry::pipeline
