// Exports of other kinds are recognised by their file names, for the message that says which
// connector reads them.
#include "connectors/files/recognise.hpp"

#include <catch2/catch.hpp>

#include "connectors/oneroster_csv/oneroster_source.hpp"
#include "tests/support/temp_dir.hpp"

namespace ferry::connectors::files {

using Catch::Matchers::Contains;

TEST_CASE("exports are recognised by their file names") {
  const auto what = [](std::vector<std::string> names) {
    const auto recognised = recognise_export(names);
    return recognised ? recognised->what + " | " + recognised->how : std::string("none");
  };
  CHECK_THAT(what({"manifest.csv", "users.csv"}),
             Contains("a OneRoster export") && Contains("type: oneroster_csv"));
  CHECK_THAT(what({"schools.csv", "students.csv", "teachers.csv", "readme.txt"}),
             Contains("a Clever export (schools.csv, students.csv, teachers.csv)") &&
                 Contains("type: csv, preset: clever"));
  CHECK_THAT(what({"export/SCHOOL.CSV", "export/Student.csv", "export/Section.csv"}),
             Contains("School Data Sync v1 export (School.csv, Section.csv, Student.csv)"));
  CHECK_THAT(what({"users.csv", "orgs.csv", "roles.csv", "userFlags.csv"}),
             Contains("School Data Sync v2.1 export (roles.csv, userFlags.csv)") &&
                 Contains("type: csv, preset: sds"));
  // A OneRoster export without its manifest is not told apart from any CSV files.
  CHECK(what({"users.csv", "orgs.csv", "classes.csv"}) == "none");
  CHECK(what({"students.csv", "teachers.csv"}) == "none");
}

TEST_CASE("oneroster_csv pointed at a Clever folder says what it is and what reads it") {
  test::TempDir dir;
  dir.write("schools.csv", "School_id,School_name\ns1,North\n");
  dir.write("students.csv", "School_id,Student_id\ns1,1\n");
  dir.write("sections.csv", "School_id,Section_id\ns1,7\n");
  oneroster_csv::OneRosterSource source(dir.path());
  auto checked = source.check();
  REQUIRE_FALSE(checked.has_value());
  CHECK(checked.error().code == ErrorCode::kConfig);
  CHECK(checked.error().message ==
        "manifest.csv is not in " + dir.path().string() +
            ": this folder looks like a Clever export (schools.csv, students.csv, sections.csv), "
            "which is not a OneRoster export; read it with type: csv, preset: clever "
            "(docs/connectors/csv.md)");
}

}  // namespace ferry::connectors::files
