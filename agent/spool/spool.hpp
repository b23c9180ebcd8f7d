// The spool: <data_dir>/spool.db, where sealed batches wait until the tenant acknowledges them,
// together with what must commit atomically with them: each source's resume state and the
// change-detection digests of the rows those batches carry.
//
// Durability: WAL with synchronous=FULL, so a committed batch survives a power cut and is never
// re-numbered. `seq` is assigned inside the transaction that stores the batch, from a counter kept
// in the same database: gap-free, and never reused even after batches leave.
//
// Threads: one SQLite connection, serialised by an internal mutex, so every write and checkpoint
// goes through that one connection (SQLite up to 3.51.2 can corrupt a WAL database when two
// connections write or checkpoint at once). Transactions are short: a Commit is built in memory
// and written in one go.
//
// Start-up check: a file that is not a Ferry spool is refused and left untouched; a corrupt one is
// renamed aside (never deleted) and a new spool with a new spool_id starts; OpenReport says so.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "agent/spool/digest_runs.hpp"
#include "agent/spool/digest_store.hpp"
#include "common/config/settings.hpp"
#include "common/crypto/bytes.hpp"
#include "common/error/error.hpp"
#include "common/sqlite/database.hpp"

namespace ferry::spool {

// The format mark in a spool's meta table. "ferry-spool-2" keeps change-detection digests in
// pages (digest_store.hpp); a "ferry-spool-1" spool (one row per digest) is carried over when
// opened, and then marked "ferry-spool-2".
inline constexpr std::string_view kSpoolFormat = "ferry-spool-2";
inline constexpr std::string_view kEarlierSpoolFormat = "ferry-spool-1";

struct Options {
  std::filesystem::path path;  // <data_dir>/spool.db
  std::string agent_id;
  std::string tenant_id;
  crypto::Bytes tenant_public_key;  // batches are sealed to it before they are stored
  std::uint64_t max_bytes = 1024ull * 1024 * 1024;
  config::WhenFull when_full = config::WhenFull::kPause;
  // How many change-detection runs one merge reads at once (a 16 KiB buffer each); beyond it,
  // the oldest are first merged into one. Tests lower it.
  std::size_t merge_fan_in = 512;
};

// Batches dropped to make room (when_full: drop_oldest). The loss is recorded in the spool so the
// uplink can tell the tenant (a `gap` message): a loss is never silent.
struct Gap {
  std::uint64_t from_seq = 0;
  std::uint64_t to_seq = 0;
  std::uint64_t rows = 0;
  std::string reason;  // for the tenant: kDroppedReason or kWithheldReason
};

inline constexpr std::string_view kDroppedReason = "spool full (when_full: drop_oldest)";
inline constexpr std::string_view kWithheldReason =
    "withheld: a subject was erased while these batches waited; their sources are read again";

struct OpenReport {
  bool created = false;  // a new spool (and a new spool_id) was started
  std::optional<std::filesystem::path> corrupt_moved_to;  // the damaged file, kept for support
  std::string corrupt_reason;
};

// A batch to store: everything but what the spool assigns (seq, batch_id, created_at).
struct NewBatch {
  std::string kind = "rows";  // "rows" or "erase"
  std::string source;
  std::string stream;
  std::uint64_t rows = 0;
  std::uint32_t key_version = 0;
  crypto::Bytes compressed;  // one zstd frame of JSON Lines
};

// A change-detection entry: the digest of the row last sent for `key` (the key field's JSON
// value after transforms: a token, never a plain identifier unless the policy keeps it).
struct DigestUpdate {
  std::string stream;
  std::string key;
  std::optional<std::array<std::uint8_t, 16>> digest;  // nullopt: the key was deleted
};

// Everything one transaction writes.
struct Commit {
  std::string source;
  std::int64_t run = 0;  // the snapshot run these digests were seen in (0 for change reads)
  std::vector<NewBatch> batches;
  std::vector<DigestUpdate> digests;
  std::optional<std::string> state;  // the source's new resume state, when it advances
  // The erasures() count the rows were produced under (with that suppression list). When an
  // erasure happened since, the commit is refused with kConflict and the run must start again,
  // so no row of an erased subject is spooled after its erase batch.
  std::optional<std::uint64_t> erasures;
};

// An erasure (`ferry erase`): what Spool::erase() writes in one transaction.
struct Erasure {
  // The key values (JSON, as DigestUpdate::key) of the erased subjects: their change-detection
  // entries go, in every source and stream.
  std::vector<std::string> keys;
  // Batches of kind "rows" with a seq above this one, not yet sent, are withheld: removed unsent
  // (recorded as a Gap with kWithheldReason) and their sources reset, so that they are read
  // again, now without the erased subjects. Batches at or below it may be on the wire already.
  std::uint64_t withhold_after = 0;
  NewBatch batch;  // kind "erase": appended after everything else
};

struct ErasureReport {
  std::uint64_t seq = 0;  // of the erase batch
  std::uint64_t digests_removed = 0;
  std::uint64_t withheld_batches = 0;
  std::uint64_t withheld_rows = 0;
  std::vector<std::string> sources_reset;
};

struct StoredBatch {
  std::uint64_t seq = 0;
  std::string batch_id;
  std::string kind;
  std::string source;
  std::string stream;
  std::uint64_t rows = 0;
  crypto::Bytes frame;
};

struct Stats {
  std::uint64_t batches = 0;          // pending (not acked), rejected included
  std::uint64_t dropped_batches = 0;  // lost to when_full: drop_oldest, ever
  std::uint64_t bytes = 0;
  std::uint64_t rejected = 0;
  std::int64_t oldest_created_unix = 0;  // 0 when empty
  std::uint64_t next_seq = 1;
};

class Spool {
 public:
  static Result<std::unique_ptr<Spool>> open(const Options& options, OpenReport& report);

  const std::string& spool_id() const { return spool_id_; }

  // Writes a Commit in one transaction; returns the seqs given to its batches, in order.
  // When the batches do not fit under max_bytes: with when_full=pause, nothing is written and the
  // error is kFull ("spool full"); with drop_oldest, the oldest unsent batches are dropped
  // in the same transaction and the loss is recorded as a Gap.
  Result<std::vector<std::uint64_t>> commit(const Commit& commit);

  // Records an erasure in one transaction (see Erasure) and counts it in erasures().
  Result<ErasureReport> erase(const Erasure& erasure);
  // How many erasures this spool has recorded: a run notes it before reading, and its commits
  // carry it (Commit::erasures).
  Result<std::uint64_t> erasures();

  Result<std::optional<std::string>> source_state(std::string_view source);
  // Forgets a source's state and digests (a re-read from the beginning).
  Result<void> reset_source(std::string_view source);

  // Applies the change-detection entries committed since the last merge (with batches, and by
  // mark_seen) to the table that digest(), keys_not_seen() and count_keys() read: they wait as
  // sorted runs (digest_runs.hpp) and are merged in key order. Call it before those: at the
  // start of a run (a run cut short leaves its entries waiting) and before deletes are computed.
  Result<void> merge_digests(std::string_view source);

  // The digest stored for a key, if any (as of the last merge_digests).
  Result<std::optional<std::array<std::uint8_t, 16>>> digest(std::string_view source,
                                                             std::string_view stream,
                                                             std::string_view key);
  // Keys of a stream whose last `seen_run` is older than `run`, in key order after `after`.
  Result<std::vector<std::string>> keys_not_seen(std::string_view source, std::string_view stream,
                                                 std::int64_t run, std::string_view after,
                                                 std::size_t limit);
  Result<std::uint64_t> count_keys(std::string_view source, std::string_view stream);
  // Whether any key is stored for the stream (without counting them all).
  Result<bool> has_keys(std::string_view source, std::string_view stream);
  // Marks keys as seen in `run` (rows unchanged since last sent), as of the next merge_digests().
  Result<void> mark_seen(std::string_view source, std::string_view stream,
                         const std::vector<std::string>& keys, std::int64_t run);
  // A new run number for a snapshot read (stored, so it never repeats).
  Result<std::int64_t> next_run();

  // Delivery side.
  Result<std::vector<StoredBatch>> pending(std::uint64_t after_seq, std::size_t limit);
  Result<void> ack(std::uint64_t seq);
  // Removes every batch with seq <= `seq` but those parked as rejected (the tenant's `welcome`
  // says it holds them all: acks lost with an earlier connection).
  Result<void> ack_through(std::uint64_t seq);
  Result<void> reject(std::uint64_t seq, std::string_view reason);
  Result<Stats> stats();
  // Losses not yet reported to the tenant, oldest first.
  Result<std::vector<Gap>> gaps();
  // The tenant recorded the losses up to `to_seq` (its `gap_ack`): forget them.
  Result<void> settle_gaps(std::uint64_t to_seq);
  std::uint64_t max_bytes() const { return options_.max_bytes; }
  // Batches up to `seq` may be on their way to the tenant (the uplink claimed them for the wire):
  // when_full: drop_oldest leaves them, so a batch the tenant may store is never reported lost.
  // Only ever raised.
  void protect_through(std::uint64_t seq);
  // Called (on the committing thread) after each commit that stored batches: the uplink's cue to
  // send them. Set it before other threads use the spool.
  void set_commit_listener(std::function<void()> listener) { on_commit_ = std::move(listener); }

 private:
  Spool(Options options, sqlite::Database db, std::string spool_id)
      : options_(std::move(options)), db_(std::move(db)), spool_id_(std::move(spool_id)) {}

  Result<std::uint64_t> read_counter(std::string_view name);
  // Inside an open transaction: makes room for `needed` more bytes, or says the spool is full.
  Result<void> make_room(std::uint64_t needed);
  // Inside an open transaction: seals and inserts batches; returns their seqs.
  Result<std::vector<std::uint64_t>> insert_batches(const std::vector<NewBatch>& batches,
                                                    std::string_view source);
  Result<void> write_counter(std::string_view name, std::uint64_t value);
  // Stores one change-detection run (sorts `entries`), in the caller's transaction if any.
  Result<void> append_run(std::string_view source, std::vector<runs::Entry>& entries);
  // Inside an open transaction: the source's state, runs and stored digests go.
  Result<void> forget_source(std::string_view source);
  // Inside an open transaction: applies every run of `source` to the store and removes them.
  Result<void> merge_runs(std::string_view source);
  Result<void> insert_gap(std::uint64_t from_seq, std::uint64_t to_seq, std::uint64_t rows,
                          std::string_view reason);

  Options options_;
  std::mutex mutex_;
  sqlite::Database db_;
  std::string spool_id_;
  DigestStore store_{db_};
  std::optional<sqlite::Statement> append_run_;  // cached: used once per commit
  std::function<void()> on_commit_;
  std::atomic<std::uint64_t> protected_through_{0};
};

}  // namespace ferry::spool
