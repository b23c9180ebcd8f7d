// Reading the tables of the connector documents (docs/connectors/*.md), for the tests that keep
// them in step with the code (the presets, the column aliases).
#pragma once

#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::test {

// `text` without the spaces and backquotes around it: " `sourcedId` " -> "sourcedId".
inline std::string cell_text(std::string_view text) {
  const auto first = text.find_first_not_of(" `");
  if (first == std::string_view::npos) return "";
  return std::string(text.substr(first, text.find_last_not_of(" `") - first + 1));
}

// The cells of a table's data row ("| `a` | b |" -> {"a", "b"}); none for any other line: text,
// the separator row ("|---"), or the header row (the one that starts with `header`).
inline std::vector<std::string> table_row(std::string_view line, std::string_view header) {
  if (!line.starts_with("|") || line.starts_with("|--") || line.starts_with(header)) return {};
  std::vector<std::string> cells;
  std::stringstream row{std::string(line.substr(1))};
  for (std::string cell; std::getline(row, cell, '|');) cells.push_back(cell_text(cell));
  return cells;
}

// The cells of each data row of the table under the Markdown heading `heading` ("### users"),
// whose header row starts with `header`: the rows up to the next heading.
inline std::vector<std::vector<std::string>> table_under(const std::string& doc,
                                                         std::string_view heading,
                                                         std::string_view header) {
  std::vector<std::vector<std::string>> rows;
  std::stringstream lines(doc);
  bool inside = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("#")) {
      inside = line == heading;
      continue;
    }
    if (!inside) continue;
    auto cells = table_row(line, header);
    if (!cells.empty()) rows.push_back(std::move(cells));
  }
  return rows;
}

}  // namespace ferry::test
