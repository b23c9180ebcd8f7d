// The tables of a preset in a connector document (docs/connectors/*.md), checked field by field
// against the preset's code: under "## <section>", one "### <stream> ..." heading per stream and
// rows "| column | transform | domain / details | why |".
#pragma once

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "common/config/settings.hpp"
#include "tests/support/doc_table.hpp"

namespace ferry::test {

// How the documents write a field's transform details: "user, list", "email, normalize lower",
// "to year", "to year, date_format %m/%d/%Y", or "" for keep and drop.
inline std::string policy_details(const config::FieldPolicy& field) {
  switch (field.transform) {
    case config::Transform::kPseudonymize:
    case config::Transform::kHash: {
      std::string text = field.domain;
      if (field.list) text += ", list";
      if (field.normalize == config::Normalize::kLower) text += ", normalize lower";
      return text;
    }
    case config::Transform::kGeneralize:
      return field.generalize.date_format
                 ? "to year, date_format " + field.generalize.date_format->text
                 : "to year";
    default:
      return "";
  }
}

inline std::string transform_name(config::Transform transform) {
  switch (transform) {
    case config::Transform::kDrop:
      return "drop";
    case config::Transform::kKeep:
      return "keep";
    case config::Transform::kPseudonymize:
      return "pseudonymize";
    case config::Transform::kHash:
      return "hash";
    case config::Transform::kGeneralize:
      return "generalize";
  }
  return "?";
}

// (stream, column) -> (transform, details), as the document's section that starts with `section`
// lists them. A stream is the first word of its "###" heading.
using DocumentedFields =
    std::map<std::pair<std::string, std::string>, std::pair<std::string, std::string>>;

inline DocumentedFields documented_fields(const std::filesystem::path& doc_path,
                                          std::string_view section) {
  std::ifstream doc(doc_path);
  REQUIRE(doc.good());
  DocumentedFields documented;
  std::string stream;
  bool inside = false;
  for (std::string line; std::getline(doc, line);) {
    if (line.starts_with("## ")) {
      inside = line.starts_with(section);
      stream.clear();
    }
    if (!inside) continue;
    if (line.starts_with("### ")) {
      const std::string heading = line.substr(4);
      stream = cell_text(heading.substr(0, heading.find(' ')));
      continue;
    }
    const auto cells = table_row(line, "| column");
    if (stream.empty() || cells.empty()) continue;
    REQUIRE(cells.size() >= 4);
    INFO(stream << "." << cells[0]);
    CHECK(documented.emplace(std::pair{stream, cells[0]}, std::pair{cells[1], cells[2]}).second);
  }
  return documented;
}

// Every field of `streams` is documented with its transform and details, and nothing else is.
inline void check_documented(const std::vector<config::StreamSettings>& streams,
                             const DocumentedFields& documented) {
  std::size_t fields = 0;
  for (const config::StreamSettings& settings : streams) {
    for (const config::FieldPolicy& field : settings.fields) {
      ++fields;
      INFO(settings.name << "." << field.name);
      const auto found = documented.find({settings.name, field.name});
      REQUIRE(found != documented.end());
      CHECK(found->second.first == transform_name(field.transform));
      CHECK(found->second.second == policy_details(field));
    }
  }
  CHECK(documented.size() == fields);
}

}  // namespace ferry::test
