// The SQLite side of the query connector's seam (query_engine.hpp): a database file opened
// read-only (SQLITE_OPEN_READONLY), never written. A writer holding a lock is waited for up to
// `busy_timeout`, then the read fails with kUnavailable and the agent retries at the next poll.
#pragma once

#include <filesystem>
#include <memory>

#include "common/config/duration.hpp"
#include "connectors/sqlite_query/query_engine.hpp"

namespace ferry::connectors::sqlite_query {

struct SqliteOptions {
  std::filesystem::path path;
  config::Duration busy_timeout = std::chrono::seconds(10);
};

std::unique_ptr<QueryEngine> make_sqlite_engine(SqliteOptions options);

}  // namespace ferry::connectors::sqlite_query
