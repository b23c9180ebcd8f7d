// The seam between the query connector and a SQL engine. Everything above it is engine-neutral:
// settings, the cursor rule, lookback, checkpoints, validation of queries, conversion of values
// (query_config, query_source, stream_reader, row_values, cursor_*, lookback). An engine (SQLite
// here, ODBC in connectors/sql) only connects, prepares one statement, binds :cursor and steps
// rows.
//
// Ownership: a QueryConnection must outlive the PreparedQuery objects it made. Neither is
// thread-safe; the source uses them from one worker thread at a time.
//
// Errors: messages say what failed and the fix, without the source or stream name (the caller
// adds those). kConfig from prepare() and step() means the engine rejected the SQL itself, and the
// message is the engine's own text; kUnavailable means retrying later may help (a lock, a stop).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "common/error/error.hpp"
#include "connectors/sqlite_query/cursor_value.hpp"

namespace ferry::connectors::sqlite_query {

// kDecimal and kBool come only from engines whose columns are typed (ODBC): a DECIMAL's digits
// as the server wrote them ("-12.50"), and a boolean in `integer` (0 or 1).
enum class CellType : std::uint8_t { kNull, kInteger, kReal, kText, kBlob, kDecimal, kBool };

// One value of the current row, as the engine holds it.
struct Cell {
  CellType type = CellType::kNull;
  std::int64_t integer = 0;  // kInteger, kBool
  double real = 0;           // kReal
  std::string_view bytes;    // kText (UTF-8), kBlob, kDecimal; valid until the next step()
};

class PreparedQuery {
 public:
  virtual ~PreparedQuery() = default;
  // Result column names, in order (an alias when the query gives one).
  virtual const std::vector<std::string>& columns() const = 0;
  // Parameters as written in the query, each once: ":cursor", "@since", "?2".
  virtual const std::vector<std::string>& parameters() const = 0;
  // False for a statement that would change the database.
  virtual bool reads_only() const = 0;
  // Binds every occurrence of :cursor; `cursor_column` (< columns().size()) is the result column
  // the cursor comes from, whose type an engine may need to bind the value. Called before the
  // first step().
  virtual Result<void> bind_cursor(const CursorValue& value, std::size_t cursor_column) = 0;
  // Advances to the next row: true when a row is ready, false at the end.
  virtual Result<bool> step() = 0;
  // A value of the current row; `column` < columns().size().
  virtual Cell cell(std::size_t column) const = 0;
};

class QueryConnection {
 public:
  virtual ~QueryConnection() = default;
  // Prepares exactly one statement without running it.
  virtual Result<std::unique_ptr<PreparedQuery>> prepare(std::string_view sql) = 0;
  // True once the connection itself is gone (a database server restarted, the network cut): the
  // read fails as a whole instead of each remaining stream failing on its own.
  virtual bool lost() const { return false; }
};

class QueryEngine {
 public:
  virtual ~QueryEngine() = default;
  // Opens a read-only connection and checks that the database is there and readable. Work on it
  // (including a long sort before the first row) ends with kUnavailable once `stop` is requested.
  virtual Result<std::unique_ptr<QueryConnection>> connect(std::stop_token stop) = 0;
};

}  // namespace ferry::connectors::sqlite_query
