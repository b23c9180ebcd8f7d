// The spool's value types: what callers hand to the Spool (Options, Commit, Erasure) and what it
// hands back (StoredBatch, Stats, Gap, reports). Plain data, shared by the Spool (spool.hpp) and
// its parts (batch_store.hpp, change_store.hpp, source_states.hpp, eraser.hpp); no behaviour.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/env/file_system.hpp"
#include "common/config/settings.hpp"
#include "common/crypto/bytes.hpp"
#include "common/error/error.hpp"

namespace ferry::spool {

struct Options {
  std::filesystem::path path;  // <data_dir>/spool.db
  std::string agent_id;
  std::string tenant_id;
  crypto::Bytes tenant_public_key;  // batches are sealed to it before they are stored
  // The tenant's next key (uplink.tenant_next_public_key; empty: none). Batches are sealed to it
  // instead once the tenant asked for it (BatchStore::use_tenant_key), a choice kept in the spool.
  crypto::Bytes tenant_next_public_key;
  std::uint64_t max_bytes = 1024ull * 1024 * 1024;
  config::WhenFull when_full = config::WhenFull::kPause;
  // How many change-detection runs one merge reads at once (a 16 KiB buffer each); beyond it,
  // the oldest are first merged into one. Tests lower it.
  std::size_t merge_fan_in = 512;
  // How the WAL is made durable. Only tests change these: synchronous=NORMAL (false) is the
  // power-loss test's negative control, where a commit that returned can be lost at a power cut;
  // fewer pages between checkpoints make a small test checkpoint often.
  bool synchronous_full = true;
  int checkpoint_pages = 4096;
  // The spool's files outside SQLite (moving a damaged spool aside, its mode); tests fail it.
  const env::FileSystem* file_system = &env::real_file_system();
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

// What BatchStore::use_tenant_key did with the key id a tenant's `welcome` names.
enum class KeyChoice {
  kAlready,   // batches are already sealed to that key: nothing changed
  kSwitched,  // a configured key other than the one in use: batches are sealed to it from now on
  kUnknown,   // no configured key has that id: nothing changed
};

struct OpenReport {
  bool created = false;  // a new spool (and a new spool_id) was started
  std::optional<std::filesystem::path> corrupt_moved_to;  // the damaged file, kept for support
  std::string corrupt_reason;
};

// A batch to store: everything but what the spool assigns (seq, batch_id, created_at).
struct NewBatch {
  std::string kind = "rows";  // "rows", "erase" or "rekey"
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
  // entries go, in every source and stream, and so do composite keys with one of them as a part
  // (an enrollment keyed by class and student).
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

}  // namespace ferry::spool

namespace ferry::spool {

// A key rotation (docs/key-rotation.md), as Spool::rotate_keys() writes it in one transaction:
// every stored key of the mapped streams goes from its version to `to_version`, with the maps
// the tenant needs spooled as rekey batches before any row of the new version.
struct KeyRotation {
  std::uint32_t to_version = 0;
  struct Stream {
    std::string source;
    std::string stream;
  };
  // Streams whose key field is a pseudonym token: each stored key goes through map_key.
  std::vector<Stream> mapped;
  // Sources with a stream keyed by a hash token (or a list): read again from the beginning,
  // their rows sent again under the new key.
  std::vector<std::string> reset;
  // Every configured source: its next complete run maps the hash tokens it writes from
  // hash_maps_from (the version active before) to the new one.
  std::vector<std::string> map_hashes;
  std::uint32_t hash_maps_from = 0;
  // The new key of a stored key (a JSON value); nullopt drops the entry.
  std::function<Result<std::optional<std::string>>(const Stream&, std::string_view key)> map_key;
  // The rekey batches of the maps made so far; called after each stream and at the end.
  std::function<Result<std::vector<NewBatch>>(bool last)> take_batches;
};

struct KeyRotationReport {
  std::uint64_t keys_kept = 0;      // stored keys now in the new version (or not tokens)
  std::uint64_t batches = 0;        // rekey batches spooled
  std::uint64_t first_seq = 0;      // of the first one (0: none)
  std::uint64_t last_seq = 0;
};

}  // namespace ferry::spool
