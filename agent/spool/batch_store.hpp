// The spool's batches and their delivery state: the batches table (sealed frames waiting for the
// tenant's ack, or parked as rejected), the gaps table (losses not yet reported to the tenant)
// and the counters next_seq and dropped_batches (spool_meta.hpp).
//
// Sealing key: uplink.tenant_public_key, or uplink.tenant_next_public_key once the tenant asked
// for it (use_tenant_key): the choice is the key id kept in meta 'sealing_key_id', so an agent
// restarted offline keeps sealing to the key the tenant last asked for. A kept id that names no
// configured key any more (the configuration changed) falls back to tenant_public_key. Batches
// already stored keep the key they were sealed to; the header of each names it (tenant_key_id).
//
// Invariants: `seq` comes from next_seq, read and advanced in the transaction that inserts the
// batches, so seqs are gap-free in spool order and never reused, even after batches leave. A
// batch is sealed to the tenant's key before it is stored (frame::seal), so the agent cannot read
// it back. Every batch removed unsent (dropped for room, withheld by an erasure) is recorded as a
// Gap in the same transaction: a loss is never silent. An erase batch is never dropped for room,
// nor a batch at or below protect_through().
//
// Threads: no locking and no transactions of its own; the Spool calls it under its mutex, inside
// its transactions. The one exception is protect_through(), which the uplink calls from its own
// thread: it only raises an atomic that make_room_for() reads.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "agent/spool/spool_types.hpp"
#include "common/error/error.hpp"
#include "common/sqlite/database.hpp"

namespace ferry::spool {

class BatchStore {
 public:
  // Created with every spool (spool_schema.cpp).
  static constexpr const char* kSchema = R"sql(
CREATE TABLE batches(
  seq INTEGER PRIMARY KEY,
  batch_id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  source TEXT NOT NULL,
  stream TEXT NOT NULL,
  rows INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  created_unix INTEGER NOT NULL,
  rejected TEXT,
  frame BLOB NOT NULL);
CREATE TABLE gaps(
  from_seq INTEGER NOT NULL,
  to_seq INTEGER NOT NULL,
  rows INTEGER NOT NULL,
  created_unix INTEGER NOT NULL,
  reason TEXT NOT NULL DEFAULT 'spool full (when_full: drop_oldest)');
)sql";
  // In the caller's transaction: gives the gaps table of a spool made before it had a `reason`
  // column that column. A no-op on a current spool.
  static Result<void> migrate(sqlite::Database& db);

  // `options` gives the sealing identity (agent_id, tenant_id, the tenant's keys) and the room
  // (max_bytes, when_full); `spool_id` goes in every frame's header.
  BatchStore(sqlite::Database& db, Options options, std::string spool_id)
      : db_(db), options_(std::move(options)), spool_id_(std::move(spool_id)) {}

  // In an open transaction: makes room for `batches` under max_bytes, or says the spool is full
  // (kFull). With when_full=pause nothing is written; with drop_oldest the oldest unsent row
  // batches above protect_through() go, each recorded as a Gap (kDroppedReason).
  Result<void> make_room_for(const std::vector<NewBatch>& batches);
  // In an open transaction: seals and stores batches under the next seqs, whatever the room;
  // returns their seqs, in order. A non-empty `source` overrides each batch's own.
  Result<std::vector<std::uint64_t>> insert(const std::vector<NewBatch>& batches,
                                            std::string_view source);

  // An unsent row batch (not rejected), as withholding sees it.
  struct Unsent {
    std::uint64_t seq = 0;
    std::uint64_t rows = 0;
    std::string source;
  };
  // Unsent row batches with a seq above `seq`, in seq order. Erase batches are not among them.
  Result<std::vector<Unsent>> unsent_rows_after(std::uint64_t seq);
  // In an open transaction: removes the batches from `from_seq` to `to_seq` (which hold `rows`
  // rows) and records them as a Gap with `reason`.
  Result<void> remove_as_gap(std::uint64_t from_seq, std::uint64_t to_seq, std::uint64_t rows,
                             std::string_view reason);

  // The id of the tenant key insert() seals to now (frame::tenant_key_id).
  Result<std::string> sealing_key_id();
  // The tenant asks for batches sealed to the key `key_id`: when it is a configured key other
  // than the one in use, it becomes the sealing key (kept in meta) for every batch stored from now.
  Result<KeyChoice> use_tenant_key(std::string_view key_id);

  // Delivery side: see the Spool's methods of the same names.
  Result<std::vector<StoredBatch>> pending(std::uint64_t after_seq, std::size_t limit);
  Result<void> ack(std::uint64_t seq);
  Result<void> ack_through(std::uint64_t seq);
  Result<void> reject(std::uint64_t seq, std::string_view reason);
  Result<Stats> stats();
  Result<std::vector<Gap>> gaps();
  Result<void> settle_gaps(std::uint64_t to_seq);
  // Any thread. Only ever raised.
  void protect_through(std::uint64_t seq);

 private:
  Result<void> insert_gap(std::uint64_t from_seq, std::uint64_t to_seq, std::uint64_t rows,
                          std::string_view reason);
  // A configured tenant key and its id.
  struct TenantKey {
    const crypto::Bytes* key = nullptr;
    std::string id;
  };
  // The configured keys, their ids computed on first use: tenant_public_key, then the next one
  // when configured.
  Result<const std::vector<TenantKey>*> tenant_keys();
  // The key new batches are sealed to, as meta 'sealing_key_id' chooses.
  Result<const TenantKey*> sealing_key();

  sqlite::Database& db_;
  Options options_;
  std::string spool_id_;
  std::vector<TenantKey> tenant_keys_;  // filled by tenant_keys()
  std::atomic<std::uint64_t> protected_through_{0};
};

}  // namespace ferry::spool
