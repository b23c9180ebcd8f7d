// The clever and sds presets: their tables in docs/connectors/csv.md, the policies the loader
// would accept, and reading the public Clever and SDS samples (where ../shared/testdata is
// present) and synthetic folders (no real people).
#include <algorithm>
#include <fstream>
#include <regex>
#include <set>

#include <catch2/catch.hpp>

#include "connectors/csv/csv.hpp"
#include "connectors/csv/presets.hpp"
#include "connectors/registry/registry.hpp"
#include "tests/connectors/oneroster_csv/collecting_sink.hpp"
#include "tests/support/preset_doc.hpp"
#include "tests/support/skip.hpp"
#include "tests/support/system_checks.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/testdata.hpp"

namespace ferry::connectors::csv {
namespace {

using Catch::Matchers::Contains;
using config::Transform;
using oneroster_csv::test::CollectingSink;

std::filesystem::path csv_doc() {
  return ferry::test::source_dir() / "docs" / "connectors" / "csv.md";
}

// "### enrollments (`enrollments.csv`, SDS v2.1; key `a` + `b`)" headings of `section`:
// stream -> (file, key columns), for each heading in order.
std::vector<std::pair<std::string, std::pair<std::string, std::vector<std::string>>>>
documented_files(std::string_view section) {
  std::ifstream doc(csv_doc());
  REQUIRE(doc.good());
  const std::regex heading(R"(^### (\S+) \(`([^`]+)`[^;]*; key (.*)\)$)");
  const std::regex column("`([^`]+)`");
  std::vector<std::pair<std::string, std::pair<std::string, std::vector<std::string>>>> found;
  bool inside = false;
  for (std::string line; std::getline(doc, line);) {
    if (line.starts_with("## ")) inside = line.starts_with(section);
    std::smatch match;
    if (!inside || !std::regex_match(line, match, heading)) continue;
    std::vector<std::string> key;
    const std::string keys = match[3];
    for (std::sregex_iterator it(keys.begin(), keys.end(), column), end; it != end; ++it) {
      key.push_back((*it)[1]);
    }
    found.push_back({match[1], {match[2], key}});
  }
  return found;
}

std::unique_ptr<Source> preset_source(std::string preset, const std::filesystem::path& path,
                                      std::vector<config::StreamSettings> streams = {}) {
  config::SourceSettings settings;
  settings.name = "sis";
  settings.type = "csv";
  settings.preset = std::move(preset);
  settings.options["path"].value = path.string();
  settings.streams = std::move(streams);
  auto source = create(settings, {});
  REQUIRE(source);
  return std::move(*source);
}

std::vector<std::string> names_read(const CollectingSink& sink) {
  std::vector<std::string> names;
  for (const auto& stream : sink.streams) names.push_back(stream.info.name);
  return names;
}

// The error of a read of `path` with `preset`, which must fail before any stream begins.
Error read_error(const std::string& preset, const std::filesystem::path& path) {
  auto source = preset_source(preset, path);
  CollectingSink sink;
  auto read = source->read({}, sink, {});
  REQUIRE_FALSE(read);
  CHECK(sink.streams.empty());
  return read.error();
}

}  // namespace

TEST_CASE("the clever and sds tables of csv.md match the presets column by column") {
  for (const auto& [preset, section] :
       {std::pair{"clever", "## The clever preset"}, std::pair{"sds", "## The sds preset"}}) {
    INFO(preset);
    const auto table = preset_table(preset);
    std::vector<config::StreamSettings> streams;
    for (const PresetStream& entry : table) streams.push_back(entry.settings);
    ferry::test::check_documented(streams, ferry::test::documented_fields(csv_doc(), section));
    // Each heading names the stream's file and key, in the presets' order.
    const auto headings = documented_files(section);
    REQUIRE(headings.size() == table.size());
    for (std::size_t i = 0; i < table.size(); ++i) {
      INFO(table[i].settings.name);
      CHECK(headings[i].first == table[i].settings.name);
      CHECK(headings[i].second.first == table[i].file);
      CHECK(headings[i].second.second == config::key_columns(table[i].settings));
    }
  }
}

TEST_CASE("the presets give every column a policy the loader would accept") {
  for (const char* preset : {"clever", "sds"}) {
    std::set<std::string> names;
    for (const PresetStream& entry : preset_table(preset)) {
      const config::StreamSettings& stream = entry.settings;
      INFO(preset << " " << stream.name);
      CHECK(names.insert(stream.name).second);
      CHECK(stream.default_transform == Transform::kDrop);
      std::set<std::string> fields;
      for (const config::FieldPolicy& field : stream.fields) {
        INFO(field.name);
        CHECK(fields.insert(field.name).second);
        const bool token =
            field.transform == Transform::kPseudonymize || field.transform == Transform::kHash;
        CHECK(token == !field.domain.empty());
        if (field.transform == Transform::kGeneralize && field.name != "birthDate") {
          CHECK(field.generalize.date_format.has_value());  // US dates, parsed
        }
        std::string lower = field.name;
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (lower == "password") CHECK(field.transform == Transform::kDrop);
      }
      // Every key column is listed and sent.
      for (const std::string& key : config::key_columns(stream)) {
        INFO(key);
        const auto field = std::find_if(stream.fields.begin(), stream.fields.end(),
                                        [&](const auto& f) { return f.name == key; });
        REQUIRE(field != stream.fields.end());
        CHECK(field->transform != Transform::kDrop);
      }
      CHECK(entry.version ==
            (std::string(preset) == "sds"
                 ? (std::isupper(static_cast<unsigned char>(stream.name[0])) ? "v1" : "v2.1")
                 : ""));
    }
  }
}

TEST_CASE("the registry hands out the clever and sds presets") {
  config::SourceSettings settings;
  settings.type = "csv";
  settings.preset = "clever";
  CHECK(effective_streams(settings).size() == clever_streams().size());
  settings.preset = "sds";
  CHECK(effective_streams(settings).size() == sds_streams().size());
  const auto catalog = connectors::catalog().find_source_type("csv");
  REQUIRE(catalog != nullptr);
  CHECK(catalog->presets == std::vector<std::string>{"clever", "sds"});
}

TEST_CASE("preset: clever reads the public Clever sample, every file with its key") {
  FERRY_REQUIRE_TESTDATA(clever, "clever-sftp-sandbox-csv");
  auto source = preset_source("clever", clever);
  CollectingSink sink;
  REQUIRE(source->read({}, sink, {}));
  for (const auto& failure : sink.failures) UNSCOPED_INFO(failure.second.message);
  CHECK(sink.failures.empty());
  CHECK(sink.bad_rows.empty());
  // staff.csv is not in the sample: skipped.
  CHECK(names_read(sink) ==
        std::vector<std::string>{"schools", "students", "teachers", "sections", "enrollments"});
  for (const auto& stream : sink.streams) {
    INFO(stream.info.name);
    CHECK_FALSE(stream.rows.empty());
  }
  CHECK(sink.streams[4].rows.size() == 8971);  // enrollments: each row its own key
}

TEST_CASE("preset: sds reads each public SDS sample as its own version") {
  FERRY_REQUIRE_TESTDATA(sds, "microsoft-sds-csv");
  {
    auto source = preset_source("sds", sds / "sds-v1-100users");
    CollectingSink sink;
    REQUIRE(source->read({}, sink, {}));
    CHECK(sink.failures.empty());
    CHECK(names_read(sink) == std::vector<std::string>{"School", "Section", "Student", "Teacher",
                                                       "StudentEnrollment", "TeacherRoster"});
  }
  {
    auto source = preset_source("sds", sds / "sds-v2.1");
    CollectingSink sink;
    REQUIRE(source->read({}, sink, {}));
    for (const auto& failure : sink.failures) UNSCOPED_INFO(failure.second.message);
    CHECK(sink.failures.empty());
    CHECK(names_read(sink) == std::vector<std::string>{"orgs", "users", "roles", "classes",
                                                       "courses", "academicSessions", "enrollments",
                                                       "relationships", "demographics",
                                                       "userFlags"});
  }
}

TEST_CASE("a folder with files of both SDS versions fails and names both") {
  test::TempDir dir;
  dir.write("Student.csv", "SIS ID,School SIS ID\n1,10\n");
  dir.write("users.csv", "sourcedId,username\nu1,a@example.invalid\n");
  const Error error = read_error("sds", dir.path());
  CHECK(error.code == ErrorCode::kConfig);
  CHECK_THAT(error.message,
             Contains("holds files of two versions of the sds preset's format, v1 (Student.csv) "
                      "and v2.1 (users.csv)"));
}

TEST_CASE("a preset pointed at another export says what the folder looks like") {
  test::TempDir dir;
  dir.write("School.csv", "SIS ID,Name\n10,North\n");
  dir.write("Section.csv", "SIS ID,School SIS ID\n7,10\n");
  dir.write("Student.csv", "SIS ID,School SIS ID\n1,10\n");
  const Error error = read_error("clever", dir.path());
  CHECK(error.code == ErrorCode::kNotFound);
  CHECK_THAT(error.message,
             Contains("none of the files of preset clever is in " + dir.path().string()) &&
                 Contains("this folder looks like a Microsoft School Data Sync v1 export "
                          "(School.csv, Section.csv, Student.csv): read it with type: csv, "
                          "preset: sds"));
  // check() says the same.
  const auto checked = preset_source("clever", dir.path())->check();
  REQUIRE_FALSE(checked);
  CHECK(checked.error().message == error.message);
}

TEST_CASE("a csv source with neither streams nor a preset is refused with both ways out") {
  config::SourceSettings settings;
  settings.name = "sis";
  settings.type = "csv";
  settings.options["path"].value = std::string("/srv/sis");
  auto made = create(settings, {});
  REQUIRE_FALSE(made);
  CHECK(made.error().code == ErrorCode::kConfig);
  CHECK_THAT(made.error().message, Contains("under streams:") &&
                                       Contains("or a preset's (preset: clever or preset: sds)"));
}

TEST_CASE("a stream file outside the folder is a configuration error") {
  for (const char* file : {"../students.csv", "/etc/passwd", "a//b.csv", "day*/students.csv", ""}) {
    INFO(file);
    config::StreamSettings students;
    students.name = "students";
    students.key = "id";
    students.options["file"].value = std::string(file);
    config::SourceSettings settings;
    settings.name = "sis";
    settings.type = "csv";
    settings.options["path"].value = std::string("/srv/sis");
    settings.streams = {students};
    auto made = create(settings, {});
    REQUIRE_FALSE(made);
    CHECK(made.error().code == ErrorCode::kConfig);
    CHECK_THAT(made.error().message, Contains("must be a path inside the folder"));
  }
}

TEST_CASE("a preset pointed at a OneRoster export refuses it and names oneroster_csv") {
  test::TempDir dir;
  dir.write("manifest.csv", "propertyName,value\nfile.users,bulk\n");
  dir.write("users.csv", "sourcedId,username\nu1,a\n");
  const Error error = read_error("sds", dir.path());
  CHECK(error.code == ErrorCode::kConfig);
  CHECK(error.message == dir.path().string() +
                             " holds a OneRoster export (manifest.csv), which the sds preset "
                             "does not read: read it with type: oneroster_csv "
                             "(docs/connectors/oneroster_csv.md)");
}

TEST_CASE("preset files written in another case are named with the fix") {
  test::TempDir dir;
  if (ferry::test::case_insensitive_names(dir.path()))
    FERRY_SKIP(
        "names that differ only in case are one file on this file system (on Windows School.csv "
        "opens SCHOOL.CSV): nothing to match or report");
  dir.write("student.csv", "SIS ID,School SIS ID\n1,10\n");
  dir.write("SCHOOL.CSV", "SIS ID,Name\n10,North\n");
  const Error error = read_error("sds", dir.path());
  CHECK_THAT(error.message,
             Contains("but SCHOOL.CSV (School.csv), student.csv (Student.csv) differ only in upper "
                      "and lower case: the names are case-sensitive"));
}

TEST_CASE("a preset's missing file is skipped and a stream written alongside is required") {
  test::TempDir dir;
  dir.write("students.csv", "School_id,Student_id,Grade\ns1,1,9\n");
  config::StreamSettings extra;
  extra.name = "attendance";
  extra.key = "Student_id";
  auto source = preset_source("clever", dir.path(), {extra});
  CollectingSink sink;
  REQUIRE(source->read({}, sink, {}));
  CHECK(names_read(sink) == std::vector<std::string>{"students"});
  REQUIRE(sink.failures.size() == 1);
  CHECK(sink.failures[0].first == "attendance");
  CHECK_THAT(sink.failures[0].second.message, Contains("there is no file attendance.csv"));
}

TEST_CASE("a stream that extends a preset stream keeps the preset's file and key") {
  test::TempDir dir;
  dir.write("enrollments.csv", "School_id,Section_id,Student_id\ns1,7,1\ns1,8,1\n");
  config::StreamSettings enrollments;
  enrollments.name = "enrollments";
  enrollments.extends_preset = true;
  auto source = preset_source("clever", dir.path(), {enrollments});
  auto streams = source->streams();
  REQUIRE(streams);
  REQUIRE(streams->size() == 1);
  CHECK((*streams)[0].name == "enrollments");
  CHECK((*streams)[0].key == "Section_id");  // the first of Section_id + Student_id
}

}  // namespace ferry::connectors::csv
