// The value of a stream's cursor column, typed as the database returned it. Keeping the type
// matters: the value is bound to :cursor on the next read, and SQL compares an integer 10 and a
// text '9' differently from two integers. Engine-neutral (shared with a future ODBC engine).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace ferry::connectors::sqlite_query {

struct CursorValue {
  std::variant<std::monostate, std::int64_t, double, std::string> value;

  static CursorValue null() { return {}; }
  static CursorValue integer(std::int64_t number) { return {number}; }
  static CursorValue real(double number) { return {number}; }
  static CursorValue text(std::string text) { return {std::move(text)}; }

  bool is_null() const { return std::holds_alternative<std::monostate>(value); }
  const std::int64_t* as_integer() const { return std::get_if<std::int64_t>(&value); }
  const double* as_real() const { return std::get_if<double>(&value); }
  const std::string* as_text() const { return std::get_if<std::string>(&value); }

  bool operator==(const CursorValue&) const = default;
};

// "null", "integer", "real" or "text", for messages.
std::string_view type_name(const CursorValue& value);

// Orders two values as SQLite does under the BINARY collation: NULL first, then numbers by value
// (an integer and a real compared exactly), then text byte by byte. Negative, zero or positive.
int compare(const CursorValue& a, const CursorValue& b);

}  // namespace ferry::connectors::sqlite_query
