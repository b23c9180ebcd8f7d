// Owning handles for the SQLite C API, private to this connector (the agent's spool has its own
// wrapper in common/sqlite; this one stays small and read-only).
#pragma once

#include <memory>

#include <sqlite3.h>

namespace ferry::connectors::sqlite_query {

struct DatabaseCloser {
  // sqlite3_close_v2 defers the close until the last statement is finalized, so the order in
  // which owners are destroyed cannot leak the connection.
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DatabaseHandle = std::unique_ptr<sqlite3, DatabaseCloser>;

struct StatementFinalizer {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};
using StatementHandle = std::unique_ptr<sqlite3_stmt, StatementFinalizer>;

}  // namespace ferry::connectors::sqlite_query
