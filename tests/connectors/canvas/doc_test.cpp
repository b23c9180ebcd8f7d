// docs/connectors/canvas.md lists, stream by stream, every column the connector makes, the JSON
// pointer it reads it from and what `preset: canvas` does with it: the document and streams.cpp
// must agree.
#include <catch2/catch.hpp>

#include "connectors/canvas/streams.hpp"
#include "tests/support/column_doc.hpp"

namespace ferry::test {
namespace {

namespace canvas = connectors::canvas;

const std::filesystem::path kDoc =
    std::filesystem::path(FERRY_SOURCE_DIR) / "docs/connectors/canvas.md";

TEST_CASE("canvas.md lists every column with its JSON pointer and preset policy",
          "[canvas][docs]") {
  INFO("document: " << kDoc.string());
  REQUIRE(std::filesystem::exists(kDoc));
  const std::string doc = read_text(kDoc);
  REQUIRE_FALSE(doc.empty());
  for (const canvas::CanvasStream& stream : canvas::canvas_streams()) {
    const std::string heading = "### " + stream.stream;
    INFO(heading);
    std::vector<DocumentedColumn> code;
    for (const canvas::StreamColumn& column : stream.columns) {
      code.push_back({column.name, column.path, preset_text(column.policy)});
    }
    CHECK(documented_columns(doc, heading) == code);
  }
}

TEST_CASE("canvas.md has no column table for a stream the code lacks", "[canvas][docs]") {
  INFO("document: " << kDoc.string());
  REQUIRE(std::filesystem::exists(kDoc));
  for (const std::string& heading : column_table_headings(read_text(kDoc))) {
    INFO(heading);
    REQUIRE(heading.starts_with("### "));
    CHECK(canvas::find_stream(heading.substr(4)) != nullptr);
  }
}

}  // namespace
}  // namespace ferry::test
