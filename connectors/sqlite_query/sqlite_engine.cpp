#include "connectors/sqlite_query/sqlite_engine.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <fstream>
#include <string>
#include <system_error>
#include <utility>

#include "common/error/path_text.hpp"
#include "connectors/sqlite_query/sqlite_handles.hpp"

namespace ferry::connectors::sqlite_query {
namespace {

constexpr int kProgressOps = 1000;  // virtual machine steps between two looks at the stop token
constexpr int kBusySleepMs = 10;

std::string utf8_of(const std::filesystem::path& path) {
  const std::u8string text = path.u8string();
  return {text.begin(), text.end()};
}

// True when `rest` (what follows a prepared statement) holds only blanks, semicolons and comments.
bool only_blanks_and_comments(std::string_view rest) {
  std::size_t i = 0;
  while (i < rest.size()) {
    const char c = rest[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == ';') {
      ++i;
    } else if (rest.substr(i, 2) == "--") {
      const auto end = rest.find('\n', i);
      i = end == std::string_view::npos ? rest.size() : end + 1;
    } else if (rest.substr(i, 2) == "/*") {
      const auto end = rest.find("*/", i + 2);
      i = end == std::string_view::npos ? rest.size() : end + 2;
    } else {
      return false;
    }
  }
  return true;
}

class SqliteConnection final : public QueryConnection {
 public:
  SqliteConnection(SqliteOptions options, std::stop_token stop)
      : options_(std::move(options)), stop_(std::move(stop)) {}

  Result<void> open();
  Result<std::unique_ptr<PreparedQuery>> prepare(std::string_view sql) override;

  // An Error for SQLite result `code`, with the connection's last message.
  Error error(int code) const;

 private:
  static int on_progress(void* self) {
    return static_cast<SqliteConnection*>(self)->stop_.stop_requested() ? 1 : 0;
  }
  // Waits for a writer's lock in short sleeps, up to busy_timeout, unless a stop is requested.
  static int on_busy(void* self, int attempts) {
    const auto* connection = static_cast<SqliteConnection*>(self);
    if (connection->stop_.stop_requested()) return 0;
    const auto waited = static_cast<std::int64_t>(attempts) * kBusySleepMs;
    const auto limit = connection->options_.busy_timeout.count();
    if (waited >= limit) return 0;
    sqlite3_sleep(static_cast<int>(std::min<std::int64_t>(kBusySleepMs, limit - waited)));
    return 1;
  }

  SqliteOptions options_;
  std::stop_token stop_;
  DatabaseHandle db_;
};

class SqliteQuery final : public PreparedQuery {
 public:
  SqliteQuery(StatementHandle statement, const SqliteConnection& connection)
      : statement_(std::move(statement)), connection_(connection) {
    sqlite3_stmt* s = statement_.get();
    const int column_count = sqlite3_column_count(s);
    for (int i = 0; i < column_count; ++i) {
      const char* name = sqlite3_column_name(s, i);
      columns_.emplace_back(name == nullptr ? "" : name);
    }
    const int parameter_count = sqlite3_bind_parameter_count(s);
    for (int i = 1; i <= parameter_count; ++i) {
      const char* name = sqlite3_bind_parameter_name(s, i);
      parameters_.push_back(name == nullptr ? "?" + std::to_string(i) : std::string(name));
    }
  }

  const std::vector<std::string>& columns() const override { return columns_; }
  const std::vector<std::string>& parameters() const override { return parameters_; }
  bool reads_only() const override { return sqlite3_stmt_readonly(statement_.get()) != 0; }

  Result<void> bind_cursor(const CursorValue& value, std::size_t /*cursor_column*/) override {
    sqlite3_stmt* s = statement_.get();
    const int index = sqlite3_bind_parameter_index(s, ":cursor");
    if (index == 0) return make_error(ErrorCode::kInternal, "the query has no :cursor parameter");
    int rc = SQLITE_OK;
    if (const auto* integer = value.as_integer()) {
      rc = sqlite3_bind_int64(s, index, *integer);
    } else if (const auto* real = value.as_real()) {
      rc = sqlite3_bind_double(s, index, *real);
    } else if (const auto* text = value.as_text()) {
      rc = sqlite3_bind_text64(s, index, text->data(), text->size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    } else {
      rc = sqlite3_bind_null(s, index);
    }
    if (rc != SQLITE_OK) return tl::unexpected(connection_.error(rc));
    return {};
  }

  Result<bool> step() override {
    const int rc = sqlite3_step(statement_.get());
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return tl::unexpected(connection_.error(rc));
  }

  Cell cell(std::size_t column) const override {
    sqlite3_stmt* s = statement_.get();
    const int i = static_cast<int>(column);
    Cell out;
    switch (sqlite3_column_type(s, i)) {
      case SQLITE_INTEGER:
        out.type = CellType::kInteger;
        out.integer = sqlite3_column_int64(s, i);
        break;
      case SQLITE_FLOAT:
        out.type = CellType::kReal;
        out.real = sqlite3_column_double(s, i);
        break;
      case SQLITE_TEXT: {
        out.type = CellType::kText;
        // Pointer first, then size: the documented order that avoids a second conversion.
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
        out.bytes = std::string_view(text, static_cast<std::size_t>(sqlite3_column_bytes(s, i)));
        break;
      }
      case SQLITE_BLOB: {
        out.type = CellType::kBlob;
        const auto* blob = static_cast<const char*>(sqlite3_column_blob(s, i));
        const auto size = static_cast<std::size_t>(sqlite3_column_bytes(s, i));
        out.bytes = size == 0 ? std::string_view() : std::string_view(blob, size);
        break;
      }
      default:
        break;
    }
    return out;
  }

 private:
  StatementHandle statement_;
  const SqliteConnection& connection_;
  std::vector<std::string> columns_;
  std::vector<std::string> parameters_;
};

Result<void> SqliteConnection::open() {
  std::error_code ec;
  std::filesystem::path path = std::filesystem::absolute(options_.path, ec);
  if (ec) path = options_.path;
  const std::string shown = path_text(path);
  const auto status = std::filesystem::status(path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return make_error(ErrorCode::kIo, "cannot look at database file {} ({}): check path", shown,
                      ec.message());
  }
  if (!std::filesystem::exists(status)) {
    return make_error(ErrorCode::kNotFound,
                      "database file {} does not exist: check path (or whether the file moved)",
                      shown);
  }
  if (std::filesystem::is_directory(status)) {
    return make_error(ErrorCode::kConfig, "{} is a folder: path must name the database file itself",
                      shown);
  }
  {
    errno = 0;
    std::ifstream probe(path, std::ios::binary);
    if (!probe) {
      const int error = errno;
      if (error == EACCES || error == EPERM) {
        return make_error(ErrorCode::kPermission,
                          "database file {} is not readable by the agent's user: grant it read "
                          "access to the file and its folder",
                          shown);
      }
      return make_error(ErrorCode::kIo, "cannot open database file {} ({})", shown,
                        error == 0 ? "unknown error" : std::strerror(error));
    }
  }
  // An absolute path never starts with "file:", so SQLite never reads it as a URI with options.
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(utf8_of(path).c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  db_.reset(raw);  // SQLite allocates a handle even when opening fails; it must still be closed
  options_.path = path;
  if (rc != SQLITE_OK) return tl::unexpected(error(rc));
  sqlite3* db = db_.get();
  sqlite3_extended_result_codes(db, 1);
  sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);  // a query cannot reach other files through ATTACH
  sqlite3_busy_handler(db, &SqliteConnection::on_busy, this);
  sqlite3_progress_handler(db, kProgressOps, &SqliteConnection::on_progress, this);

  // Opening is lazy; reading the schema is what finds a file that is not a database, or locked.
  auto probe = prepare("SELECT 1 FROM sqlite_master LIMIT 1");
  if (!probe) return tl::unexpected(probe.error());
  auto stepped = (*probe)->step();
  if (!stepped) return tl::unexpected(stepped.error());
  return {};
}

Result<std::unique_ptr<PreparedQuery>> SqliteConnection::prepare(std::string_view sql) {
  if (sql.size() > static_cast<std::size_t>(INT_MAX)) {
    return make_error(ErrorCode::kConfig, "it is too long");
  }
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  const int rc =
      sqlite3_prepare_v2(db_.get(), sql.data(), static_cast<int>(sql.size()), &raw, &tail);
  StatementHandle statement(raw);
  if (rc != SQLITE_OK) return tl::unexpected(error(rc));
  if (!statement) return make_error(ErrorCode::kConfig, "it holds no statement");
  const auto used = static_cast<std::size_t>(tail - sql.data());
  if (!only_blanks_and_comments(sql.substr(used))) {
    return make_error(ErrorCode::kConfig, "it holds more than one statement; keep a single SELECT");
  }
  return std::make_unique<SqliteQuery>(std::move(statement), *this);
}

Error SqliteConnection::error(int code) const {
  const std::string shown = path_text(options_.path);
  const std::string message = db_ ? sqlite3_errmsg(db_.get()) : sqlite3_errstr(code);
  const int primary = code & 0xff;
  if ((primary == SQLITE_BUSY || primary == SQLITE_INTERRUPT) && stop_.stop_requested()) {
    return {ErrorCode::kUnavailable, fmt::format("reading database {} stopped on request", shown)};
  }
  switch (primary) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return {ErrorCode::kUnavailable,
              fmt::format("database {} is locked by a writer (waited busy_timeout {}): the read is "
                          "retried at the next poll; raise busy_timeout if this keeps happening",
                          shown, config::format_duration(options_.busy_timeout))};
    case SQLITE_INTERRUPT:
      return {ErrorCode::kUnavailable, fmt::format("reading database {} was interrupted", shown)};
    case SQLITE_NOTADB:
      return {ErrorCode::kCorrupt, fmt::format("{} is not a SQLite database: check path", shown)};
    case SQLITE_CORRUPT:
      return {ErrorCode::kCorrupt,
              fmt::format("database {} is damaged ({}): check it with sqlite3 and PRAGMA "
                          "integrity_check, and restore it from a backup",
                          shown, message)};
    case SQLITE_CANTOPEN:
      return {ErrorCode::kIo,
              fmt::format("cannot open database {} ({}): the file and its folder must be readable "
                          "by the agent's user; a database in WAL mode also needs its -wal and "
                          "-shm files, or a folder where SQLite may create them",
                          shown, message)};
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return {ErrorCode::kPermission,
              fmt::format("reading database {} is not permitted ({})", shown, message)};
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_NOMEM:
    case SQLITE_PROTOCOL:
      return {ErrorCode::kIo, fmt::format("reading database {} failed ({})", shown, message)};
    default:
      return {ErrorCode::kConfig, message};  // the SQL itself: no such table, syntax, overflow
  }
}

class SqliteEngine final : public QueryEngine {
 public:
  explicit SqliteEngine(SqliteOptions options) : options_(std::move(options)) {}

  Result<std::unique_ptr<QueryConnection>> connect(std::stop_token stop) override {
    auto connection = std::make_unique<SqliteConnection>(options_, std::move(stop));
    if (auto opened = connection->open(); !opened) return tl::unexpected(opened.error());
    return connection;
  }

 private:
  SqliteOptions options_;
};

}  // namespace

std::unique_ptr<QueryEngine> make_sqlite_engine(SqliteOptions options) {
  return std::make_unique<SqliteEngine>(std::move(options));
}

}  // namespace ferry::connectors::sqlite_query
