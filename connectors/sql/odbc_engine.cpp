#include "connectors/sql/odbc_engine.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <openssl/crypto.h>

#include "common/fs/secret_file.hpp"
#include "connectors/sql/odbc_api.hpp"
#include "connectors/sql/odbc_text.hpp"
#include "connectors/sql/sql_text.hpp"

namespace ferry::connectors::sql {
namespace {

using sqlite_query::Cell;
using sqlite_query::CellType;
using sqlite_query::CursorValue;
using sqlite_query::PreparedQuery;
using sqlite_query::QueryConnection;
using sqlite_query::QueryEngine;

constexpr std::size_t kMaxPasswordFileSize = 4096;
constexpr std::size_t kMaxBoundText = 4000;       // characters of text held per cell in a block
constexpr std::size_t kBlockBudget = 8u << 20;    // bytes of bound buffers per statement
constexpr std::size_t kGetDataChunk = 64u << 10;  // bytes per SQLGetData call for a long value
constexpr std::size_t kMaxDiagnostics = 4;

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Handles and diagnostics

class Handle {
 public:
  Handle() = default;
  Handle(SQLSMALLINT type, SQLHANDLE handle) : type_(type), handle_(handle) {}
  Handle(Handle&& other) noexcept
      : type_(other.type_), handle_(std::exchange(other.handle_, nullptr)) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      reset();
      type_ = other.type_;
      handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { reset(); }

  SQLHANDLE get() const { return handle_; }
  SQLSMALLINT type() const { return type_; }
  explicit operator bool() const { return handle_ != nullptr; }

  void reset() {
    if (handle_ != nullptr) SQLFreeHandle(type_, handle_);
    handle_ = nullptr;
  }

 private:
  SQLSMALLINT type_ = SQL_HANDLE_ENV;
  SQLHANDLE handle_ = nullptr;
};

struct Diagnostic {
  std::string state;  // SQLSTATE, five characters
  SQLINTEGER native = 0;
  std::string message;
};

// Drops the "[unixODBC][Driver][Server]" tags drivers put before their message.
std::string without_tags(std::string message) {
  std::size_t start = 0;
  while (start < message.size() && message[start] == '[') {
    const std::size_t close = message.find(']', start);
    if (close == std::string::npos) break;
    start = close + 1;
  }
  message.erase(0, start);
  while (!message.empty() && (message.back() == '\n' || message.back() == '\r' ||
                              message.back() == ' ' || message.back() == '.')) {
    message.pop_back();
  }
  for (char& c : message) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return message;
}

std::vector<Diagnostic> diagnostics(const Handle& handle) {
  std::vector<Diagnostic> out;
  for (SQLSMALLINT record = 1; record <= static_cast<SQLSMALLINT>(kMaxDiagnostics); ++record) {
    std::array<SQLWCHAR, 6> state{};
    std::array<SQLWCHAR, 1024> message{};
    SQLINTEGER native = 0;
    SQLSMALLINT length = 0;
    const SQLRETURN rc =
        SQLGetDiagRecW(handle.type(), handle.get(), record, state.data(), &native, message.data(),
                       static_cast<SQLSMALLINT>(message.size()), &length);
    if (!SQL_SUCCEEDED(rc)) break;
    const auto shown = std::min<std::size_t>(
        static_cast<std::size_t>(std::max<SQLSMALLINT>(length, 0)), message.size() - 1);
    out.push_back({to_utf8(state.data(), 5), native, without_tags(to_utf8(message.data(), shown))});
  }
  return out;
}

bool has_state(const std::vector<Diagnostic>& records,
               std::initializer_list<std::string_view> states) {
  return std::any_of(records.begin(), records.end(), [&](const Diagnostic& d) {
    return std::find(states.begin(), states.end(), d.state) != states.end();
  });
}
bool has_native(const std::vector<Diagnostic>& records, std::initializer_list<SQLINTEGER> codes) {
  return std::any_of(records.begin(), records.end(), [&](const Diagnostic& d) {
    return std::find(codes.begin(), codes.end(), d.native) != codes.end();
  });
}
bool message_has(const std::vector<Diagnostic>& records, std::string_view text) {
  return std::any_of(records.begin(), records.end(), [&](const Diagnostic& d) {
    return lower(d.message).find(text) != std::string::npos;
  });
}
bool state_class(const std::vector<Diagnostic>& records, std::string_view prefix) {
  return !records.empty() && records.front().state.starts_with(prefix);
}

std::string first_message(const std::vector<Diagnostic>& records) {
  if (records.empty()) return "the driver gave no reason";
  const Diagnostic& d = records.front();
  return fmt::format("{} [SQLSTATE {}]", d.message.empty() ? "no message" : d.message, d.state);
}

enum class Phase { kConnect, kSession, kQuery };

// An Error for the failed call on `handle`. Messages follow the seam's rule: what failed and the
// fix, without the source's name; kConfig in the query phase means the SQL itself.
// MariaDB and MySQL report most errors of a statement as SQLSTATE HY000 with the server's own
// error number (1000 to 1999; 2000 and up are the client's: a lost connection). Those that are
// not about the statement itself: a lock wait, a deadlock, a shutdown, a killed query.
bool mysql_statement_error(const std::vector<Diagnostic>& records) {
  if (records.empty()) return false;
  const SQLINTEGER native = records.front().native;
  constexpr std::array<SQLINTEGER, 8> kTransient = {1040, 1053, 1205, 1213, 1317, 1927, 1969, 3024};
  return native >= 1000 && native < 2000 &&
         std::find(kTransient.begin(), kTransient.end(), native) == kTransient.end();
}

Error odbc_error(const Handle& handle, Phase phase, std::string_view doing,
                 const std::stop_token& stop, const config::Duration& timeout, bool mysql) {
  const auto records = diagnostics(handle);
  const std::string reason = first_message(records);
  if (stop.stop_requested()) {
    return {ErrorCode::kUnavailable, fmt::format("{} stopped on request", doing)};
  }
  // psqlODBC reports a refused password as SQLSTATE 08001, like a server it cannot reach.
  if (has_state(records, {"28000", "28P01"}) || has_native(records, {1045, 18456}) ||
      message_has(records, "authentication failed")) {
    return {ErrorCode::kPermission,
            fmt::format("{}: the server refused the login ({}): check Uid in connection and the "
                        "password (password_file)",
                        doing, reason)};
  }
  if (has_state(records, {"IM002", "IM003", "IM004", "IM005", "IM006", "IM007", "IM008", "IM009",
                          "IM010", "IM011", "IM012", "IM014", "IM015"}) ||
      message_has(records, "can't open lib") ||  // unixODBC, as SQLSTATE 01000
      message_has(records, "data source name not found")) {
    return {ErrorCode::kConfig,
            fmt::format("{}: the ODBC driver or data source cannot be used ({}): `odbcinst -q -d` "
                        "lists the installed drivers; install the driver's package "
                        "(odbc-postgresql, odbc-mariadb, tdsodbc) or fix Driver= or DSN= in "
                        "connection",
                        doing, reason)};
  }
  if (has_state(records, {"3D000"}) || has_native(records, {1049, 4060})) {
    return {ErrorCode::kConfig,
            fmt::format("{}: the database does not exist or may not be opened ({}): fix "
                        "Database= in connection",
                        doing, reason)};
  }
  if (has_state(records, {"25006"}) || has_native(records, {1792})) {
    return {ErrorCode::kConfig,
            fmt::format("the server refused it in Ferry's read-only session, so it would change "
                        "the database ({}): write a SELECT",
                        reason)};
  }
  if (has_state(records, {"HYT00", "57014", "55P03", "70100"}) ||
      has_native(records, {1205, 1969, 3024, 1222})) {
    return {ErrorCode::kUnavailable,
            fmt::format("{}: gave up after statement_timeout {} ({}): the read is retried at the "
                        "next poll; a lock held by a writer or a slow query is the usual cause",
                        doing, config::format_duration(timeout), reason)};
  }
  if (has_state(records, {"42501"}) || has_native(records, {1142, 1143, 1044, 229})) {
    return {ErrorCode::kPermission,
            fmt::format("{}: the login may not read it ({}): grant it SELECT on what the query "
                        "reads",
                        doing, reason)};
  }
  if (phase == Phase::kQuery && !records.empty() &&
      (state_class(records, "42") || state_class(records, "22") || state_class(records, "21") ||
       state_class(records, "0A") || records.front().state == "07002" ||
       records.front().state == "37000" || (mysql && mysql_statement_error(records)))) {
    return {ErrorCode::kConfig, reason};
  }
  if (phase == Phase::kConnect) {
    return {ErrorCode::kUnavailable,
            fmt::format("{}: cannot connect ({}): check Server= and Port= in connection, and that "
                        "the server runs and accepts connections from this machine",
                        doing, reason)};
  }
  return {ErrorCode::kUnavailable,
          fmt::format("{} failed ({}): the read is retried at the next poll", doing, reason)};
}

// ---------------------------------------------------------------------------------------------
// Connection strings

struct Attribute {
  std::string key;    // as written
  std::string value;  // as written, braces included
};

std::vector<Attribute> split_connection(std::string_view text) {
  std::vector<Attribute> out;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t end = i;
    while (end < text.size() && text[end] != ';') {
      if (text[end] == '{') {
        // A braced value runs to the matching '}' ('}}' is a literal brace).
        ++end;
        while (end < text.size()) {
          if (text[end] == '}') {
            if (end + 1 < text.size() && text[end + 1] == '}') {
              end += 2;
              continue;
            }
            break;
          }
          ++end;
        }
      }
      if (end < text.size()) ++end;
    }
    const std::string_view part = text.substr(i, end - i);
    const std::size_t equals = part.find('=');
    auto trim = [](std::string_view s) {
      while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
      while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
      return std::string(s);
    };
    if (!trim(part).empty()) {
      if (equals == std::string_view::npos) {
        out.push_back({trim(part), ""});
      } else {
        out.push_back({trim(part.substr(0, equals)), trim(part.substr(equals + 1))});
      }
    }
    i = end + 1;
  }
  return out;
}

std::string braced(std::string_view value) {
  std::string out = "{";
  for (char c : value) {
    out += c;
    if (c == '}') out += '}';
  }
  out += '}';
  return out;
}

// Whether the connection string sets `key` (ODBC keys ignore case).
bool has_attribute(const std::vector<Attribute>& attributes, std::string_view key) {
  return std::any_of(attributes.begin(), attributes.end(),
                     [&](const Attribute& a) { return lower(a.key) == lower(key); });
}

enum class DriverFamily { kPostgres, kMariadb, kOther };

DriverFamily family_of(const std::vector<Attribute>& attributes) {
  for (const Attribute& attribute : attributes) {
    if (lower(attribute.key) != "driver") continue;
    const std::string value = lower(attribute.value);
    if (value.find("postgres") != std::string::npos ||
        value.find("psqlodbc") != std::string::npos) {
      return DriverFamily::kPostgres;
    }
    if (value.find("maria") != std::string::npos || value.find("mysql") != std::string::npos) {
      return DriverFamily::kMariadb;
    }
  }
  return DriverFamily::kOther;
}

}  // namespace

std::string full_connection_string(const std::string& connection, std::size_t fetch_rows,
                                   const std::string* password) {
  const auto attributes = split_connection(connection);
  std::string out = connection;
  while (!out.empty() && (out.back() == ';' || out.back() == ' ')) out.pop_back();
  auto add = [&](std::string_view key, const std::string& value) {
    if (has_attribute(attributes, key)) return;
    if (!out.empty()) out += ';';
    out += key;
    out += '=';
    out += value;
  };
  switch (family_of(attributes)) {
    case DriverFamily::kPostgres:
      // Fetch through a server-side cursor, Fetch rows at a time, instead of the whole result
      // into memory; booleans as booleans; and no communication log (Debian's odbcinst.ini turns
      // CommLog on, which would write every row to a file in /tmp).
      add("UseDeclareFetch", "1");
      // Parameters are sent as typed literals: a server-side prepare cannot type ":cursor IS
      // NULL" (PostgreSQL: could not determine data type of parameter $1).
      add("UseServerSidePrepare", "0");
      add("Fetch", std::to_string(fetch_rows));
      add("BoolsAsChar", "0");
      add("CommLog", "0");
      add("Debug", "0");
      break;
    case DriverFamily::kMariadb:
      // Stream rows from the server instead of reading the whole result first.
      add("NO_CACHE", "1");
      // Text in UTF-8 whatever the columns' character sets (the server converts).
      add("CHARSET", "utf8mb4");
      break;
    case DriverFamily::kOther:
      break;
  }
  if (password != nullptr) add("PWD", braced(*password));
  return out;
}

Result<std::string> read_password(const OdbcOptions& options) {
  if (!options.password_file) return options.password;
  auto text = fs::read_secret_file(*options.password_file, kMaxPasswordFileSize,
                                   options.service_dir, fs::SecretSharing::kRootToOwnGroup);
  if (!text) {
    return with_context(text.error(),
                        fmt::format("password_file {}", options.password_file->string()));
  }
  // One line: a final newline (or CR LF), as editors write it, is not part of the password.
  if (!text->empty() && text->back() == '\n') text->pop_back();
  if (!text->empty() && text->back() == '\r') text->pop_back();
  return text;
}

namespace {

// ---------------------------------------------------------------------------------------------
// Columns and cells

enum class Fetch : std::uint8_t {
  kBigint,     // SQL_C_SBIGINT
  kDouble,     // SQL_C_DOUBLE
  kBit,        // SQL_C_BIT
  kDecimal,    // SQL_C_CHAR digits
  kDate,       // SQL_C_TYPE_DATE
  kTimestamp,  // SQL_C_TYPE_TIMESTAMP
  kText,       // SQL_C_WCHAR
  kBinary,     // SQL_C_BINARY
};

struct Column {
  std::string name;
  SQLSMALLINT sql_type = 0;
  SQLULEN size = 0;
  SQLSMALLINT digits = 0;
  std::string type_name;    // lower case, as the driver names it ("timestamptz", "datetime")
  bool zoned = false;       // a timestamp the server keeps in UTC: sent with a trailing Z
  bool lower_case = false;  // a GUID, sent in lower case whatever the driver's habit
  Fetch fetch = Fetch::kText;
  SQLSMALLINT c_type = SQL_C_WCHAR;
  SQLLEN width = 0;  // bytes per row of the column's buffer in a Block
};

void choose_fetch(Column& column, std::string_view dbms) {
  const bool unsigned_column = column.type_name.find("unsigned") != std::string::npos;
  switch (column.sql_type) {
    case SQL_BIT:
      column.fetch = Fetch::kBit;
      break;
    case SQL_TINYINT:
    case SQL_SMALLINT:
    case SQL_INTEGER:
      column.fetch = Fetch::kBigint;
      break;
    case SQL_BIGINT:
      column.fetch = unsigned_column ? Fetch::kDecimal : Fetch::kBigint;
      break;
    case SQL_DECIMAL:
    case SQL_NUMERIC:
      column.fetch = Fetch::kDecimal;
      break;
    case SQL_REAL:
    case SQL_FLOAT:
    case SQL_DOUBLE:
      column.fetch = Fetch::kDouble;
      break;
    case SQL_TYPE_DATE:
    case SQL_DATE:
      column.fetch = Fetch::kDate;
      break;
    case SQL_TYPE_TIMESTAMP:
    case SQL_TIMESTAMP:
      column.fetch = Fetch::kTimestamp;
      column.zoned = column.type_name.find("timestamptz") != std::string::npos ||
                     column.type_name.find("with time zone") != std::string::npos ||
                     ((dbms == "mariadb" || dbms == "mysql") && column.type_name == "timestamp");
      break;
    case SQL_BINARY:
    case SQL_VARBINARY:
    case SQL_LONGVARBINARY:
      column.fetch = Fetch::kBinary;
      break;
    case SQL_GUID:
      column.fetch = Fetch::kText;
      column.lower_case = true;
      break;
    default:
      column.fetch = Fetch::kText;  // text, times, intervals, JSON, XML: as the server writes them
      break;
  }
  // The C type each way of fetching binds, in the order of Fetch, and the bytes a value takes
  // where that is fixed.
  static constexpr std::array<std::pair<SQLSMALLINT, std::size_t>, 8> kBindings = {{
      {SQL_C_SBIGINT, sizeof(SQLBIGINT)},
      {SQL_C_DOUBLE, sizeof(SQLDOUBLE)},
      {SQL_C_BIT, sizeof(SQLCHAR)},
      {SQL_C_CHAR, 0},
      {SQL_C_TYPE_DATE, sizeof(SQL_DATE_STRUCT)},
      {SQL_C_TYPE_TIMESTAMP, sizeof(SQL_TIMESTAMP_STRUCT)},
      {SQL_C_WCHAR, 0},
      {SQL_C_BINARY, 0},
  }};
  const auto [c_type, fixed_width] = kBindings[static_cast<std::size_t>(column.fetch)];
  column.c_type = c_type;
  const std::size_t bounded =
      column.size == 0 ? kMaxBoundText : std::min<std::size_t>(column.size, kMaxBoundText);
  std::size_t width = fixed_width;
  if (column.fetch == Fetch::kDecimal) width = std::clamp<std::size_t>(column.size, 20, 120) + 8;
  if (column.fetch == Fetch::kText) width = (bounded + 1) * sizeof(SQLWCHAR);
  // MariaDB Connector/ODBC fails a value it converts to UTF-16 when the buffer cuts a character
  // ("Ansi to Unicode conversion error"): its text is taken as the UTF-8 of the connection's
  // character set (CHARSET=utf8mb4, which Ferry sets), which it passes through unconverted.
  if (column.fetch == Fetch::kText && (dbms == "mariadb" || dbms == "mysql")) {
    column.c_type = SQL_C_CHAR;
    width = bounded * 4 + 1;
  }
  if (column.fetch == Fetch::kBinary) width = bounded;
  if (column.fetch == Fetch::kTimestamp)
    column.digits = std::clamp<SQLSMALLINT>(column.digits, 0, 9);
  column.width = static_cast<SQLLEN>(width);
}

// Room for the value, less the terminator the driver writes after text.
SQLLEN capacity(const Column& column) {
  switch (column.c_type) {
    case SQL_C_WCHAR:
      return column.width - static_cast<SQLLEN>(sizeof(SQLWCHAR));
    case SQL_C_CHAR:
      return column.width - 1;
    default:
      return column.width;
  }
}

// Writes `value` % 100 as two digits at `to`; returns the end.
char* put_two(char* to, unsigned value) {
  to[0] = static_cast<char>('0' + (value / 10) % 10);
  to[1] = static_cast<char>('0' + value % 10);
  return to + 2;
}

char* put_date(char* to, SQLSMALLINT year, unsigned month, unsigned day) {
  const unsigned y = static_cast<unsigned>(std::clamp<int>(year, 0, 9999));
  to = put_two(to, y / 100);
  to = put_two(to, y % 100);
  *to++ = '-';
  to = put_two(to, month);
  *to++ = '-';
  return put_two(to, day);
}

// "2024-05-01", appended to `out`.
void append_date(const SQL_DATE_STRUCT& date, std::string& out) {
  std::array<char, 10> text{};
  char* end = put_date(text.data(), date.year, date.month, date.day);
  out.append(text.data(), end);
}

// "2024-05-01T10:00:00", with `digits` digits of fraction and a "Z" when `zoned`, appended.
void append_timestamp(const SQL_TIMESTAMP_STRUCT& stamp, int digits, bool zoned, std::string& out) {
  std::array<char, 32> text{};
  char* to = put_date(text.data(), stamp.year, stamp.month, stamp.day);
  *to++ = 'T';
  to = put_two(to, stamp.hour);
  *to++ = ':';
  to = put_two(to, stamp.minute);
  *to++ = ':';
  to = put_two(to, stamp.second);
  if (digits > 0) {
    // A fixed number of digits per column, so that text order is time order.
    std::array<char, 9> fraction{};
    std::uint32_t value = stamp.fraction;
    for (int i = 8; i >= 0; --i) {
      fraction[static_cast<std::size_t>(i)] = static_cast<char>('0' + value % 10);
      value /= 10;
    }
    *to++ = '.';
    to = std::copy_n(fraction.data(), std::min(digits, 9), to);
  }
  if (zoned) *to++ = 'Z';
  out.append(text.data(), to);
}

// "2024-05-01", "2024-05-01T10:00:00", "2024-05-01 10:00:00.250", with "Z" or an offset (moved to
// UTC, the session's zone). False when `text` is not such a time.
bool parse_timestamp(std::string_view text, SQL_TIMESTAMP_STRUCT& out) {
  auto number = [&](std::size_t at, std::size_t count, int& value) {
    if (text.size() < at + count) return false;
    const auto [end, ec] = std::from_chars(text.data() + at, text.data() + at + count, value);
    return ec == std::errc() && end == text.data() + at + count;
  };
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!number(0, 4, year) || text.size() < 10 || text[4] != '-' || !number(5, 2, month) ||
      text[7] != '-' || !number(8, 2, day)) {
    return false;
  }
  std::size_t i = 10;
  std::uint32_t fraction = 0;
  int offset_minutes = 0;
  if (i < text.size() && (text[i] == 'T' || text[i] == ' ')) {
    if (!number(i + 1, 2, hour) || text.size() < i + 6 || text[i + 3] != ':' ||
        !number(i + 4, 2, minute)) {
      return false;
    }
    i += 6;
    if (i < text.size() && text[i] == ':') {
      if (!number(i + 1, 2, second)) return false;
      i += 3;
    }
    if (i < text.size() && text[i] == '.') {
      ++i;
      std::uint32_t scale = 100'000'000;
      while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) != 0) {
        fraction += static_cast<std::uint32_t>(text[i] - '0') * scale;
        scale /= 10;
        ++i;
      }
    }
    if (i < text.size() && text[i] == 'Z') {
      ++i;
    } else if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
      const int sign = text[i] == '-' ? -1 : 1;
      int hours = 0, minutes = 0;
      if (!number(i + 1, 2, hours)) return false;
      i += 3;
      if (i < text.size() && text[i] == ':') ++i;
      if (i + 2 <= text.size() && number(i, 2, minutes)) i += 2;
      offset_minutes = sign * (hours * 60 + minutes);
    }
  }
  if (i != text.size() || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 ||
      minute > 59 || second > 60) {
    return false;
  }
  if (offset_minutes != 0) {
    // Civil time to UTC, through days since the epoch.
    using namespace std::chrono;
    const sys_days days =
        year_month_day{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                       std::chrono::day(static_cast<unsigned>(day))};
    const auto moment =
        days + hours(hour) + minutes(minute) + seconds(second) - minutes(offset_minutes);
    const auto new_days = floor<std::chrono::days>(moment);
    const year_month_day date(new_days);
    const hh_mm_ss time(moment - new_days);
    year = static_cast<int>(date.year());
    month = static_cast<int>(static_cast<unsigned>(date.month()));
    day = static_cast<int>(static_cast<unsigned>(date.day()));
    hour = static_cast<int>(time.hours().count());
    minute = static_cast<int>(time.minutes().count());
    second = static_cast<int>(time.seconds().count());
  }
  out.year = static_cast<SQLSMALLINT>(year);
  out.month = static_cast<SQLUSMALLINT>(month);
  out.day = static_cast<SQLUSMALLINT>(day);
  out.hour = static_cast<SQLUSMALLINT>(hour);
  out.minute = static_cast<SQLUSMALLINT>(minute);
  out.second = static_cast<SQLUSMALLINT>(second);
  out.fraction = fraction;
  return true;
}

// ---------------------------------------------------------------------------------------------
// The connection

struct ConnectionCore {
  ConnectionCore() = default;
  ConnectionCore(const ConnectionCore&) = delete;
  ConnectionCore& operator=(const ConnectionCore&) = delete;
  // A connected handle is freed only after a disconnect (ODBC refuses to free it before, and the
  // session would stay open on the server).
  ~ConnectionCore() {
    if (connected) SQLDisconnect(dbc.get());
  }

  OdbcOptions options;
  Handle env;
  Handle dbc;
  bool connected = false;
  std::string dbms;             // "postgresql", "mariadb", "mysql", "microsoft sql server", ...
  bool block_get_data = false;  // SQLGetData works on a row of a block (SQL_GD_BLOCK)
  // psqlODBC named by Driver= (not a DSN, whose settings are the administrator's) with no Fetch=
  // in the connection string: each query sets the rows the driver asks the server for at a time
  // to its own block's (set_driver_fetch).
  bool driver_fetch_per_query = false;
  std::stop_token stop;

  Error error(const Handle& handle, Phase phase, std::string_view doing) const {
    return odbc_error(handle, phase, doing, stop, options.statement_timeout,
                      dbms == "mariadb" || dbms == "mysql");
  }

  Result<void> open();
  Result<void> set_up_session();
  void set_driver_fetch(SQLULEN rows) const;
  Result<void> run(std::string_view statement, std::string* first_value = nullptr);
  bool alive() const {
    SQLUINTEGER dead = SQL_CD_FALSE;
    const SQLRETURN rc = SQLGetConnectAttr(dbc.get(), SQL_ATTR_CONNECTION_DEAD, &dead, 0, nullptr);
    return SQL_SUCCEEDED(rc) && dead == SQL_CD_FALSE;
  }
  // Ends the run's transaction (it wrote nothing: a rollback).
  void end_transaction() { SQLEndTran(SQL_HANDLE_DBC, dbc.get(), SQL_ROLLBACK); }
};

Result<void> ConnectionCore::open() {
  SQLHANDLE raw = nullptr;
  if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &raw))) {
    return make_error(ErrorCode::kInternal, "the ODBC driver manager cannot start");
  }
  env = Handle(SQL_HANDLE_ENV, raw);
  SQLSetEnvAttr(env.get(), SQL_ATTR_ODBC_VERSION, reinterpret_cast<SQLPOINTER>(SQL_OV_ODBC3), 0);
  if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_DBC, env.get(), &raw))) {
    return tl::unexpected(error(env, Phase::kConnect, "connecting to the database"));
  }
  dbc = Handle(SQL_HANDLE_DBC, raw);
  const auto login_seconds = std::max<std::int64_t>(
      1, std::chrono::duration_cast<std::chrono::seconds>(options.connect_timeout).count());
  SQLSetConnectAttr(dbc.get(), SQL_ATTR_LOGIN_TIMEOUT,
                    reinterpret_cast<SQLPOINTER>(static_cast<SQLULEN>(login_seconds)), 0);

  auto password = read_password(options);
  if (!password) return tl::unexpected(password.error());
  const bool with_password = options.password_file.has_value() || !options.password.empty();
  std::string text = full_connection_string(options.connection, options.fetch_rows,
                                            with_password ? &*password : nullptr);
  WideString wide = to_wide(text);
  OPENSSL_cleanse(text.data(), text.size());
  OPENSSL_cleanse(password->data(), password->size());
  const SQLRETURN rc =
      SQLDriverConnectW(dbc.get(), nullptr, wide.data(), static_cast<SQLSMALLINT>(wide.size()),
                        nullptr, 0, nullptr, SQL_DRIVER_NOPROMPT);
  OPENSSL_cleanse(wide.data(), wide.size() * sizeof(SQLWCHAR));
  if (!SQL_SUCCEEDED(rc)) {
    auto failure = error(dbc, Phase::kConnect, "connecting to the database");
    dbc.reset();
    return tl::unexpected(std::move(failure));
  }
  connected = true;

  std::array<SQLWCHAR, 128> name{};
  SQLSMALLINT length = 0;
  if (SQL_SUCCEEDED(SQLGetInfoW(dbc.get(), SQL_DBMS_NAME, name.data(),
                                static_cast<SQLSMALLINT>(name.size() * sizeof(SQLWCHAR)),
                                &length))) {
    dbms = lower(to_utf8(name.data(), static_cast<std::size_t>(length) / sizeof(SQLWCHAR)));
  }
  if (SQL_SUCCEEDED(SQLGetInfoW(dbc.get(), SQL_DBMS_VER, name.data(),
                                static_cast<SQLSMALLINT>(name.size() * sizeof(SQLWCHAR)),
                                &length))) {
    const std::string version =
        lower(to_utf8(name.data(), static_cast<std::size_t>(length) / sizeof(SQLWCHAR)));
    if (version.find("mariadb") != std::string::npos) dbms = "mariadb";
  }
  // Blocks of rows where reading a long value out of the middle of a block is known to work:
  // psqlODBC. MariaDB Connector/ODBC 3.1 says it can (SQL_GD_BLOCK) but hands back the block's
  // first row; it holds the whole result in memory anyway, so one row at a time costs it
  // nothing. Other drivers (FreeTDS, Microsoft's) are untested here: one row at a time.
  SQLUINTEGER extensions = 0;
  if (dbms == "postgresql" &&
      SQL_SUCCEEDED(SQLGetInfo(dbc.get(), SQL_GETDATA_EXTENSIONS, &extensions, 0, nullptr))) {
    block_get_data = (extensions & SQL_GD_BLOCK) != 0 && (extensions & SQL_GD_BOUND) != 0;
  }
  std::array<SQLWCHAR, 64> driver{};
  if (SQL_SUCCEEDED(SQLGetInfoW(dbc.get(), SQL_DRIVER_NAME, driver.data(),
                                static_cast<SQLSMALLINT>(driver.size() * sizeof(SQLWCHAR)),
                                &length))) {
    const std::string file = lower(to_utf8(
        driver.data(), std::min<std::size_t>(static_cast<std::size_t>(length) / sizeof(SQLWCHAR),
                                             driver.size() - 1)));
    const auto attributes = split_connection(options.connection);
    driver_fetch_per_query = file.find("psqlodbc") != std::string::npos &&
                             family_of(attributes) == DriverFamily::kPostgres &&
                             !has_attribute(attributes, "Fetch");
  }
  return set_up_session();
}

// psqlODBC's connection attribute for its Fetch option (SQL_ATTR_PGOPT_FETCH in its pgapifunc.h;
// 13.02, Debian 12's, has it): the rows each FETCH from the server's cursor asks for, the first
// included.
constexpr SQLINTEGER kPsqlodbcFetchAttribute = 65541;

// The driver then asks the server for as many rows as a block holds: fewer than fetch_rows when
// rows are wide, so that what the driver holds of a result is bounded by the same budget as
// Ferry's buffers instead of by fetch_rows rows of any width.
void ConnectionCore::set_driver_fetch(SQLULEN rows) const {
  if (!driver_fetch_per_query) return;
  SQLSetConnectAttr(dbc.get(), kPsqlodbcFetchAttribute, reinterpret_cast<SQLPOINTER>(rows), 0);
}

Result<void> ConnectionCore::run(std::string_view statement, std::string* first_value) {
  SQLHANDLE raw = nullptr;
  if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, dbc.get(), &raw))) {
    return tl::unexpected(error(dbc, Phase::kSession, "setting up the session"));
  }
  Handle stmt(SQL_HANDLE_STMT, raw);
  WideString wide = to_wide(statement);
  if (!SQL_SUCCEEDED(
          SQLExecDirectW(stmt.get(), wide.data(), static_cast<SQLINTEGER>(wide.size())))) {
    return tl::unexpected(
        error(stmt, Phase::kSession, fmt::format("setting up the session ({})", statement)));
  }
  if (first_value != nullptr && SQL_SUCCEEDED(SQLFetch(stmt.get()))) {
    std::array<char, 64> buffer{};
    SQLLEN indicator = 0;
    if (SQL_SUCCEEDED(SQLGetData(stmt.get(), 1, SQL_C_CHAR, buffer.data(),
                                 static_cast<SQLLEN>(buffer.size()), &indicator)) &&
        indicator != SQL_NULL_DATA) {
      *first_value = buffer.data();
    }
  }
  return {};
}

Result<void> ConnectionCore::set_up_session() {
  const auto millis = std::max<std::int64_t>(
      1, std::chrono::duration_cast<std::chrono::milliseconds>(options.statement_timeout).count());
  const std::int64_t seconds = std::max<std::int64_t>(1, (millis + 999) / 1000);
  std::vector<std::string> statements;
  bool snapshot = true;
  if (dbms == "postgresql") {
    statements = {
        "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY",
        "SET TIME ZONE 'UTC'",
        fmt::format("SET statement_timeout = {}", millis),
        fmt::format("SET lock_timeout = {}", millis),
        "SET application_name = 'ferry'",
    };
  } else if (dbms == "mariadb" || dbms == "mysql") {
    statements = {
        "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ",
        "SET SESSION TRANSACTION READ ONLY",
        "SET time_zone = '+00:00'",
        fmt::format("SET SESSION lock_wait_timeout = {}", seconds),
        fmt::format("SET SESSION innodb_lock_wait_timeout = {}", seconds),
        dbms == "mariadb" ? fmt::format("SET SESSION max_statement_time = {}", seconds)
                          : fmt::format("SET SESSION max_execution_time = {}", millis),
    };
  } else if (dbms == "microsoft sql server") {
    statements = {fmt::format("SET LOCK_TIMEOUT {}", millis)};
    std::string state;
    if (auto checked = run("SELECT snapshot_isolation_state FROM sys.databases WHERE name = "
                           "DB_NAME()",
                           &state);
        !checked) {
      return checked;
    }
    snapshot = state == "1";
  } else {
    snapshot = false;
  }
  for (const std::string& statement : statements) {
    if (auto done = run(statement); !done) return done;
  }
  // The server's own guard as well, where the driver passes it on.
  SQLSetConnectAttr(dbc.get(), SQL_ATTR_ACCESS_MODE,
                    reinterpret_cast<SQLPOINTER>(static_cast<SQLULEN>(SQL_MODE_READ_ONLY)), 0);
  if (dbms == "microsoft sql server" && snapshot) {
    constexpr SQLULEN kSnapshot = 0x20;  // SQL_TXN_SS_SNAPSHOT of Microsoft's msodbcsql.h
    SQLSetConnectAttr(dbc.get(), SQL_ATTR_TXN_ISOLATION, reinterpret_cast<SQLPOINTER>(kSnapshot),
                      0);
  }
  // One transaction for the whole run: every stream reads the same snapshot.
  if (!SQL_SUCCEEDED(SQLSetConnectAttr(
          dbc.get(), SQL_ATTR_AUTOCOMMIT,
          reinterpret_cast<SQLPOINTER>(static_cast<SQLULEN>(SQL_AUTOCOMMIT_OFF)), 0))) {
    return tl::unexpected(error(dbc, Phase::kSession, "setting up the session (autocommit off)"));
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// A prepared query

void lower_in_place(std::string& text, std::pair<std::size_t, std::size_t> span) {
  for (std::size_t at = span.first; at < span.first + span.second; ++at)
    text[at] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[at])));
}

// One block of rows: the buffers SQLFetch fills (each column's values and indicators, the rows'
// status), then the rows' cells as step() hands them out. Cells of text, decimals and binary view
// `arena`, which holds their bytes (UTF-8, digits, ISO 8601), values too long for the buffers
// included: those are read whole right after the fetch, while the cursor is on the block.
struct Block {
  std::vector<std::vector<unsigned char>> data;  // per column: width * rows bytes
  std::vector<std::vector<SQLLEN>> indicator;    // per column
  std::vector<SQLUSMALLINT> row_status;
  SQLULEN fetched = 0;
  std::vector<Cell> cells;  // row-major: cells[row * columns + column]
  std::string arena;
  std::vector<std::pair<std::size_t, std::size_t>> spans;  // of each cell's bytes in `arena`
  // Where reading stopped: rows before `good` are ready; after them, `failure` (or, without one,
  // the next block; or the end of the result when `last`).
  std::size_t good = 0;
  std::optional<Error> failure;
  bool last = false;  // no rows after this block
};

class OdbcQuery final : public PreparedQuery {
 public:
  OdbcQuery(ConnectionCore& connection, Handle stmt, ScannedSql scanned)
      : connection_(connection), stmt_(std::move(stmt)), scanned_(std::move(scanned)) {}
  ~OdbcQuery() override { stop_prefetch(); }
  OdbcQuery(const OdbcQuery&) = delete;
  OdbcQuery& operator=(const OdbcQuery&) = delete;

  Result<void> describe();

  const std::vector<std::string>& columns() const override { return names_; }
  const std::vector<std::string>& parameters() const override { return scanned_.parameters; }
  bool reads_only() const override { return scanned_.starts_as_read; }
  Result<void> bind_cursor(const CursorValue& value, std::size_t cursor_column) override;
  Result<bool> step() override;
  Cell cell(std::size_t column) const override {
    return current_->cells[row_ * columns_.size() + column];
  }

 private:
  Result<void> allocate_blocks();
  void fetch(Block& block);
  void prefetch();
  Block* next_block();
  void stop_prefetch();
  Result<void> read_long_value(std::size_t row, std::size_t index, std::string& text);
  void convert_block(Block& block);
  void convert_row(Block& block, std::size_t row) const;
  // A text, decimal or binary value longer than its buffer: fetch() reads it whole.
  bool too_long(const Block& block, std::size_t row, std::size_t i) const {
    const Column& column = columns_[i];
    if (column.fetch != Fetch::kDecimal && column.fetch != Fetch::kText &&
        column.fetch != Fetch::kBinary) {
      return false;
    }
    const SQLLEN indicator = block.indicator[i][row];
    return indicator != SQL_NULL_DATA &&
           (indicator == SQL_NO_TOTAL || indicator > capacity(column));
  }
  Error error(std::string_view doing) const {
    return connection_.error(stmt_, Phase::kQuery, doing);
  }

  ConnectionCore& connection_;
  Handle stmt_;
  ScannedSql scanned_;
  std::vector<std::string> names_;
  std::vector<Column> columns_;
  // The cursor as bound: ODBC reads these when the statement runs.
  SQLBIGINT cursor_integer_ = 0;
  SQLDOUBLE cursor_real_ = 0;
  SQL_TIMESTAMP_STRUCT cursor_stamp_{};
  WideString cursor_text_;
  SQLLEN cursor_indicator_ = 0;

  bool executed_ = false;
  SQLULEN rows_per_block_ = 1;
  // Rows come in blocks. With more than one row per block, a second thread fetches the next
  // block while this one hands out the rows of the current: blocks_[0] and blocks_[1] in turn.
  std::array<Block, 2> blocks_;
  Block* current_ = nullptr;  // the block whose rows step() hands out
  std::size_t row_ = 0;       // index in `current_` of the current row
  std::size_t consumed_ = 0;  // blocks handed out, fetched in the order 0, 1, 0, 1, ...
  bool prefetching_ = false;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::size_t filled_ = 0;        // blocks the fetching thread has fetched (guarded by mutex_)
  bool closing_ = false;          // guarded by mutex_
  bool fetcher_done_ = false;     // the fetching thread fetched the last block (guarded by mutex_)
  const Block* bound_ = nullptr;  // the block whose buffers are bound to the statement
  std::thread fetcher_;
  std::optional<std::stop_callback<std::function<void()>>> cancel_;
};

Result<void> OdbcQuery::describe() {
  SQLSMALLINT count = 0;
  if (!SQL_SUCCEEDED(SQLNumResultCols(stmt_.get(), &count))) {
    return tl::unexpected(error("describing the query's columns"));
  }
  columns_.resize(static_cast<std::size_t>(count));
  for (SQLUSMALLINT i = 1; i <= static_cast<SQLUSMALLINT>(count); ++i) {
    Column& column = columns_[i - 1];
    std::array<SQLWCHAR, 256> name{};
    SQLSMALLINT length = 0;
    SQLSMALLINT nullable = 0;
    if (!SQL_SUCCEEDED(
            SQLDescribeColW(stmt_.get(), i, name.data(), static_cast<SQLSMALLINT>(name.size()),
                            &length, &column.sql_type, &column.size, &column.digits, &nullable))) {
      return tl::unexpected(error("describing the query's columns"));
    }
    column.name = to_utf8(name.data(),
                          std::min<std::size_t>(static_cast<std::size_t>(length), name.size() - 1));
    std::array<SQLWCHAR, 128> type{};
    SQLSMALLINT type_length = 0;
    if (SQL_SUCCEEDED(SQLColAttributeW(stmt_.get(), i, SQL_DESC_TYPE_NAME, type.data(),
                                       static_cast<SQLSMALLINT>(type.size() * sizeof(SQLWCHAR)),
                                       &type_length, nullptr))) {
      column.type_name =
          lower(to_utf8(type.data(), std::min<std::size_t>(
                                         static_cast<std::size_t>(type_length) / sizeof(SQLWCHAR),
                                         type.size() - 1)));
    }
    SQLLEN is_unsigned = SQL_FALSE;
    if (column.sql_type == SQL_BIGINT &&
        SQL_SUCCEEDED(SQLColAttributeW(stmt_.get(), i, SQL_DESC_UNSIGNED, nullptr, 0, nullptr,
                                       &is_unsigned)) &&
        is_unsigned == SQL_TRUE) {
      column.type_name += " unsigned";
    }
    choose_fetch(column, connection_.dbms);
    names_.push_back(column.name);
  }
  return {};
}

Result<void> OdbcQuery::bind_cursor(const CursorValue& value, std::size_t cursor_column) {
  const Column& column = columns_.at(cursor_column);
  SQLSMALLINT c_type = SQL_C_WCHAR;
  SQLSMALLINT sql_type = SQL_WVARCHAR;
  SQLULEN size = 0;
  SQLSMALLINT digits = 0;
  SQLPOINTER data = nullptr;
  SQLLEN length = 0;
  cursor_indicator_ = 0;
  auto as_text = [&](const std::string& text) {
    cursor_text_ = to_wide(text);
    c_type = SQL_C_WCHAR;
    sql_type = SQL_WVARCHAR;
    size = std::max<SQLULEN>(1, cursor_text_.size());
    data = cursor_text_.data();
    length = static_cast<SQLLEN>(cursor_text_.size() * sizeof(SQLWCHAR));
    cursor_indicator_ = length;
  };
  const bool time_column = column.fetch == Fetch::kTimestamp || column.fetch == Fetch::kDate;
  if (time_column) {
    c_type = SQL_C_TYPE_TIMESTAMP;
    sql_type = column.fetch == Fetch::kDate ? SQL_TYPE_DATE : SQL_TYPE_TIMESTAMP;
    size = column.fetch == Fetch::kDate ? 10 : static_cast<SQLULEN>(20 + column.digits);
    digits = column.fetch == Fetch::kDate ? 0 : column.digits;
    data = &cursor_stamp_;
    length = sizeof(cursor_stamp_);
  } else if (column.fetch == Fetch::kBigint) {
    c_type = SQL_C_SBIGINT;
    sql_type = SQL_BIGINT;
    data = &cursor_integer_;
  } else if (column.fetch == Fetch::kDouble || column.fetch == Fetch::kDecimal) {
    c_type = SQL_C_DOUBLE;
    sql_type = SQL_DOUBLE;
    data = &cursor_real_;
  }
  if (value.is_null()) {
    cursor_indicator_ = SQL_NULL_DATA;
    if (data == nullptr) {
      cursor_text_.assign(1, 0);
      data = cursor_text_.data();
      size = 1;
    }
  } else if (const auto* integer = value.as_integer()) {
    if (time_column) {
      return make_error(ErrorCode::kConfig,
                        "the stored cursor is a number but the cursor column is a date or time");
    }
    if (c_type == SQL_C_DOUBLE) {
      cursor_real_ = static_cast<double>(*integer);
    } else {
      c_type = SQL_C_SBIGINT;
      sql_type = SQL_BIGINT;
      cursor_integer_ = *integer;
      data = &cursor_integer_;
    }
  } else if (const auto* real = value.as_real()) {
    c_type = SQL_C_DOUBLE;
    sql_type = SQL_DOUBLE;
    cursor_real_ = *real;
    data = &cursor_real_;
  } else if (const auto* text = value.as_text()) {
    if (time_column) {
      if (!parse_timestamp(*text, cursor_stamp_)) {
        return make_error(ErrorCode::kConfig,
                          "the stored cursor is not an ISO 8601 time, but the cursor column '{}' "
                          "is a {}",
                          column.name, column.type_name);
      }
    } else {
      as_text(*text);
    }
  }
  for (SQLUSMALLINT marker = 1; marker <= scanned_.cursor_markers; ++marker) {
    const SQLRETURN rc = SQLBindParameter(stmt_.get(), marker, SQL_PARAM_INPUT, c_type, sql_type,
                                          size, digits, data, length, &cursor_indicator_);
    if (!SQL_SUCCEEDED(rc)) return tl::unexpected(error("binding :cursor"));
  }
  return {};
}

Result<void> OdbcQuery::allocate_blocks() {
  SQLLEN row_width = 0;
  for (const Column& column : columns_)
    row_width += column.width + static_cast<SQLLEN>(sizeof(SQLLEN));
  rows_per_block_ = std::clamp<SQLULEN>(
      kBlockBudget / blocks_.size() / static_cast<SQLULEN>(std::max<SQLLEN>(row_width, 1)), 1,
      std::max<std::size_t>(connection_.options.fetch_rows, 1));
  if (!connection_.block_get_data) rows_per_block_ = 1;
  SQLSetStmtAttr(stmt_.get(), SQL_ATTR_ROW_BIND_TYPE,
                 reinterpret_cast<SQLPOINTER>(static_cast<SQLULEN>(SQL_BIND_BY_COLUMN)), 0);
  if (!SQL_SUCCEEDED(SQLSetStmtAttr(stmt_.get(), SQL_ATTR_ROW_ARRAY_SIZE,
                                    reinterpret_cast<SQLPOINTER>(rows_per_block_), 0))) {
    rows_per_block_ = 1;
  }
  prefetching_ = rows_per_block_ > 1;
  connection_.set_driver_fetch(rows_per_block_);
  for (std::size_t b = 0; b < (prefetching_ ? blocks_.size() : 1); ++b) {
    Block& block = blocks_[b];
    block.data.resize(columns_.size());
    block.indicator.resize(columns_.size());
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      block.data[i].assign(static_cast<std::size_t>(columns_[i].width) * rows_per_block_, 0);
      block.indicator[i].assign(rows_per_block_, 0);
    }
    block.row_status.assign(rows_per_block_, SQL_ROW_SUCCESS);
  }
  return {};
}

// Fetches the next rows into `block` (binding its buffers: the blocks take turns), checks each
// row's status and reads the values too long for the buffers into the arena; convert_block()
// makes the cells. Runs on the fetching thread when there is one: everything it learns, errors
// included, goes into the block.
void OdbcQuery::fetch(Block& block) {
  block.fetched = 0;
  block.good = 0;
  block.failure.reset();
  block.last = false;
  auto fail = [&](Error error) {  // rows before block.good stay good
    block.failure = std::move(error);
    block.last = true;
  };
  if (bound_ != &block) {
    SQLSetStmtAttr(stmt_.get(), SQL_ATTR_ROW_STATUS_PTR, block.row_status.data(), 0);
    SQLSetStmtAttr(stmt_.get(), SQL_ATTR_ROWS_FETCHED_PTR, &block.fetched, 0);
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      if (!SQL_SUCCEEDED(SQLBindCol(stmt_.get(), static_cast<SQLUSMALLINT>(i + 1),
                                    columns_[i].c_type, block.data[i].data(), columns_[i].width,
                                    block.indicator[i].data()))) {
        return fail(error(fmt::format("binding column '{}'", columns_[i].name)));
      }
    }
    bound_ = &block;
  }
  const SQLRETURN rc = SQLFetch(stmt_.get());
  if (rc == SQL_NO_DATA) block.fetched = 0;
  if (rc != SQL_NO_DATA && !SQL_SUCCEEDED(rc)) return fail(error("reading the query's rows"));
  if (block.fetched == 0) {
    block.last = true;
    return;
  }
  const std::size_t width = columns_.size();
  block.cells.assign(block.fetched * width, Cell{});
  block.spans.assign(block.fetched * width, {0, 0});
  block.arena.clear();
  std::string scratch;
  for (std::size_t row = 0; row < block.fetched; ++row) {
    if (block.row_status[row] == SQL_ROW_ERROR) {
      // MariaDB Connector/ODBC marks a row whose value did not fit its buffer as an error, where
      // ODBC says "success with info" (01004): that is read in pieces below, not a failure.
      bool truncated = false;
      for (std::size_t i = 0; i < width; ++i) truncated = truncated || too_long(block, row, i);
      if (!truncated) return fail(error("reading a row"));
    }
    for (std::size_t i = 0; i < width; ++i) {
      if (!too_long(block, row, i)) continue;
      if (auto read = read_long_value(row, i, scratch); !read) return fail(read.error());
      block.spans[row * width + i] = {block.arena.size(), scratch.size()};
      block.arena += scratch;
    }
    block.good = row + 1;
  }
}

// Turns the rows of a block into cells, on the reading thread: the fetching thread waits for the
// server and runs the driver's own conversions, which take longer than the pipeline's work with
// the rows (docs/benchmarks.md, "SQL source").
void OdbcQuery::convert_block(Block& block) {
  for (std::size_t row = 0; row < block.good; ++row) convert_row(block, row);
  // The arena has stopped growing: the cells may view it now.
  for (std::size_t k = 0; k < block.good * columns_.size(); ++k) {
    Cell& cell = block.cells[k];
    if (cell.type == CellType::kText || cell.type == CellType::kDecimal ||
        cell.type == CellType::kBlob) {
      cell.bytes =
          std::string_view(block.arena).substr(block.spans[k].first, block.spans[k].second);
    }
  }
}

// The fetching thread: fills the block the reading thread is not on, and waits while both are
// full. It stops after the last block, or when the query is destroyed.
void OdbcQuery::prefetch() {
  for (std::size_t next = 1;; ++next) {
    {
      std::unique_lock lock(mutex_);
      // Block `next` may be filled once block `next - 2`, which it reuses, has been handed out
      // and left (the reader is on `next - 1` or later: consumed_ >= next).
      changed_.wait(lock, [&] { return closing_ || consumed_ >= next; });
      if (closing_) return;
    }
    Block& block = blocks_[next % blocks_.size()];
    try {
      fetch(block);
    } catch (const std::exception& e) {
      block.good = 0;
      block.failure =
          Error{ErrorCode::kInternal, std::string("reading the query's rows: ") + e.what()};
      block.last = true;
    }
    {
      std::lock_guard lock(mutex_);
      filled_ = next + 1;
      fetcher_done_ = block.last;
    }
    changed_.notify_all();
    if (block.last) return;
  }
}

// The next block to hand out: with a fetching thread, waits for it; without, fetches it here.
Block* OdbcQuery::next_block() {
  if (!prefetching_) {
    fetch(blocks_[0]);
    return &blocks_[0];
  }
  std::unique_lock lock(mutex_);
  ++consumed_;  // leaves the current block to the fetching thread
  changed_.notify_all();
  changed_.wait(lock, [&] { return filled_ >= consumed_; });
  return &blocks_[(consumed_ - 1) % blocks_.size()];
}

// Before the statement goes: a fetch in progress is cancelled (the reader has left early, after a
// failure of its own), and the fetching thread ends.
void OdbcQuery::stop_prefetch() {
  if (!fetcher_.joinable()) return;
  bool fetching = false;
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
    fetching = !fetcher_done_;
  }
  changed_.notify_all();
  if (fetching) SQLCancel(stmt_.get());
  fetcher_.join();
}

// The whole of a value that did not fit its bound buffer, read in pieces with SQLGetData.
Result<void> OdbcQuery::read_long_value(std::size_t row, std::size_t index, std::string& text) {
  const Column& column = columns_[index];
  const auto number = static_cast<SQLUSMALLINT>(index + 1);
  if (rows_per_block_ > 1 &&
      !SQL_SUCCEEDED(SQLSetPos(stmt_.get(), static_cast<SQLSETPOSIROW>(row + 1), SQL_POSITION,
                               SQL_LOCK_NO_CHANGE))) {
    return tl::unexpected(error(fmt::format("reading the long value of column '{}'", column.name)));
  }
  std::vector<unsigned char> chunk(kGetDataChunk);
  std::string bytes;
  WideString wide;
  for (;;) {
    SQLLEN indicator = 0;
    const SQLRETURN rc = SQLGetData(stmt_.get(), number, column.c_type, chunk.data(),
                                    static_cast<SQLLEN>(chunk.size()), &indicator);
    if (rc == SQL_NO_DATA) break;
    if (!SQL_SUCCEEDED(rc)) {
      return tl::unexpected(
          error(fmt::format("reading the long value of column '{}'", column.name)));
    }
    if (indicator == SQL_NULL_DATA) break;
    std::size_t got = chunk.size();
    if (column.c_type == SQL_C_WCHAR) got -= sizeof(SQLWCHAR);
    if (column.c_type == SQL_C_CHAR) got -= 1;
    if (indicator != SQL_NO_TOTAL && static_cast<std::size_t>(indicator) < got) {
      got = static_cast<std::size_t>(indicator);
    }
    if (column.c_type == SQL_C_WCHAR) {
      wide.append(reinterpret_cast<const SQLWCHAR*>(chunk.data()), got / sizeof(SQLWCHAR));
    } else {
      bytes.append(reinterpret_cast<const char*>(chunk.data()), got);
    }
    if (rc == SQL_SUCCESS) break;  // SQL_SUCCESS_WITH_INFO (01004): more to come
  }
  if (column.c_type == SQL_C_WCHAR) {
    text.clear();
    append_utf8(wide.data(), wide.size(), text);
  } else {
    text = std::move(bytes);
  }
  return {};
}

// Turns row `row` of `block` into its cells; the bytes of text, decimals, times and binary go to
// the block's arena (their views are set once the whole block is in), where the values too long
// for the buffers already are.
void OdbcQuery::convert_row(Block& block, std::size_t row) const {
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    const Column& column = columns_[i];
    const std::size_t k = row * columns_.size() + i;
    Cell& cell = block.cells[k];
    const SQLLEN indicator = block.indicator[i][row];
    const unsigned char* data = block.data[i].data() + static_cast<std::size_t>(column.width) * row;
    if (indicator == SQL_NULL_DATA) continue;
    const std::size_t start = block.arena.size();
    switch (column.fetch) {
      case Fetch::kBigint: {
        SQLBIGINT value = 0;
        std::memcpy(&value, data, sizeof(value));
        cell.type = CellType::kInteger;
        cell.integer = value;
        continue;
      }
      case Fetch::kDouble: {
        SQLDOUBLE value = 0;
        std::memcpy(&value, data, sizeof(value));
        cell.type = CellType::kReal;
        cell.real = value;
        continue;
      }
      case Fetch::kBit:
        cell.type = CellType::kBool;
        cell.integer = data[0] != 0 ? 1 : 0;
        continue;
      case Fetch::kDate: {
        SQL_DATE_STRUCT value{};
        std::memcpy(&value, data, sizeof(value));
        append_date(value, block.arena);
        cell.type = CellType::kText;
        break;
      }
      case Fetch::kTimestamp: {
        SQL_TIMESTAMP_STRUCT value{};
        std::memcpy(&value, data, sizeof(value));
        append_timestamp(value, column.digits, column.zoned, block.arena);
        cell.type = CellType::kText;
        break;
      }
      case Fetch::kDecimal:
      case Fetch::kText:
      case Fetch::kBinary:
        cell.type = column.fetch == Fetch::kText      ? CellType::kText
                    : column.fetch == Fetch::kDecimal ? CellType::kDecimal
                                                      : CellType::kBlob;
        if (too_long(block, row, i)) {
          // Read whole by fetch(), already in the arena.
          if (column.lower_case) lower_in_place(block.arena, block.spans[k]);
          continue;
        }
        if (column.c_type == SQL_C_WCHAR) {
          append_utf8(reinterpret_cast<const SQLWCHAR*>(data),
                      static_cast<std::size_t>(indicator) / sizeof(SQLWCHAR), block.arena);
        } else {
          block.arena.append(reinterpret_cast<const char*>(data),
                             static_cast<std::size_t>(indicator));
        }
        block.spans[k] = {start, block.arena.size() - start};
        if (column.lower_case) lower_in_place(block.arena, block.spans[k]);
        continue;
    }
    block.spans[k] = {start, block.arena.size() - start};
  }
}

Result<bool> OdbcQuery::step() {
  if (!executed_) {
    if (auto allocated = allocate_blocks(); !allocated) return tl::unexpected(allocated.error());
    std::function<void()> cancel = [stmt = stmt_.get()] { SQLCancel(stmt); };
    cancel_.emplace(connection_.stop, std::move(cancel));
    const SQLRETURN rc = SQLExecute(stmt_.get());
    if (!SQL_SUCCEEDED(rc) && rc != SQL_NO_DATA) {
      return tl::unexpected(error("running the query"));
    }
    executed_ = true;
    // The first block is fetched here; from then on a fetching thread, where there is one, keeps
    // one block ahead.
    fetch(blocks_[0]);
    current_ = &blocks_[0];
    if (prefetching_ && !current_->last) {
      filled_ = 1;
      consumed_ = 1;
      fetcher_ = std::thread([this] { prefetch(); });
    }
    convert_block(*current_);
    row_ = 0;
  } else {
    ++row_;
  }
  for (;;) {
    if (row_ < current_->good) return true;
    if (current_->failure) return tl::unexpected(*current_->failure);
    if (current_->last) return false;
    current_ = next_block();
    convert_block(*current_);
    row_ = 0;
  }
}

// ---------------------------------------------------------------------------------------------
// The engine

class OdbcConnection final : public QueryConnection {
 public:
  explicit OdbcConnection(std::unique_ptr<ConnectionCore> core,
                          std::function<void(std::unique_ptr<ConnectionCore>)> release)
      : core_(std::move(core)), release_(std::move(release)) {}
  ~OdbcConnection() override {
    core_->end_transaction();
    release_(std::move(core_));
  }
  OdbcConnection(const OdbcConnection&) = delete;
  OdbcConnection& operator=(const OdbcConnection&) = delete;

  bool lost() const override { return !core_->alive(); }

  Result<std::unique_ptr<PreparedQuery>> prepare(std::string_view sql) override {
    ScannedSql scanned = scan_sql(sql);
    SQLHANDLE raw = nullptr;
    if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, core_->dbc.get(), &raw))) {
      return tl::unexpected(core_->error(core_->dbc, Phase::kQuery, "preparing the query"));
    }
    Handle stmt(SQL_HANDLE_STMT, raw);
    // A statement that does not even start as a read never reaches the server: prepare_stream
    // refuses it by reads_only().
    if (!scanned.starts_as_read) {
      return std::make_unique<OdbcQuery>(*core_, std::move(stmt), std::move(scanned));
    }
    WideString text = to_wide(scanned.odbc_text);
    if (!SQL_SUCCEEDED(
            SQLPrepareW(stmt.get(), text.data(), static_cast<SQLINTEGER>(text.size())))) {
      return tl::unexpected(core_->error(stmt, Phase::kQuery, "preparing the query"));
    }
    auto query = std::make_unique<OdbcQuery>(*core_, std::move(stmt), std::move(scanned));
    if (auto described = query->describe(); !described) return tl::unexpected(described.error());
    return query;
  }

 private:
  std::unique_ptr<ConnectionCore> core_;
  std::function<void(std::unique_ptr<ConnectionCore>)> release_;
};

class OdbcEngine final : public QueryEngine {
 public:
  explicit OdbcEngine(OdbcOptions options) : options_(std::move(options)) {}

  Result<std::unique_ptr<QueryConnection>> connect(std::stop_token stop) override {
    std::unique_ptr<ConnectionCore> core;
    {
      std::lock_guard lock(mutex_);
      core = std::move(idle_);
    }
    if (core && !core->alive()) core.reset();
    if (!core) {
      core = std::make_unique<ConnectionCore>();
      core->options = options_;
      core->stop = stop;
      if (auto opened = core->open(); !opened) return tl::unexpected(opened.error());
    }
    core->stop = std::move(stop);
    return std::make_unique<OdbcConnection>(std::move(core),
                                            [this](std::unique_ptr<ConnectionCore> done) {
                                              if (!options_.keep_open || !done->alive()) return;
                                              std::lock_guard lock(mutex_);
                                              idle_ = std::move(done);
                                            });
  }

 private:
  OdbcOptions options_;
  std::mutex mutex_;
  std::unique_ptr<ConnectionCore> idle_;  // kept between runs with keep_open
};

}  // namespace

Result<std::unique_ptr<QueryEngine>> make_odbc_engine(OdbcOptions options) {
  for (const Attribute& attribute : split_connection(options.connection)) {
    const std::string key = lower(attribute.key);
    if (key == "pwd" || key == "password") {
      return make_error(ErrorCode::kConfig,
                        "connection holds a password ({}=): remove it and give the password with "
                        "password_file (or password: ${{VARIABLE}}), so that it never shows in "
                        "the configuration",
                        attribute.key);
    }
  }
  if (options.connection.empty()) {
    return make_error(ErrorCode::kConfig, "connection is empty: give an ODBC connection string");
  }
  return std::make_unique<OdbcEngine>(std::move(options));
}

}  // namespace ferry::connectors::sql
