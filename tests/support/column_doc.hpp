// The column tables of the API connectors' documents (docs/connectors/{edfi,canvas}.md): under a
// heading `### <stream>`, a table `| column | JSON pointer | preset |` with a row per column. For
// the tests that keep the documents and the connectors' tables in step.
#pragma once

#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "common/config/settings.hpp"
#include "tests/support/doc_table.hpp"

namespace ferry::test {

struct DocumentedColumn {
  std::string name;
  std::string pointer;
  std::string preset;
  bool operator==(const DocumentedColumn&) const = default;
};

inline std::ostream& operator<<(std::ostream& out, const DocumentedColumn& column) {
  return out << "| " << column.name << " | " << column.pointer << " | " << column.preset << " |";
}

inline std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The rows of the column table under `heading`.
inline std::vector<DocumentedColumn> documented_columns(const std::string& doc,
                                                        const std::string& heading) {
  std::vector<DocumentedColumn> rows;
  for (const auto& cells : table_under(doc, heading, "| column")) {
    if (cells.size() >= 3) rows.push_back({cells[0], cells[1], cells[2]});
  }
  return rows;
}

// The heading over each column table, as written ("### users").
inline std::vector<std::string> column_table_headings(const std::string& doc) {
  std::vector<std::string> headings;
  std::stringstream lines(doc);
  std::string heading;
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("#")) {
      heading = line;
    } else if (line.starts_with("| column")) {
      headings.push_back(heading);
    }
  }
  return headings;
}

// How the documents write a column's policy in a preset.
inline std::string preset_text(const config::FieldPolicy& policy) {
  switch (policy.transform) {
    case config::Transform::kKeep:
      return "keep";
    case config::Transform::kDrop:
      return "drop";
    case config::Transform::kPseudonymize:
      return "pseudonymize (" + policy.domain + ")";
    case config::Transform::kGeneralize:
      return policy.generalize.kind == config::Generalize::Kind::kYear ? "year" : "generalize?";
    case config::Transform::kHash:
      return "hash (" + policy.domain + ")";
  }
  return "?";
}

}  // namespace ferry::test
