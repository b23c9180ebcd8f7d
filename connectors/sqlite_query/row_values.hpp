// Turns the cells of one result row into the Values a RowSink takes. Buffers are reused from row
// to row, so memory stays bounded by the widest row. Engine-neutral.
//
//   INTEGER, REAL -> kNumber in JSON number syntax (reals in shortest round-trip form)
//   TEXT          -> kString, viewed in place; it must be valid UTF-8
//   BLOB          -> kString of lowercase hex, two digits per byte
//   NULL          -> kNull
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/api/row.hpp"
#include "connectors/sqlite_query/query_engine.hpp"

namespace ferry::connectors::sqlite_query {

class RowConverter {
 public:
  explicit RowConverter(std::vector<std::string> columns);

  // Converts the current row of `query`. nullopt when done; otherwise why the row cannot be sent
  // ("column 'note' holds text that is not valid UTF-8"), naming the column but never the value.
  std::optional<std::string> convert(const PreparedQuery& query);

  // The values of the last converted row; valid until the query's next step() or convert().
  RowView values() const { return values_; }

 private:
  std::vector<std::string> columns_;
  std::vector<std::string> buffers_;  // text of numbers and hex, one per column
  std::vector<Value> values_;
};

bool is_valid_utf8(std::string_view text);

// Shortest text that reads back as the same double; JSON number syntax for finite values.
void format_real(double value, std::string& out);

}  // namespace ferry::connectors::sqlite_query
