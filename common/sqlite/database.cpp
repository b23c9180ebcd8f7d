#include "common/sqlite/database.hpp"

#include <string>
#include <utility>

#include "common/error/path_text.hpp"

namespace ferry::sqlite {

Result<Database> Database::open(const std::filesystem::path& path, Mode mode) {
  // Before SQLite's first use in the process (later calls are refused, harmlessly): no global
  // memory statistics, which take a process-wide mutex on every allocation.
  static const int kConfigured = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  static_cast<void>(kConfigured);
  int flags = SQLITE_OPEN_NOMUTEX;
  switch (mode) {
    case Mode::kReadWriteCreate:
      flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
      break;
    case Mode::kReadWrite:
      flags |= SQLITE_OPEN_READWRITE;
      break;
    case Mode::kReadOnly:
      flags |= SQLITE_OPEN_READONLY;
      break;
  }
  sqlite3* db = nullptr;
  // SQLite takes file names in UTF-8 (on Windows it opens them with the wide API).
  const std::u8string name = path.u8string();
  const int rc = sqlite3_open_v2(reinterpret_cast<const char*>(name.c_str()), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return make_error(ErrorCode::kIo, "cannot open {}: {}", path_text(path), message);
  }
  sqlite3_extended_result_codes(db, 1);
  return Database(db, path);
}

Database::~Database() {
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      path_(std::move(other.path_)),
      io_failed_(other.io_failed_.load()) {}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    if (db_ != nullptr) sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
    path_ = std::move(other.path_);
    io_failed_ = other.io_failed_.load();
  }
  return *this;
}

Error Database::last_error(ErrorCode code, std::string_view doing) const {
  const int rc = sqlite3_extended_errcode(db_);
  const int primary = rc & 0xff;
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) code = ErrorCode::kCorrupt;
  if (primary == SQLITE_FULL) code = ErrorCode::kDiskFull;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) code = ErrorCode::kUnavailable;
  if (primary == SQLITE_IOERR) io_failed_ = true;
  return Error{code,
               fmt::format("{}: {} failed: {}", path_text(path_), doing, sqlite3_errmsg(db_))};
}

Result<void> Database::exec(std::string_view sql) {
  const std::string text(sql);
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    return tl::unexpected(last_error(ErrorCode::kIo, text.substr(0, text.find_first_of(" ("))));
  }
  return {};
}

Result<Statement> Database::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                         &stmt, nullptr) != SQLITE_OK) {
    return tl::unexpected(last_error(ErrorCode::kInternal, "prepare"));
  }
  return Statement(stmt, this);
}

Result<bool> Database::has_table(std::string_view name) {
  auto select =
      prepare("SELECT EXISTS(SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?)");
  if (!select) return tl::unexpected(select.error());
  auto row = select->bind(1, name).step();
  if (!row) return tl::unexpected(row.error());
  return select->column_int(0) != 0;
}

std::int64_t Database::changes() const { return sqlite3_changes64(db_); }

Statement::~Statement() {
  if (stmt_ != nullptr) sqlite3_finalize(stmt_);
}

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)), db_(other.db_) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    if (stmt_ != nullptr) sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
    db_ = other.db_;
  }
  return *this;
}

Statement& Statement::bind(int index, std::int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  return *this;
}

Statement& Statement::bind_view(int index, std::string_view text) {
  sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8);
  return *this;
}

Statement& Statement::bind_blob(int index, std::span<const std::uint8_t> blob) {
  sqlite3_bind_blob64(stmt_, index, blob.data(), blob.size(), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::bind_null(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

Result<bool> Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) {
    sqlite3_reset(stmt_);
    return false;
  }
  Error error = db_->last_error(ErrorCode::kIo, "statement");
  sqlite3_reset(stmt_);
  return tl::unexpected(std::move(error));
}

Result<void> Statement::run() {
  auto stepped = step();
  if (!stepped) return tl::unexpected(stepped.error());
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  return {};
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::int64_t Statement::column_int(int index) const { return sqlite3_column_int64(stmt_, index); }

int Statement::column_count() const { return sqlite3_column_count(stmt_); }

std::string_view Statement::column_name(int index) const {
  const char* name = sqlite3_column_name(stmt_, index);
  return name == nullptr ? std::string_view() : std::string_view(name);
}

std::string_view Statement::column_text(int index) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, index));
  const int size = sqlite3_column_bytes(stmt_, index);
  return text == nullptr ? std::string_view()
                         : std::string_view(text, static_cast<std::size_t>(size));
}

std::span<const std::uint8_t> Statement::column_blob(int index) const {
  const auto* blob = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, index));
  const int size = sqlite3_column_bytes(stmt_, index);
  return blob == nullptr ? std::span<const std::uint8_t>()
                         : std::span<const std::uint8_t>(blob, static_cast<std::size_t>(size));
}

bool Statement::column_is_null(int index) const {
  return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

Result<Transaction> Transaction::begin(Database& db) {
  // After an I/O error this connection's idea of the file may be wrong (Database::io_failed):
  // it writes no more.
  if (db.io_failed()) {
    return make_error(ErrorCode::kIo,
                      "{}: not written: an earlier read, write or sync of it failed, and only "
                      "reopening it tells what is on the disk",
                      path_text(db.path()));
  }
  if (auto began = db.exec("BEGIN IMMEDIATE"); !began) return tl::unexpected(began.error());
  return Transaction(&db);
}

Transaction::~Transaction() {
  if (db_ != nullptr) (void)db_->exec("ROLLBACK");
}

Transaction::Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}

Result<void> Transaction::commit() {
  if (db_ == nullptr) return make_error(ErrorCode::kInternal, "transaction already finished");
  if (auto committed = db_->exec("COMMIT"); !committed) return committed;
  db_ = nullptr;
  return {};
}

}  // namespace ferry::sqlite
