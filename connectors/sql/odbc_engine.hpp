// The ODBC side of the query connector's seam (connectors/sqlite_query/query_engine.hpp): a
// PostgreSQL, MariaDB/MySQL or SQL Server database read through unixODBC (or Windows' driver
// manager) and the server's own driver. See docs/connectors/sql.md.
//
// Each run is one connection and one read-only transaction: the session is set up so that the
// SERVER refuses any write (a read-only transaction on PostgreSQL and MariaDB), reads a single
// consistent snapshot (REPEATABLE READ; SNAPSHOT on SQL Server where the database allows it),
// gives up on a statement or a lock wait after `statement_timeout`, and speaks UTC. Rows come in
// blocks of bound columns (ODBC row arrays), with the drivers told to stream rather than load a
// whole result (psqlODBC UseDeclareFetch=1, MariaDB NO_CACHE=1), so memory stays bounded whatever
// the result's size.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "common/config/duration.hpp"
#include "common/error/error.hpp"
#include "connectors/sqlite_query/query_engine.hpp"

namespace ferry::connectors::sql {

struct OdbcOptions {
  // The ODBC connection string as configured ("Driver=...;Server=...;Database=...;Uid=..." or
  // "DSN=..."), without a password.
  std::string connection;
  // The password: read from this file (the key file's rules) at each connect, or given inline
  // (from ${VAR}). Neither: the driver logs in without one (e.g. a DSN that holds it).
  std::optional<std::filesystem::path> password_file;
  std::string password;
  std::filesystem::path service_dir;  // the agent's data_dir, trusted owner of the password file
  config::Duration connect_timeout = std::chrono::seconds(30);
  config::Duration statement_timeout = std::chrono::minutes(10);
  std::size_t fetch_rows = 5000;  // rows per block, at most
  bool keep_open = false;         // keep the connection between runs
};

// Checks the options (kConfig: a password inside `connection`); opens nothing.
Result<std::unique_ptr<sqlite_query::QueryEngine>> make_odbc_engine(OdbcOptions options);

// The password: the password file's first line (read with the key file's rules: kPermission or
// kNotFound with the fix), or the inline password; "" when neither is given.
Result<std::string> read_password(const OdbcOptions& options);

// `connection` with the driver's streaming and logging options added where the text does not set
// them itself, and PWD when a password is given; exposed for tests.
std::string full_connection_string(const std::string& connection, std::size_t fetch_rows,
                                   const std::string* password);

}  // namespace ferry::connectors::sql
