// docs/connectors/edfi.md lists, resource by resource, every column the connector makes, the JSON
// pointer it reads it from and what `preset: edfi` does with it: the document and resources.cpp
// must agree.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>

#include "connectors/edfi/resources.hpp"
#include "tests/support/doc_table.hpp"

namespace ferry::test {
namespace {

namespace edfi = connectors::edfi;

const std::filesystem::path kDoc =
    std::filesystem::path(FERRY_SOURCE_DIR) / "docs/connectors/edfi.md";

std::string read_doc() {
  std::ifstream in(kDoc);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

struct DocumentedColumn {
  std::string name;
  std::string pointer;
  std::string preset;
  bool operator==(const DocumentedColumn&) const = default;
};

std::ostream& operator<<(std::ostream& out, const DocumentedColumn& column) {
  return out << "| " << column.name << " | " << column.pointer << " | " << column.preset << " |";
}

// The rows of the table under `heading`.
std::vector<DocumentedColumn> documented(const std::string& doc, const std::string& heading) {
  std::vector<DocumentedColumn> rows;
  for (const auto& cells : table_under(doc, heading, "| column")) {
    if (cells.size() >= 3) rows.push_back({cells[0], cells[1], cells[2]});
  }
  return rows;
}

// How the document writes a column's policy in the preset.
std::string preset_text(const config::FieldPolicy& policy) {
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

TEST_CASE("edfi.md lists every column with its JSON pointer and preset policy", "[edfi][docs]") {
  INFO("document: " << kDoc.string());
  REQUIRE(std::filesystem::exists(kDoc));
  const std::string doc = read_doc();
  REQUIRE_FALSE(doc.empty());
  for (const edfi::KnownResource& resource : edfi::known_resources()) {
    const std::string heading = "### " + resource.stream;
    INFO(heading);
    std::vector<DocumentedColumn> code;
    for (const edfi::ResourceColumn& column : resource.columns) {
      code.push_back({column.name, column.path, preset_text(column.policy)});
    }
    CHECK(documented(doc, heading) == code);
  }
}

TEST_CASE("edfi.md has no column table for a resource the code lacks", "[edfi][docs]") {
  INFO("document: " << kDoc.string());
  REQUIRE(std::filesystem::exists(kDoc));
  const std::string doc = read_doc();
  std::stringstream lines(doc);
  std::string heading;
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("#")) {
      heading = line;
      continue;
    }
    if (!line.starts_with("| column")) continue;
    INFO(heading);
    REQUIRE(heading.starts_with("### "));
    CHECK(edfi::find_known(heading.substr(4)) != nullptr);
  }
}

}  // namespace
}  // namespace ferry::test
