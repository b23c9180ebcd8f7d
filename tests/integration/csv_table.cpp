#include "tests/integration/csv_table.hpp"

#include <algorithm>
#include <fstream>

#include <catch2/catch.hpp>

#include "tests/support/temp_dir.hpp"

namespace ferry::test {
namespace {

// Parses RFC 4180 text: quoted fields, doubled quotes, CRLF or LF line ends.
std::vector<std::vector<std::string>> parse(std::string_view text) {
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record;
  std::string field;
  bool quoted = false;
  bool at_field_start = true;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field.push_back(c);
      }
      continue;
    }
    if (c == '"' && at_field_start) {
      quoted = true;
      at_field_start = false;
    } else if (c == ',') {
      record.push_back(std::move(field));
      field.clear();
      at_field_start = true;
    } else if (c == '\r' || c == '\n') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      record.push_back(std::move(field));
      field.clear();
      records.push_back(std::move(record));
      record.clear();
      at_field_start = true;
    } else {
      field.push_back(c);
      at_field_start = false;
    }
  }
  if (!at_field_start || !record.empty()) {
    record.push_back(std::move(field));
    records.push_back(std::move(record));
  }
  return records;
}

void append_field(std::string& out, const std::string& value) {
  if (value.find_first_of(",\"\r\n") == std::string::npos) {
    out += value;
    return;
  }
  out.push_back('"');
  for (char c : value) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

}  // namespace

CsvTable CsvTable::load(const std::filesystem::path& path) {
  CsvTable table;
  table.rows_ = parse(read_file(path));
  REQUIRE_FALSE(table.rows_.empty());
  // The first record is the header: swapped out, then its slot removed.
  table.header_.swap(table.rows_.front());
  table.rows_.erase(table.rows_.begin());
  for (const auto& row : table.rows_) REQUIRE(row.size() == table.header_.size());
  return table;
}

void CsvTable::save(const std::filesystem::path& path) const {
  std::string out;
  auto append_record = [&](const std::vector<std::string>& record) {
    for (std::size_t i = 0; i < record.size(); ++i) {
      if (i > 0) out.push_back(',');
      append_field(out, record[i]);
    }
    out += "\r\n";
  };
  append_record(header_);
  for (const auto& row : rows_) append_record(row);
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << out;
  REQUIRE(file.good());
}

std::size_t CsvTable::column(std::string_view name) const {
  const auto found = std::find(header_.begin(), header_.end(), name);
  REQUIRE(found != header_.end());
  return static_cast<std::size_t>(found - header_.begin());
}

std::vector<std::string> CsvTable::values(std::string_view name) const {
  const std::size_t index = column(name);
  std::vector<std::string> out;
  out.reserve(rows_.size());
  for (const auto& row : rows_) out.push_back(row[index]);
  return out;
}

}  // namespace ferry::test
