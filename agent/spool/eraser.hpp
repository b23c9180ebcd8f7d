// Erasure and suppression in the spool (`ferry erase`): what must happen, in the spool, for an
// erased subject to be forgotten, and what keeps a run that read before an erasure from spooling
// the subject again. Owns the erasures counter (spool_meta.hpp); works on the other parts'
// tables through them: the change-detection entries (change_store.hpp), the unsent batches and
// gaps (batch_store.hpp) and the sources' states (source_states.hpp).
//
// Invariants: an erasure is written whole in the caller's transaction: the subjects' digests go,
// unsent row batches above Erasure::withhold_after go unsent (recorded as gaps with
// kWithheldReason) and their sources are reset, the counter goes up, and the erase batch is
// appended last, whatever the room. A commit whose rows were produced under an older count is
// refused (check_current()), so no row of an erased subject is spooled after its erase batch.
//
// Threads: no locking and no transactions of its own; the Spool calls it under its mutex, inside
// its transactions. The parts it is given must outlive it.
#pragma once

#include <cstdint>
#include <string_view>

#include "agent/spool/batch_store.hpp"
#include "agent/spool/change_store.hpp"
#include "agent/spool/source_states.hpp"
#include "agent/spool/spool_types.hpp"
#include "common/error/error.hpp"
#include "common/sqlite/database.hpp"

namespace ferry::spool {

class Eraser {
 public:
  // In the caller's transaction: adds the erasures counter to a spool made before it existed.
  static Result<void> migrate(sqlite::Database& db);

  Eraser(sqlite::Database& db, BatchStore& batches, ChangeStore& changes, SourceStates& states)
      : db_(db), batches_(batches), changes_(changes), states_(states) {}

  // How many erasures the spool has recorded.
  Result<std::uint64_t> erasures();
  // kConflict when an erasure was recorded since `counted` (the count a run of `source` read
  // its rows under): the run must start again with the new suppression list.
  Result<void> check_current(std::uint64_t counted, std::string_view source);
  // In an open transaction: writes the whole erasure (see Erasure, and above).
  Result<ErasureReport> erase(const Erasure& erasure);
  // In an open transaction: the source's state and change-detection entries go, so that it is
  // read again from the beginning.
  Result<void> reset_source(std::string_view source);

 private:
  // Withholds the unsent row batches above `after`, each unbroken seq range as one gap, and
  // resets their sources; counts them in `report`.
  Result<void> withhold_after(std::uint64_t after, ErasureReport& report);

  sqlite::Database& db_;
  BatchStore& batches_;
  ChangeStore& changes_;
  SourceStates& states_;
};

}  // namespace ferry::spool
