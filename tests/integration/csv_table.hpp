// A whole CSV file in memory (RFC 4180), to read back what ferry-gen-oneroster wrote and to edit
// it. For test-sized files only.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::test {

class CsvTable {
 public:
  static CsvTable load(const std::filesystem::path& path);
  // Writes the table back (quoting where needed, CRLF line ends).
  void save(const std::filesystem::path& path) const;

  const std::vector<std::string>& header() const { return header_; }
  std::vector<std::vector<std::string>>& rows() { return rows_; }
  const std::vector<std::vector<std::string>>& rows() const { return rows_; }
  // Index of a column; fails the test when it is not there.
  std::size_t column(std::string_view name) const;
  // Every value of one column, in row order.
  std::vector<std::string> values(std::string_view name) const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace ferry::test
