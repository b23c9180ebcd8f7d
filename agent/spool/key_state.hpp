// What the spool keeps about key rotations (docs/key-rotation.md): which key version the stored
// change-detection keys are in, and per source what its next complete run still owes a rotation.
//
//   meta 'keys_version'   the key version of the tokens among the stored keys; 0 until the
//                         agent first adopts the keyring's active version
//   key_state table       per source: legacy_digests (its stored digests are of the rows as
//                         sent, from before digests were keyed: the next run converts them) and
//                         hash_maps_from (the version before the last rotation: the next
//                         complete run maps every hash token it writes from that version)
//
// Threads: no locking and no transactions of its own; the Spool calls it under its mutex, inside
// its transactions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/error/error.hpp"
#include "common/sqlite/database.hpp"

namespace ferry::spool {

// What a source's next run owes the key rotations.
struct SourceKeyState {
  bool legacy_digests = false;      // compare with the old digests too, and convert them
  std::uint32_t hash_maps_from = 0;  // map hash tokens from this version (0: none)
};

class KeyState {
 public:
  // In the caller's transaction: creates the table; in a spool made before it, every source with
  // stored digests is marked legacy_digests.
  static Result<void> migrate(sqlite::Database& db);

  explicit KeyState(sqlite::Database& db) : db_(db) {}

  Result<std::uint32_t> keys_version();
  Result<void> set_keys_version(std::uint32_t version);
  Result<SourceKeyState> source(std::string_view source);
  Result<void> set_hash_maps_from(const std::vector<std::string>& sources, std::uint32_t version);
  // A complete run of `source` paid what it owed: both marks go.
  Result<void> clear(std::string_view source);

 private:
  sqlite::Database& db_;
};

}  // namespace ferry::spool
