// docs/connectors/sql.md documents every option the sql connector takes, in its Options table, and
// no option the connector lacks.
#include <fstream>
#include <iterator>
#include <set>

#include <catch2/catch.hpp>

#include "connectors/sql/sql.hpp"
#include "tests/support/doc_table.hpp"

namespace ferry::test {
namespace {

const std::filesystem::path kDoc =
    std::filesystem::path(FERRY_SOURCE_DIR) / "docs/connectors/sql.md";

TEST_CASE("sql.md has a row for each option of the connector and no other", "[sql][docs]") {
  INFO("document: " << kDoc.string());
  std::ifstream in(kDoc);
  REQUIRE(in);
  const std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::set<std::string> documented;
  for (const auto& row : table_under(doc, "## Options", "| key")) {
    REQUIRE_FALSE(row.empty());
    documented.insert(row.front());
  }
  std::set<std::string> code;
  for (const auto& option : connectors::sql::spec().options) code.insert(option.name);
  CHECK(documented == code);
}

}  // namespace
}  // namespace ferry::test
