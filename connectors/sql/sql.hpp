// The SQL query connector for database servers through ODBC (type: sql): PostgreSQL, MariaDB and
// MySQL, SQL Server. See docs/connectors/sql.md.
//
// The same query, cursor, lookback and checkpoint rules as type: sqlite, from the same
// engine-neutral code (connectors/sqlite_query); only the engine differs (odbc_engine.hpp).
#pragma once

#include <memory>

#include "common/config/catalog.hpp"
#include "common/config/settings.hpp"
#include "connectors/api/source.hpp"

namespace ferry::connectors::sql {

// Type name, source options (connection, password_file, password, timeouts, fetch_rows,
// keep_open, checkpoint_rows) and stream options (query, cursor, lookback).
config::SourceTypeSpec spec();

// Builds the source and reads the password file once, so that a missing or exposed file stops the
// agent at its start; connects to nothing.
Result<std::unique_ptr<Source>> create(const config::SourceSettings& settings,
                                       const SourceContext& context);

}  // namespace ferry::connectors::sql
