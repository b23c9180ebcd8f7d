#include "connectors/oneroster_csv/column_aliases.hpp"

#include <fstream>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <catch2/catch.hpp>

#include "connectors/files/text.hpp"
#include "connectors/oneroster_csv/oneroster_csv.hpp"
#include "tests/support/doc_table.hpp"
#include "tests/support/testdata.hpp"

namespace ferry::connectors::oneroster_csv {
namespace {

using Columns = std::vector<std::string>;

Columns canonical(std::string_view stream, Columns columns, const Columns& as_written = {}) {
  canonicalize_columns(stream, columns, as_written);
  return columns;
}

// The columns the oneroster preset lists for `stream`.
std::set<std::string> preset_columns(std::string_view stream) {
  std::set<std::string> names;
  for (const auto& settings : preset_streams()) {
    if (settings.name != stream) continue;
    for (const auto& field : settings.fields) names.insert(field.name);
  }
  return names;
}

}  // namespace

TEST_CASE("column aliases give 1.0 and exporter names their 1.1/1.2 name") {
  CHECK(canonical("demographics", {"userSourcedId", "status", "dateLastModified", "birthdate"}) ==
        Columns{"sourcedId", "status", "dateLastModified", "birthDate"});
  CHECK(canonical("users", {"sourcedId", "userid", "agents", "prefferedGivenName"}) ==
        Columns{"sourcedId", "userIds", "agentSourcedIds", "preferredGivenName"});
  CHECK(canonical("classes", {"sourcedId", "grade", "termSourcedId"}) ==
        Columns{"sourcedId", "grades", "termSourcedIds"});
  CHECK(canonical("courses", {"sourcedId", "schoolYearId", "grade"}) ==
        Columns{"sourcedId", "schoolYearSourcedId", "grades"});
  CHECK(canonical("roles", {"sourcedId", "status", "dataLastModified"}) ==
        Columns{"sourcedId", "status", "dateLastModified"});
  // Apple School Manager writes ID; spreadsheets leave spaces around names.
  CHECK(canonical("enrollments", {"SourcedID", " classSourcedID ", "USERSOURCEDID"}) ==
        Columns{"sourcedId", "classSourcedId", "userSourcedId"});
  // A file the preset does not know still has the three columns every file starts with.
  CHECK(canonical("x.vendorFile", {"SOURCEDID", "Status", "dateModified", "grade"}) ==
        Columns{"sourcedId", "status", "dateLastModified", "grade"});
}

TEST_CASE("column aliases leave other files' names and unknown names as found") {
  // userSourcedId is a column of its own in enrollments, and grade means nothing in orgs.
  CHECK(canonical("enrollments", {"sourcedId", "userSourcedId"}) ==
        Columns{"sourcedId", "userSourcedId"});
  CHECK(canonical("orgs", {"sourcedId", "grade", "metadata.classification", " x "}) ==
        Columns{"sourcedId", "grade", "metadata.classification", " x "});
}

TEST_CASE("column aliases never rename onto a column the header already has") {
  // The canonical column wins wherever it stands; the alias stays as found (the policy drops it).
  CHECK(canonical("demographics", {"userSourcedId", "sourcedId"}) ==
        Columns{"userSourcedId", "sourcedId"});
  CHECK(canonical("classes", {"grades", "grade"}) == Columns{"grades", "grade"});
  // A canonical name in another case counts as the canonical column, before any alias.
  CHECK(canonical("demographics", {"userSourcedId", "SourcedId"}) ==
        Columns{"userSourcedId", "sourcedId"});
  // Two aliases of one column: the first takes the name.
  CHECK(canonical("users", {"agents", "agentSourceIds"}) ==
        Columns{"agentSourcedIds", "agentSourceIds"});
}

TEST_CASE("column aliases take a name the configuration writes as written") {
  CHECK(canonical("demographics", {"userSourcedId", "birthdate"}, {"userSourcedId"}) ==
        Columns{"userSourcedId", "birthDate"});
  CHECK(canonical("users", {"SourcedID", "agents"}, {"SourcedID", "agents"}) ==
        Columns{"SourcedID", "agents"});
}

TEST_CASE("column aliases name the accepted names of a column for messages") {
  CHECK(accepted_names("demographics", "sourcedId") == "sourcedId, userSourcedId");
  CHECK(accepted_names("users", "agentSourcedIds") == "agentSourcedIds, agents, agentSourceIds");
  CHECK(accepted_names("roles", "dateLastModified") ==
        "dateLastModified, dataLastModified, dateModified");
  CHECK(accepted_names("users", "sourcedId") == "sourcedId");
  CHECK(accepted_names("users", "personId") == "personId");
}

TEST_CASE("column aliases map each alias to one column the preset lists for its file") {
  std::set<std::pair<std::string, std::string>> seen;  // (stream, lower-case alias)
  for (const ColumnAlias& alias : column_aliases()) {
    INFO(alias.stream << ": " << alias.alias << " -> " << alias.canonical);
    CHECK(seen.emplace(std::string(alias.stream), files::to_lower_ascii(alias.alias)).second);
    // Every file's alias maps to a column every preset file has.
    std::vector<std::string> streams;
    if (alias.stream.empty()) {
      for (const auto& settings : preset_streams()) streams.push_back(settings.name);
    } else {
      streams.emplace_back(alias.stream);
    }
    for (const auto& stream : streams) {
      const auto columns = preset_columns(stream);
      INFO(stream);
      CHECK(columns.count(std::string(alias.canonical)) == 1);
      // An alias is never a name the file has a column for in any case: it would shadow it.
      for (const auto& column : columns)
        CHECK(files::to_lower_ascii(column) != files::to_lower_ascii(alias.alias));
    }
  }
}

TEST_CASE("column alias table in the connector document matches the code") {
  const auto doc_path = ferry::test::source_dir() / "docs" / "connectors" / "oneroster_csv.md";
  std::ifstream doc(doc_path);
  REQUIRE(doc.good());
  // In "## Names from other versions and exporters", rows "| variant | canonical | file | seen |".
  std::set<std::tuple<std::string, std::string, std::string>> documented;
  bool in_section = false;
  for (std::string line; std::getline(doc, line);) {
    if (line.starts_with("## ")) {
      in_section = line.starts_with("## Names from other versions and exporters");
    }
    const auto cells = ferry::test::table_row(line, "| variant");
    if (!in_section || cells.empty()) continue;
    REQUIRE(cells.size() >= 4);
    const std::string file = cells[2] == "every file" ? "" : cells[2];
    CHECK(documented.emplace(file, cells[0], cells[1]).second);
  }
  std::set<std::tuple<std::string, std::string, std::string>> coded;
  for (const ColumnAlias& alias : column_aliases()) {
    coded.emplace(std::string(alias.stream), std::string(alias.alias),
                  std::string(alias.canonical));
  }
  CHECK(documented == coded);
}

}  // namespace ferry::connectors::oneroster_csv
