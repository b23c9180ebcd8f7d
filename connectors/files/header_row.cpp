#include "connectors/files/header_row.hpp"

#include <algorithm>

#include "connectors/files/text.hpp"

namespace ferry::connectors::files {

Result<std::vector<std::string>> read_header_row(CsvReader& reader, const std::string& file) {
  auto outcome = reader.next();
  if (!outcome) return tl::unexpected(in_file(std::move(outcome.error()), file, reader));
  if (*outcome == CsvReader::Outcome::kEnd) {
    return make_error(ErrorCode::kCorrupt,
                      "{} is empty, without even a header row: export the data again (a file "
                      "without rows still needs its header)",
                      file);
  }
  if (*outcome == CsvReader::Outcome::kBadRecord) {
    return make_error(ErrorCode::kCorrupt,
                      "{}:{}: the header row is malformed ({}): export "
                      "the data again",
                      file, reader.line(), reader.reason());
  }
  const auto fields = reader.fields();
  std::size_t named = fields.size();
  while (named > 0 && trim(fields[named - 1]).empty()) --named;
  if (named == 0) {
    return make_error(ErrorCode::kCorrupt,
                      "{}:{}: the header row names no column: export the "
                      "data again",
                      file, reader.line());
  }
  std::vector<std::string> columns;
  columns.reserve(named);
  for (std::size_t i = 0; i < named; ++i) {
    if (trim(fields[i]).empty()) {
      return make_error(ErrorCode::kCorrupt,
                        "{}:{}: column {} of the header has no name: name it or remove it", file,
                        reader.line(), i + 1);
    }
    if (std::find(columns.begin(), columns.end(), fields[i]) != columns.end()) {
      return make_error(ErrorCode::kCorrupt,
                        "{}:{}: column '{}' appears twice in the header: remove one of them", file,
                        reader.line(), fields[i]);
    }
    columns.emplace_back(fields[i]);
  }
  reader.expect_fields(named, fields.size());
  return columns;
}

}  // namespace ferry::connectors::files
