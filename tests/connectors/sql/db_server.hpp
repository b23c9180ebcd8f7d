// Real database servers for the SQL connector's tests, on 127.0.0.1: PostgreSQL (Debian's
// postgresql package) and MariaDB (mariadb-server), no mock server.
//
// Each DbServer is a fresh server of its own: its data folder, Unix socket, and log live in a
// temporary folder, and it listens on a port the kernel chose (bound, read, and released just
// before the server starts; the start is retried on another port when the server loses that race).
// The server runs in the foreground as a child of the test process, which waits until it answers
// `SELECT 1` (within a deadline) before the constructor returns, and which stops it and waits for
// it in the destructor. The child dies with the test (PR_SET_PDEATHSIG), so a test killed outright
// leaves no server behind.
//
// Creating a data folder (initdb, mariadb-install-db) and setting it up takes longer than starting
// a server, and every test case is a process of its own under CTest. So that is done once: the
// first server of each kind builds a template (the database `ferry_test` and the reader login,
// after a clean shutdown) in a cache folder, under a lock that other test processes wait on, and
// every server starts from a copy of it. The cache lives in the build folder
// (FERRY_DB_TEMPLATE_DIR) or, where the test's user cannot write there, in
// $TMPDIR/ferry-db-templates-<uid>; its entries are named by a hash of everything that goes into
// them (the server binary, the user it runs as, the options and the setup SQL), so a change to any
// of these builds a new one, and removes those of the same kind made from another recipe.
//
// PostgreSQL and MariaDB refuse to run as root (initdb and postgres do; mariadbd wants --user), and
// CI runs as root: there the servers and the tools that make their data folders run as user
// nobody (group nogroup), and the data folders belong to nobody. Otherwise they run as the test's
// own user. The administrator's client always runs as the test's user, through the Unix socket:
// PostgreSQL trusts every local connection, and MariaDB's root has no password but may only log in
// from localhost (the socket). Over TCP only password logins are accepted.
//
// The database `ferry_test` is UTF-8 (PostgreSQL: encoding UTF8, locale C; MariaDB: utf8mb4, which
// is also the server's default, so tables made by admin_sql are utf8mb4 too). PostgreSQL's cluster
// has no database `postgres` (only template0, template1 and ferry_test): each database is some 300
// files, which every test copies. The login
// `ferry_reader` (password kReaderPassword) may only read it: PostgreSQL grants CONNECT, USAGE on
// schema public, and SELECT on every table in it, now and later (default privileges of the
// superuser `postgres`); MariaDB grants SELECT and EXECUTE on ferry_test.* to
// 'ferry_reader'@'127.0.0.1' and @'localhost'.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <sys/types.h>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace ferry::test {

class DbServer {
 public:
  enum class Kind { kPostgres, kMariadb };

  // Why a server of this kind cannot run here (its binaries are not installed; running as root
  // without a user nobody, setpriv, or a $TMPDIR that nobody may enter), or nullopt.
  static std::optional<std::string> unavailable(Kind kind);

  // "PostgreSQL" or "MariaDB", for messages.
  static const char* name(Kind kind);

  // Starts a fresh server from the template (building the template first if this is the first
  // server of its kind) and returns once it accepts connections; throws std::runtime_error, with
  // the end of the server's log, when it does not within a minute. Call only when unavailable()
  // is nullopt, and on a thread that outlives the server: the server is killed when the thread
  // that started it ends (PR_SET_PDEATHSIG), which for a test case is the main thread.
  explicit DbServer(Kind kind);
  // Stops the server (as stop() does) and removes its folder.
  ~DbServer();
  DbServer(const DbServer&) = delete;
  DbServer& operator=(const DbServer&) = delete;

  Kind kind() const { return kind_; }
  // The TCP port on 127.0.0.1; the same across stop() and start().
  std::uint16_t port() const { return port_; }
  // The server's temporary folder: data/ (its data), run/ (socket, pid file), server.log.
  const std::filesystem::path& folder() const { return dir_.path(); }
  // Everything the server has logged, across restarts.
  std::string log() const;

  // Stops the server and waits for it to exit: PostgreSQL's fast shutdown (SIGINT: sessions are
  // ended, open transactions rolled back), MariaDB's normal shutdown (SIGTERM: connections are
  // killed, then InnoDB shuts down). Clients see their connections closed by the server. Does
  // nothing when the server is not running.
  void stop();
  // Starts the stopped server again, on the same port and with the same data, and waits until it
  // accepts connections as the constructor does. Throws if the port has been taken meanwhile.
  void start();
  // Ends every client session (pg_terminate_backend, or KILL CONNECTION) and waits until they are
  // gone, while the server goes on running: the server drops the connections, not the network.
  void kill_connections();

  // Runs `sql` (any number of statements) as the superuser (PostgreSQL: postgres; MariaDB: root)
  // through the command-line client over the Unix socket, in `database` (for MariaDB, "" for
  // none), stopping at the first error. Returns what the client printed without its last newline:
  // one line per row, columns separated by tabs, no headers, values unescaped, NULL printed as
  // "NULL" by both. Throws std::runtime_error with the client's error output when a statement
  // fails.
  std::string admin_sql(const std::string& sql, const std::string& database = kDatabase) const;

  // Runs `sql` as ferry_reader through the command-line client over TCP to 127.0.0.1:port(), with
  // the password given, in ferry_test; output as admin_sql's (not trimmed). Failures (refused
  // logins, permission errors) are in the result, not thrown: exit_code is 0 only on success.
  ProcessResult reader_sql(const std::string& sql,
                           const std::string& password = kReaderPassword) const;

  // An ODBC connection string for ferry_reader, without the password, e.g.
  // "Driver=PostgreSQL Unicode;Server=127.0.0.1;Port=5432;Database=ferry_test;Uid=ferry_reader".
  std::string connection_string() const;

  // The folder of templates (FERRY_DB_TEMPLATE_DIR, or this user's under $TMPDIR): one
  // "<kind>-<hash of its recipe>" folder per kind, and its lock file.
  static std::filesystem::path template_cache();

  static constexpr const char* kDatabase = "ferry_test";
  static constexpr const char* kReader = "ferry_reader";
  static constexpr const char* kReaderPassword = "reader-secret-Tq7";

 private:
  enum class Start { kReady, kPortTaken };
  struct BuildTemplate {};

  // A server on a new data folder made by initdb or mariadb-install-db, for the template.
  DbServer(Kind kind, BuildTemplate);
  void prepare_folder();
  void start_on_a_free_port();
  Start start_on(std::uint16_t port);
  bool answers() const;
  std::filesystem::path socket_path() const;
  ProcessResult run_admin(const std::string& sql, const std::string& database) const;
  std::string log_since(std::uintmax_t offset) const;
  static std::filesystem::path template_for(Kind kind);

  Kind kind_;
  TempDir dir_;
  std::filesystem::path data_;
  std::filesystem::path run_;
  std::filesystem::path log_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace ferry::test
