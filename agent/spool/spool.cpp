#include "agent/spool/spool.hpp"

#include "common/env/test_hooks.hpp"

namespace ferry::spool {

Spool::Spool(Options options, sqlite::Database db, std::string spool_id)
    : options_(std::move(options)),
      db_(std::move(db)),
      spool_id_(std::move(spool_id)),
      batches_(db_, options_, spool_id_),
      changes_(db_, options_.merge_fan_in),
      states_(db_),
      eraser_(db_, batches_, changes_, states_),
      keys_(db_) {}

Result<std::unique_ptr<Spool>> Spool::open(const Options& options, OpenReport& report) {
  auto opened = schema::open(options, report);
  if (!opened) return tl::unexpected(opened.error());
  return std::unique_ptr<Spool>(
      new Spool(options, std::move(opened->db), std::move(opened->spool_id)));
}

Result<std::vector<std::uint64_t>> Spool::commit(const Commit& commit) {
  std::lock_guard lock(mutex_);
  auto txn = sqlite::Transaction::begin(db_);
  if (!txn) return tl::unexpected(txn.error());
  if (commit.erasures) {
    if (auto current = eraser_.check_current(*commit.erasures, commit.source); !current) {
      return tl::unexpected(current.error());
    }
  }
  std::vector<std::uint64_t> seqs;
  if (!commit.batches.empty()) {
    if (auto room = batches_.make_room_for(commit.batches); !room) {
      return tl::unexpected(room.error());
    }
    auto inserted = batches_.insert(commit.batches, commit.source);
    if (!inserted) return tl::unexpected(inserted.error());
    seqs = std::move(*inserted);
  }
  if (!commit.digests.empty()) {
    if (auto appended = changes_.append(commit.source, commit.run, commit.digests); !appended) {
      return tl::unexpected(appended.error());
    }
  }
  if (commit.state) {
    if (auto put = states_.put(commit.source, *commit.state); !put) {
      return tl::unexpected(put.error());
    }
  }
  env::test_hooks::crash_point("spool-after-insert");
  if (auto committed = txn->commit(); !committed) return tl::unexpected(committed.error());
  env::test_hooks::crash_point("spool-after-commit");
  if (!seqs.empty() && on_commit_) on_commit_();
  return seqs;
}

Result<std::uint32_t> Spool::keys_version() {
  std::lock_guard lock(mutex_);
  return keys_.keys_version();
}

Result<void> Spool::set_keys_version(std::uint32_t version) {
  std::lock_guard lock(mutex_);
  return keys_.set_keys_version(version);
}

Result<std::vector<ChangeStore::StoredStream>> Spool::stored_streams() {
  std::lock_guard lock(mutex_);
  auto txn = sqlite::Transaction::begin(db_);
  if (!txn) return tl::unexpected(txn.error());
  auto streams = changes_.stored_streams();
  if (!streams) return streams;
  if (auto committed = txn->commit(); !committed) return tl::unexpected(committed.error());
  return streams;
}

Result<KeyRotationReport> Spool::rotate_keys(const KeyRotation& rotation) {
  std::lock_guard lock(mutex_);
  auto txn = sqlite::Transaction::begin(db_);
  if (!txn) return tl::unexpected(txn.error());
  KeyRotationReport report;
  const auto spool_batches = [&](bool last) -> Result<void> {
    auto batches = rotation.take_batches(last);
    if (!batches) return tl::unexpected(batches.error());
    if (batches->empty()) return {};
    auto seqs = batches_.insert(*batches, "");
    if (!seqs) return tl::unexpected(seqs.error());
    if (report.first_seq == 0) report.first_seq = seqs->front();
    report.last_seq = seqs->back();
    report.batches += seqs->size();
    return {};
  };
  for (const std::string& source : rotation.reset) {
    if (auto reset = eraser_.reset_source(source); !reset) return tl::unexpected(reset.error());
  }
  for (const KeyRotation::Stream& stream : rotation.mapped) {
    auto kept = changes_.rekey_stream(
        stream.source, stream.stream,
        [&](std::string_view key) { return rotation.map_key(stream, key); });
    if (!kept) return tl::unexpected(kept.error());
    report.keys_kept += *kept;
    if (auto spooled = spool_batches(false); !spooled) return tl::unexpected(spooled.error());
  }
  if (auto spooled = spool_batches(true); !spooled) return tl::unexpected(spooled.error());
  if (auto marked = keys_.set_hash_maps_from(rotation.map_hashes, rotation.hash_maps_from);
      !marked) {
    return tl::unexpected(marked.error());
  }
  if (auto set = keys_.set_keys_version(rotation.to_version); !set) {
    return tl::unexpected(set.error());
  }
  if (auto committed = txn->commit(); !committed) return tl::unexpected(committed.error());
  if (report.batches > 0 && on_commit_) on_commit_();
  return report;
}

Result<SourceKeyState> Spool::source_key_state(std::string_view source) {
  std::lock_guard lock(mutex_);
  return keys_.source(source);
}

Result<void> Spool::clear_source_key_state(std::string_view source) {
  std::lock_guard lock(mutex_);
  return keys_.clear(source);
}

Result<std::uint64_t> Spool::pending_rekey_batches() {
  std::lock_guard lock(mutex_);
  auto select = db_.prepare("SELECT count(*) FROM batches WHERE kind = 'rekey'");
  if (!select) return tl::unexpected(select.error());
  auto row = select->step();
  if (!row) return tl::unexpected(row.error());
  return static_cast<std::uint64_t>(select->column_int(0));
}

Result<ErasureReport> Spool::erase(const Erasure& erasure) {
  std::lock_guard lock(mutex_);
  auto txn = sqlite::Transaction::begin(db_);
  if (!txn) return tl::unexpected(txn.error());
  auto report = eraser_.erase(erasure);
  if (!report) return report;
  env::test_hooks::crash_point("spool-erase");
  if (auto committed = txn->commit(); !committed) return tl::unexpected(committed.error());
  if (on_commit_) on_commit_();
  return report;
}

Result<std::uint64_t> Spool::erasures() {
  std::lock_guard lock(mutex_);
  return eraser_.erasures();
}

Result<std::optional<std::string>> Spool::source_state(std::string_view source) {
  std::lock_guard lock(mutex_);
  return states_.get(source);
}

Result<std::optional<SourceActivity>> Spool::source_activity(std::string_view source) {
  std::lock_guard lock(mutex_);
  return states_.activity(source);
}

Result<void> Spool::record_source_run(std::string_view source, const SourceRunEnd& run) {
  std::lock_guard lock(mutex_);
  return states_.record_run(source, run);
}

Result<void> Spool::reset_source(std::string_view source) {
  std::lock_guard lock(mutex_);
  auto txn = sqlite::Transaction::begin(db_);
  if (!txn) return tl::unexpected(txn.error());
  if (auto reset = eraser_.reset_source(source); !reset) return reset;
  return txn->commit();
}

Result<void> Spool::merge_digests(std::string_view source) {
  std::lock_guard lock(mutex_);
  auto txn = sqlite::Transaction::begin(db_);
  if (!txn) return tl::unexpected(txn.error());
  if (auto merged = changes_.merge(source); !merged) return merged;
  env::test_hooks::crash_point("spool-merge-digests");
  return txn->commit();
}

Result<std::optional<std::array<std::uint8_t, 16>>> Spool::digest(std::string_view source,
                                                                  std::string_view stream,
                                                                  std::string_view key) {
  std::lock_guard lock(mutex_);
  return changes_.find(source, stream, key);
}

Result<std::vector<std::string>> Spool::keys_not_seen(std::string_view source,
                                                      std::string_view stream, std::int64_t run,
                                                      std::string_view after, std::size_t limit) {
  std::lock_guard lock(mutex_);
  return changes_.not_seen(source, stream, run, after, limit);
}

Result<std::uint64_t> Spool::count_keys(std::string_view source, std::string_view stream) {
  std::lock_guard lock(mutex_);
  return changes_.count(source, stream);
}

Result<bool> Spool::has_keys(std::string_view source, std::string_view stream) {
  std::lock_guard lock(mutex_);
  return changes_.any(source, stream);
}

Result<void> Spool::mark_seen(std::string_view source, std::string_view stream,
                              const std::vector<std::string>& keys, std::int64_t run) {
  if (keys.empty()) return {};  // nothing to store: not even the lock is needed
  std::lock_guard lock(mutex_);
  return changes_.mark_seen(source, stream, keys, run);
}

Result<std::int64_t> Spool::next_run() {
  std::lock_guard lock(mutex_);
  auto txn = sqlite::Transaction::begin(db_);
  if (!txn) return tl::unexpected(txn.error());
  auto run = changes_.next_run();
  if (!run) return run;
  if (auto committed = txn->commit(); !committed) return tl::unexpected(committed.error());
  return run;
}

Result<std::string> Spool::sealing_key_id() {
  std::lock_guard lock(mutex_);
  return batches_.sealing_key_id();
}

Result<KeyChoice> Spool::use_tenant_key(std::string_view key_id) {
  std::lock_guard lock(mutex_);
  return batches_.use_tenant_key(key_id);
}

Result<std::vector<StoredBatch>> Spool::pending(std::uint64_t after_seq, std::size_t limit) {
  std::lock_guard lock(mutex_);
  return batches_.pending(after_seq, limit);
}

Result<void> Spool::ack(std::uint64_t seq) {
  std::lock_guard lock(mutex_);
  return batches_.ack(seq);
}

Result<void> Spool::ack_through(std::uint64_t seq) {
  std::lock_guard lock(mutex_);
  return batches_.ack_through(seq);
}

Result<void> Spool::reject(std::uint64_t seq, std::string_view reason) {
  std::lock_guard lock(mutex_);
  return batches_.reject(seq, reason);
}

Result<Stats> Spool::stats() {
  std::lock_guard lock(mutex_);
  return batches_.stats();
}

Result<std::vector<Gap>> Spool::gaps() {
  std::lock_guard lock(mutex_);
  return batches_.gaps();
}

Result<void> Spool::settle_gaps(std::uint64_t to_seq) {
  std::lock_guard lock(mutex_);
  return batches_.settle_gaps(to_seq);
}

void Spool::protect_through(std::uint64_t seq) { batches_.protect_through(seq); }

}  // namespace ferry::spool
