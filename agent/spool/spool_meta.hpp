// The spool's meta table (key TEXT, value TEXT): its identity and format mark, written by
// spool_schema.cpp, and the counters its parts keep there: next_seq and dropped_batches
// (batch_store.hpp), next_run (change_store.hpp), erasures (eraser.hpp). Counters are stored as
// decimal text; a missing one means a damaged spool (kCorrupt).
//
// No locking and no transactions of its own: called by the parts, under the Spool's mutex, in its
// transactions (a read and its write-back are then one step).
#pragma once

#include <cstdint>
#include <string_view>

#include "common/error/error.hpp"
#include "common/sqlite/database.hpp"

namespace ferry::spool::meta {

Result<std::uint64_t> read_counter(sqlite::Database& db, std::string_view name);
Result<void> write_counter(sqlite::Database& db, std::string_view name, std::uint64_t value);
// Adds `amount` to a counter; returns its value before.
Result<std::uint64_t> add_to_counter(sqlite::Database& db, std::string_view name,
                                     std::uint64_t amount);

// Seconds since the epoch, for the spool's created_unix and updated_unix columns.
std::int64_t now_unix();

}  // namespace ferry::spool::meta
