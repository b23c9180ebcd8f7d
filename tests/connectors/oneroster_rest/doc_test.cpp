// docs/connectors/oneroster_rest.md lists, collection by collection, every column the connector
// makes and the JSON pointer it reads it from: the document and collections.cpp must agree.
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>

#include "connectors/oneroster_rest/collections.hpp"
#include "tests/support/doc_table.hpp"

namespace ferry::test {
namespace {

namespace rest = connectors::oneroster_rest;

std::string read_doc() {
  std::ifstream in(std::string(FERRY_SOURCE_DIR) + "/docs/connectors/oneroster_rest.md");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The (column, pointer) rows of the table under `heading`.
std::vector<std::pair<std::string, std::string>> documented(const std::string& doc,
                                                            const std::string& heading) {
  std::vector<std::pair<std::string, std::string>> rows;
  for (const auto& cells : table_under(doc, heading, "| column")) {
    if (cells.size() >= 2) rows.emplace_back(cells[0], cells[1]);
  }
  return rows;
}

TEST_CASE("oneroster_rest.md lists every column with its JSON pointer", "[oneroster_rest][docs]") {
  const std::string doc = read_doc();
  REQUIRE_FALSE(doc.empty());
  for (const auto version : {rest::Version::k1_1, rest::Version::k1_2}) {
    for (const rest::Collection& collection : rest::collections(version)) {
      const bool differs = collection.stream == "users";
      const std::string heading =
          "### " + collection.stream +
          (differs ? (version == rest::Version::k1_1 ? " (1.1)" : " (1.2)") : "");
      INFO(heading);
      std::vector<std::pair<std::string, std::string>> code;
      for (const auto& column : collection.columns) code.emplace_back(column.name, column.path);
      CHECK(documented(doc, heading) == code);
    }
  }
}

}  // namespace
}  // namespace ferry::test
