// The header row of a CSV file: the column names every file connector takes its columns from.
#pragma once

#include <string>
#include <vector>

#include "common/error/error.hpp"
#include "connectors/files/csv_reader.hpp"

namespace ferry::connectors::files {

// Reads the first record of `reader` as column names (`file`: how messages name the file) and
// tells the reader how many fields rows must have. Trailing empty names ("...,orgSourcedId,,")
// name no column: they are left out, and rows may stop before them or carry them empty. An empty
// file, a malformed header, an empty name among the others or a name given twice is kCorrupt,
// with the file, the line and the fix.
Result<std::vector<std::string>> read_header_row(CsvReader& reader, const std::string& file);

}  // namespace ferry::connectors::files
