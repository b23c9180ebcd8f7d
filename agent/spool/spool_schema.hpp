// Opening the spool file: creating a new spool's tables, bringing one made by an earlier version
// up to this one's schema, and the start-up check. Each part names its own tables
// (BatchStore::kSchema, SourceStates::kSchema, ChangeStore::migrate()); this file owns the meta
// table's identity rows (format mark, spool_id, created_at) and the order in which it all happens.
//
// Start-up check: a file that is not a Ferry spool is refused and left untouched; a corrupt one is
// renamed aside (never deleted) and a new spool with a new spool_id starts; OpenReport says so.
// A spool whose creation was cut off (no table at all) is created again in place.
//
// Threads: called once, before the Spool exists; the Database it returns has the spool's pragmas
// (WAL, synchronous=FULL, busy timeout) set.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "agent/spool/spool_types.hpp"
#include "common/error/error.hpp"
#include "common/sqlite/database.hpp"

namespace ferry::spool {

// The format mark in a spool's meta table. "ferry-spool-3" keeps keyed change-detection digests
// (docs/key-rotation.md) in pages (digest_store.hpp) and the key_state of rotations
// (key_state.hpp). Earlier spools are carried over when opened, and then marked "ferry-spool-3":
// a "ferry-spool-1" spool (one row per digest) has its digests moved into pages, and the sources
// of a "ferry-spool-1" or "ferry-spool-2" spool are marked as holding digests of the rows as sent
// (SourceKeyState::legacy_digests). An older version refuses a spool marked with a newer format.
inline constexpr std::string_view kSpoolFormat = "ferry-spool-3";
inline constexpr std::string_view kEarlierSpoolFormats[] = {"ferry-spool-1", "ferry-spool-2"};

namespace schema {

struct Opened {
  sqlite::Database db;
  std::string spool_id;
};

// Opens the spool at `options.path` (its other files through `options.file_system`): the existing
// one (migrated), or a new one (created, or replacing a corrupt one moved aside); `report` says
// which.
Result<Opened> open(const Options& options, OpenReport& report);

// In a database without tables: creates a spool's tables and meta rows in one transaction;
// returns the new spool_id. (open() calls it; part tests use it on a plain database.)
Result<std::string> create(sqlite::Database& db);

}  // namespace schema
}  // namespace ferry::spool
