// Turns the cells of one result row into the Values a RowSink takes. Buffers are reused from row
// to row, so memory stays bounded by the widest row. Engine-neutral.
//
//   INTEGER, REAL -> kNumber in JSON number syntax (reals in shortest round-trip form)
//   TEXT          -> kString, viewed in place; it must be valid UTF-8
//   BLOB          -> kString of lowercase hex, two digits per byte (BinaryText::kHex, SQLite), or
//                    of standard base64 with padding (BinaryText::kBase64, ODBC)
//   DECIMAL       -> kNumber, the digits as the server wrote them ("-0.50", never rounded);
//                    NaN and infinities are refused
//   BOOLEAN       -> kBool
//   NULL          -> kNull
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/api/row.hpp"
#include "connectors/sqlite_query/query_engine.hpp"

namespace ferry::connectors::sqlite_query {

enum class BinaryText : std::uint8_t { kHex, kBase64 };

class RowConverter {
 public:
  explicit RowConverter(std::vector<std::string> columns, BinaryText binary = BinaryText::kHex);

  // Converts the current row of `query`. nullopt when done; otherwise why the row cannot be sent
  // ("column 'note' holds text that is not valid UTF-8"), naming the column but never the value.
  std::optional<std::string> convert(const PreparedQuery& query);

  // The values of the last converted row; valid until the query's next step() or convert().
  RowView values() const { return values_; }

 private:
  std::vector<std::string> columns_;
  BinaryText binary_;
  std::vector<std::string> buffers_;  // text of numbers and hex, one per column
  std::vector<Value> values_;
};

bool is_valid_utf8(std::string_view text);

// Decodes the UTF-8 sequence at text[at] (at < text.size()) into `code`: its length in bytes, or 0
// when it is not valid UTF-8 (cut short, overlong, a surrogate, above U+10FFFF).
std::size_t next_code_point(std::string_view text, std::size_t at, std::uint32_t& code);

// Writes a DECIMAL's text as a JSON number into `out`: digits with an optional sign, point and
// exponent; a missing leading zero is added (".5" -> "0.5"). False for anything else ("NaN").
bool decimal_as_json_number(std::string_view text, std::string& out);

// Shortest text that reads back as the same double; JSON number syntax for finite values.
void format_real(double value, std::string& out);

}  // namespace ferry::connectors::sqlite_query
