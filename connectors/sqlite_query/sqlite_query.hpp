// The SQL query connector for SQLite files (type: sqlite). See docs/connectors/sqlite.md.
//
// A change source: each stream is one SELECT with a :cursor parameter; every read hands over the
// rows at or after the last cursor value (minus the stream's lookback) as upserts, and returns the
// new cursor values as the state. The database file is opened read-only and never written.
//
// The connector is split at a seam (query_engine.hpp) so that an ODBC engine can reuse everything
// but the engine: sqlite_engine.{hpp,cpp} and sqlite_handles.hpp are the only SQLite-specific
// files here.
#pragma once

#include <memory>

#include "common/config/catalog.hpp"
#include "common/config/settings.hpp"
#include "connectors/api/source.hpp"

namespace ferry::connectors::sqlite_query {

// Type name, source options (path, busy_timeout, checkpoint_rows) and stream options (query,
// cursor, lookback), for the configuration loader.
config::SourceTypeSpec spec();

// Builds the source; opens nothing. kConfig naming source and stream for what the loader cannot
// know this connector requires: at least one stream, and per stream a key, a query and a cursor.
Result<std::unique_ptr<Source>> create(const config::SourceSettings& settings,
                                       const SourceContext& context);

}  // namespace ferry::connectors::sqlite_query
