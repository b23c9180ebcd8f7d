// The spool: <data_dir>/spool.db, where sealed batches wait until the tenant acknowledges them,
// together with what must commit atomically with them: each source's resume state and the
// change-detection digests of the rows those batches carry.
//
// The Spool is the facade: it owns the one database connection and the parts that each own some
// of its tables, and opens the transactions that span them (a commit writes batches, digests and
// the source's state at once; an erasure touches digests, batches, gaps and counters at once):
//   batch_store.hpp    batches, seqs, sealing, room (when_full), gaps, delivery state
//   change_store.hpp   change-detection runs and digests (digest_runs.hpp, digest_store.hpp)
//   source_states.hpp  each source's resume state, and when its data last changed
//   eraser.hpp         erasures, withholding, source resets
//   spool_schema.hpp   opening the file: creation, migration, the start-up check
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

#include "agent/spool/batch_store.hpp"
#include "agent/spool/change_store.hpp"
#include "agent/spool/digest_runs.hpp"
#include "agent/spool/digest_store.hpp"
#include "agent/spool/eraser.hpp"
#include "agent/spool/key_state.hpp"
#include "agent/spool/source_states.hpp"
#include "agent/spool/spool_schema.hpp"
#include "agent/spool/spool_types.hpp"
#include "common/config/settings.hpp"
#include "common/crypto/bytes.hpp"
#include "common/error/error.hpp"
#include "common/sqlite/database.hpp"

namespace ferry::spool {

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
  // When the source's data last changed, kept across restarts (source_states.hpp); a reset keeps
  // it. The collector records each run's end that matters.
  Result<std::optional<SourceActivity>> source_activity(std::string_view source);
  Result<void> record_source_run(std::string_view source, const SourceRunEnd& run);

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

  // Key rotation (docs/key-rotation.md).
  // The key version of the tokens among the stored keys; 0 before the agent first adopted one.
  Result<std::uint32_t> keys_version();
  Result<void> set_keys_version(std::uint32_t version);
  // Each stream with stored keys, and its smallest key (whose form tells the key's transform).
  Result<std::vector<ChangeStore::StoredStream>> stored_streams();
  // In one transaction: merges every source's digests, maps the stored keys of each mapped
  // stream, resets the sources that cannot be mapped, spools the rekey batches, marks the sources
  // whose hash tokens their next run maps, and sets keys_version. Rekey batches are never
  // dropped to make room (they go in whatever the room, as an erase batch does).
  Result<KeyRotationReport> rotate_keys(const KeyRotation& rotation);
  // What the source's next run owes the rotations (and the digests of older versions).
  Result<SourceKeyState> source_key_state(std::string_view source);
  // A complete run of the source paid it.
  Result<void> clear_source_key_state(std::string_view source);
  // Rekey batches not yet acknowledged by the tenant.
  Result<std::uint64_t> pending_rekey_batches();

  // The tenant's own key (BatchStore): the id of the key new batches are sealed to, and the
  // tenant's request (its `welcome`) for another configured key.
  Result<std::string> sealing_key_id();
  Result<KeyChoice> use_tenant_key(std::string_view key_id);

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
  // Whether a read, write or sync of the spool's files has failed (sqlite::Database::io_failed):
  // the spool then writes nothing more, and the agent exits for its service manager to start it
  // again, which reopens the spool from what the disk holds (docs/reliability.md). Any thread.
  bool storage_failed() const { return db_.io_failed(); }

 private:
  Spool(Options options, sqlite::Database db, std::string spool_id);

  Options options_;
  std::mutex mutex_;  // guards db_ and the parts (but BatchStore::protect_through)
  sqlite::Database db_;
  std::string spool_id_;
  // The parts, all on db_; the Spool opens the transactions that span them.
  BatchStore batches_;
  ChangeStore changes_;
  SourceStates states_;
  Eraser eraser_;
  KeyState keys_;
  std::function<void()> on_commit_;
};

}  // namespace ferry::spool
