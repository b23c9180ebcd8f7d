// Each source's resume state: the source_state table, one row per source that has committed a
// state (connectors/api/source.hpp: State, opaque text the connector reads back). A state is
// written only with the batches read up to it (Spool::commit), and goes when the source is reset
// (eraser.hpp), so that the source is read again from the beginning.
//
// And when each source's data last changed: the source_activity table, one row per source that
// has ended a run, written after each run that spooled rows or was the source's first success
// (the collector's doing). It outlives restarts and source resets: it is what `stale_after`
// (docs/operations.md, "When a source goes stale") is measured against.
//
// No locking and no transactions of its own: the Spool calls it under its mutex, inside its
// transactions. Owns no statement across calls. Reading the activity needs no more than a
// read-only connection (`ferry check` opens one).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/error/error.hpp"
#include "common/sqlite/database.hpp"

namespace ferry::spool {

// What the spool keeps of a source's runs, in seconds since the epoch.
struct SourceActivity {
  std::optional<std::int64_t> first_success_unix;  // end of its first run that succeeded
  std::optional<std::int64_t> last_change_unix;    // end of its last run that spooled rows
  std::uint64_t rows_last_change = 0;              // rows (upserts and deletes) that run spooled
};

// How a run ended, as far as SourceActivity goes.
struct SourceRunEnd {
  std::int64_t ended_unix = 0;
  std::uint64_t rows_spooled = 0;  // upserts and deletes
  bool succeeded = false;
};

class SourceStates {
 public:
  // Created with every spool (spool_schema.cpp).
  static constexpr const char* kSchema = R"sql(
CREATE TABLE source_state(source TEXT PRIMARY KEY, state TEXT NOT NULL, updated_unix INTEGER NOT NULL);
)sql";
  // Adds source_activity, which spools made before it lack (and new ones get here too).
  static Result<void> migrate(sqlite::Database& db);

  explicit SourceStates(sqlite::Database& db) : db_(db) {}

  // The source's state; nullopt when it has none (never read, or reset).
  Result<std::optional<std::string>> get(std::string_view source);
  Result<void> put(std::string_view source, std::string_view state);
  Result<void> forget(std::string_view source);

  // The source's activity; nullopt when no run of it was recorded (or the spool predates the
  // table: a read-only connection finds none).
  Result<std::optional<SourceActivity>> activity(std::string_view source);
  // Records a run's end: the last change when it spooled rows, the first success once.
  Result<void> record_run(std::string_view source, const SourceRunEnd& run);

 private:
  sqlite::Database& db_;
};

}  // namespace ferry::spool
