// Small RAII wrappers over the SQLite C API: a database connection, prepared statements and a
// transaction. Errors come back as Result with SQLite's own message and the file's name.
//
// Thread-safety: none. A Database and its Statements belong to one thread (the spool's writer
// thread); SQLite up to 3.51.2 can corrupt a WAL database when two connections write or
// checkpoint at once, so Ferry never opens a second writing connection to the same file.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <sqlite3.h>

#include "common/error/error.hpp"

namespace ferry::sqlite {

class Statement;

class Database {
 public:
  enum class Mode { kReadWriteCreate, kReadWrite, kReadOnly };

  static Result<Database> open(const std::filesystem::path& path, Mode mode);
  ~Database();
  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs one or more statements that return no rows.
  Result<void> exec(std::string_view sql);
  Result<Statement> prepare(std::string_view sql);

  // Whether the database has a table of that name.
  Result<bool> has_table(std::string_view name);
  std::int64_t changes() const;
  sqlite3* handle() const { return db_; }
  const std::filesystem::path& path() const { return path_; }

  // "spool.db: disk I/O error" from the connection's last error.
  Error last_error(ErrorCode code, std::string_view doing) const;

  // Whether an operation on this connection has met an I/O error (SQLITE_IOERR: a read, write,
  // sync or truncation of its files failed). Once a sync has failed, the kernel may have dropped
  // pages it could not write while SQLite's cache still holds them: the connection no longer
  // knows what is on disk, and only a new one (which reads it) does. Any thread may ask.
  bool io_failed() const { return io_failed_.load(std::memory_order_relaxed); }

 private:
  Database(sqlite3* db, std::filesystem::path path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_ = nullptr;
  std::filesystem::path path_;
  mutable std::atomic<bool> io_failed_{false};
};

class Statement {
 public:
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Binds by 1-based index. Text and blobs are copied by SQLite (SQLITE_TRANSIENT) unless noted.
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::string_view text);
  Statement& bind_blob(int index, std::span<const std::uint8_t> blob);
  // Not copied: `text` must stay valid and unchanged until the statement is stepped and reset.
  Statement& bind_view(int index, std::string_view text);
  Statement& bind_null(int index);

  // true: a row is available; false: done. Errors carry SQLite's message.
  Result<bool> step();
  // step() that expects no row (INSERT, UPDATE, DELETE).
  Result<void> run();
  void reset();

  std::int64_t column_int(int index) const;
  std::string_view column_text(int index) const;
  std::span<const std::uint8_t> column_blob(int index) const;
  bool column_is_null(int index) const;
  // How many columns a row has, and the name of one (as the query named it).
  int column_count() const;
  std::string_view column_name(int index) const;

 private:
  friend class Database;
  Statement(sqlite3_stmt* stmt, const Database* db) : stmt_(stmt), db_(db) {}
  sqlite3_stmt* stmt_ = nullptr;
  const Database* db_ = nullptr;
};

// BEGIN IMMEDIATE on construction; ROLLBACK on destruction unless commit() succeeded.
class Transaction {
 public:
  static Result<Transaction> begin(Database& db);
  ~Transaction();
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  Result<void> commit();

 private:
  explicit Transaction(Database* db) : db_(db) {}
  Database* db_ = nullptr;
};

}  // namespace ferry::sqlite
