// docs/connectors/edfi.md lists, resource by resource, every column the connector makes, the JSON
// pointer it reads it from and what `preset: edfi` does with it: the document and resources.cpp
// must agree.
#include <catch2/catch.hpp>

#include "connectors/edfi/resources.hpp"
#include "tests/support/column_doc.hpp"

namespace ferry::test {
namespace {

namespace edfi = connectors::edfi;

const std::filesystem::path kDoc =
    std::filesystem::path(FERRY_SOURCE_DIR) / "docs/connectors/edfi.md";

TEST_CASE("edfi.md lists every column with its JSON pointer and preset policy", "[edfi][docs]") {
  INFO("document: " << kDoc.string());
  REQUIRE(std::filesystem::exists(kDoc));
  const std::string doc = read_text(kDoc);
  REQUIRE_FALSE(doc.empty());
  for (const edfi::KnownResource& resource : edfi::known_resources()) {
    const std::string heading = "### " + resource.stream;
    INFO(heading);
    std::vector<DocumentedColumn> code;
    for (const edfi::ResourceColumn& column : resource.columns) {
      code.push_back({column.name, column.path, preset_text(column.policy)});
    }
    CHECK(documented_columns(doc, heading) == code);
  }
}

TEST_CASE("edfi.md has no column table for a resource the code lacks", "[edfi][docs]") {
  INFO("document: " << kDoc.string());
  REQUIRE(std::filesystem::exists(kDoc));
  for (const std::string& heading : column_table_headings(read_text(kDoc))) {
    INFO(heading);
    REQUIRE(heading.starts_with("### "));
    CHECK(edfi::find_known(heading.substr(4)) != nullptr);
  }
}

}  // namespace
}  // namespace ferry::test
