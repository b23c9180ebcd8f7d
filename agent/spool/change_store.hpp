// Change detection in the spool: what each source last sent, per stream and key, so that a run
// sends only rows that changed and can tell which keys were deleted. Owns the digest_runs table
// (entries waiting, as sorted runs: digest_runs.hpp), the digest store they are merged into
// (digest_pages: digest_store.hpp) and the next_run counter (spool_meta.hpp).
//
// Entries arrive in runs (append() with a commit's batches, mark_seen() for unchanged rows) and
// are read only after merge() has applied them to the store, in the order they were written.
//
// Threads: no locking and no transactions of its own; the Spool calls it under its mutex, and
// opens the transaction that a merge, an erase or a commit needs. append() and mark_seen() write
// in the caller's transaction if there is one.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/spool/digest_runs.hpp"
#include "agent/spool/digest_store.hpp"
#include "agent/spool/spool_types.hpp"
#include "common/error/error.hpp"
#include "common/sqlite/database.hpp"

namespace ferry::spool {

class ChangeStore {
 public:
  using Digest = DigestStore::Digest;

  // In the caller's transaction: creates the digest_runs and digest_pages tables if missing, and
  // carries the entries of earlier layouts (a digest_journal table, one row_digests row per key)
  // over into pages. A no-op on a current spool.
  static Result<void> migrate(sqlite::Database& db);

  // A merge reads at most `merge_fan_in` runs at once (Options::merge_fan_in; 2 at least).
  ChangeStore(sqlite::Database& db, std::size_t merge_fan_in)
      : db_(db), merge_fan_in_(merge_fan_in), store_(db) {}

  // Stores a commit's entries as one run of `source`, all of them seen in `run`.
  Result<void> append(std::string_view source, std::int64_t run,
                      const std::vector<DigestUpdate>& updates);
  // Stores keys seen unchanged in `run` as one run (nothing when `keys` is empty).
  Result<void> mark_seen(std::string_view source, std::string_view stream,
                         const std::vector<std::string>& keys, std::int64_t run);
  // In an open transaction: applies every run of `source` to the store, oldest first, and
  // removes them.
  Result<void> merge(std::string_view source);
  // In an open transaction: merges every source's waiting runs, then removes these keys from
  // every source and stream; returns how many stored entries went.
  Result<std::uint64_t> erase_keys(const std::vector<std::string>& keys);
  // In an open transaction: the source's runs and stored entries go.
  Result<void> forget(std::string_view source);
  // In an open transaction, for a key rotation: every stored key of the stream goes through
  // `map`, which returns its new key (nullopt: the entry goes, and the row is new to the next
  // run); digests and seen runs stay. Returns how many entries were kept. Memory stays bounded:
  // the new keys are written as sorted runs and merged, as a commit's are.
  using KeyMapper = std::function<Result<std::optional<std::string>>(std::string_view key)>;
  Result<std::uint64_t> rekey_stream(std::string_view source, std::string_view stream,
                                     const KeyMapper& map);
  // In an open transaction: merges every source's waiting runs, then lists each stream that has
  // stored keys, with its smallest key.
  struct StoredStream {
    std::string source;
    std::string stream;
    std::string first_key;
  };
  Result<std::vector<StoredStream>> stored_streams();
  // In an open transaction: a new run number (stored, so it never repeats).
  Result<std::int64_t> next_run();

  // As of the last merge: see the Spool's digest(), keys_not_seen(), count_keys(), has_keys().
  Result<std::optional<Digest>> find(std::string_view source, std::string_view stream,
                                     std::string_view key);
  Result<std::vector<std::string>> not_seen(std::string_view source, std::string_view stream,
                                            std::int64_t run, std::string_view after,
                                            std::size_t limit);
  Result<std::uint64_t> count(std::string_view source, std::string_view stream);
  Result<bool> any(std::string_view source, std::string_view stream);

 private:
  // Merges the waiting runs of every source.
  Result<void> merge_all();
  // Stores one run (sorts `entries`).
  Result<void> append_run(std::string_view source, std::vector<runs::Entry>& entries);

  sqlite::Database& db_;
  std::size_t merge_fan_in_;
  DigestStore store_;
  std::optional<sqlite::Statement> append_run_;  // cached: used once per commit
};

}  // namespace ferry::spool
