// The generic CSV connector on synthetic folders (no real people): streams from files and
// patterns, the newest dated folder, delimiters and encodings, a missing key column or file
// failing its stream alone, and the content fingerprint. The public samples (Clever, SDS,
// Contoso) are read where ../shared/testdata is present.
#include "connectors/csv/csv_source.hpp"

#include <filesystem>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "connectors/csv/csv.hpp"
#include "tests/connectors/oneroster_csv/collecting_sink.hpp"
#include "tests/support/skip.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/testdata.hpp"

namespace ferry::connectors::csv {
namespace {

using Catch::Matchers::Contains;
using oneroster_csv::test::CollectedStream;
using oneroster_csv::test::CollectingSink;

const CollectedStream* stream_of(const CollectingSink& sink, std::string_view name) {
  for (const auto& stream : sink.streams) {
    if (stream.info.name == name) return &stream;
  }
  return nullptr;
}

CsvOptions options_with(char delimiter, Encoding encoding = Encoding::kUtf8,
                        std::string folders = "") {
  CsvOptions options;
  options.delimiter = delimiter;
  options.encoding = encoding;
  options.folders = std::move(folders);
  return options;
}

std::string failure_of(const CollectingSink& sink, std::string_view name) {
  for (const auto& [stream, error] : sink.failures) {
    if (stream == name) return error.message;
  }
  return "";
}

}  // namespace

TEST_CASE("csv reads one stream per file with its key") {
  test::TempDir dir;
  dir.write("students.csv", "sis_id,first_name,grade\n1,Ada,9\n2,Alan,10\n");
  dir.write("teachers.csv", "teacher_id,email\nt1,t1@example.org\n");
  CsvSource source(
      dir.path(),
      {{"students", "students.csv", {"sis_id"}}, {"teachers", "teachers.csv", {"teacher_id"}}}, {});

  auto streams = source.streams();
  REQUIRE(streams.has_value());
  REQUIRE(streams->size() == 2);
  CHECK((*streams)[0].columns == std::vector<std::string>{"sis_id", "first_name", {"grade"}});
  CHECK((*streams)[0].key == "sis_id");
  CHECK(source.check().has_value());

  CollectingSink sink;
  auto state = source.read({}, sink, {});
  REQUIRE(state.has_value());
  const auto* students = stream_of(sink, "students");
  REQUIRE(students != nullptr);
  CHECK(students->mode == StreamMode::kSnapshot);
  REQUIRE(students->rows.size() == 2);
  CHECK(students->at(1, "first_name") == "Alan");
  CHECK(stream_of(sink, "teachers")->rows.size() == 1);
  CHECK_THAT(*state, Contains("fingerprint"));

  // The same bytes again: nothing handed over.
  CollectingSink again;
  auto same = source.read({.source = *state, .streams = {}}, again, {});
  REQUIRE(same.has_value());
  CHECK(*same == *state);
  CHECK(again.calls == 0);

  // A change is read whole.
  dir.write("students.csv", "sis_id,first_name,grade\n1,Ada,9\n");
  CollectingSink changed;
  auto next = source.read({.source = *state, .streams = {}}, changed, {});
  REQUIRE(next.has_value());
  CHECK(*next != *state);
  CHECK(stream_of(changed, "students")->rows.size() == 1);
}

TEST_CASE("csv reads every file a pattern matches as one stream, in the newest dated folder") {
  test::TempDir dir;
  dir.write("day1/students/part1.csv", "id,name\nold,Old\n");
  dir.write("day2/students/part2.csv", "id,name\nc,Cy\n");
  dir.write("day2/students/part1.csv", "id,name\na,Al\nb,Bo\n");
  dir.write("day2/students/notes.txt", "not a part");
  CsvSource source(dir.path(), {{"students", "students/part*.csv", {"id"}}},
                   options_with(',', Encoding::kUtf8, "day*"));
  CollectingSink sink;
  REQUIRE(source.read({}, sink, {}).has_value());
  const auto* students = stream_of(sink, "students");
  REQUIRE(students != nullptr);
  REQUIRE(students->rows.size() == 3);
  CHECK(students->at(0, "id") == "a");  // part1 first
  CHECK(students->at(2, "id") == "c");

  // A part whose header differs fails the stream, naming both files.
  dir.write("day2/students/part3.csv", "id,name,extra\nd,Di,x\n");
  CollectingSink mixed;
  REQUIRE(source.read({}, mixed, {}).has_value());
  CHECK_THAT(failure_of(mixed, "students"),
             Contains("students/part3.csv has another header than students/part1.csv"));
}

TEST_CASE("csv reads other delimiters and Windows-1252, and UTF-8 with a byte order mark") {
  test::TempDir dir;
  dir.write("semicolon.csv", "id;name\n1;Zoë\n");
  dir.write("tabs.csv", "\xEF\xBB\xBFid\tname\n1\tZo\xC3\xAB\n");
  dir.write("latin.csv", std::string("id,name,note\n1,Zo\xEB,\x93quoted\x94 \x80\n"));
  {
    CsvSource source(dir.path(), {{"semicolon", "semicolon.csv", {"id"}}}, options_with(';'));
    CollectingSink sink;
    REQUIRE(source.read({}, sink, {}).has_value());
    CHECK(stream_of(sink, "semicolon")->at(0, "name") == "Zoë");
  }
  {
    CsvSource source(dir.path(), {{"tabs", "tabs.csv", {"id"}}}, options_with('\t'));
    CollectingSink sink;
    REQUIRE(source.read({}, sink, {}).has_value());
    REQUIRE(stream_of(sink, "tabs") != nullptr);
    CHECK(stream_of(sink, "tabs")->info.columns.front() == "id");
    CHECK(stream_of(sink, "tabs")->at(0, "name") == "Zoë");
  }
  {
    CsvSource source(dir.path(), {{"latin", "latin.csv", {"id"}}},
                     options_with(',', Encoding::kWindows1252));
    CollectingSink sink;
    REQUIRE(source.read({}, sink, {}).has_value());
    CHECK(stream_of(sink, "latin")->at(0, "name") == "Zoë");
    CHECK(stream_of(sink, "latin")->at(0, "note") == "\u201Cquoted\u201D \u20AC");
  }
  {
    // The same Windows-1252 file read as UTF-8: its row is a bad row, with file and line.
    CsvSource source(dir.path(), {{"latin", "latin.csv", {"id"}}}, {});
    CollectingSink sink;
    REQUIRE(source.read({}, sink, {}).has_value());
    CHECK(stream_of(sink, "latin")->rows.empty());
    REQUIRE(sink.bad_rows.size() == 1);
    CHECK(sink.bad_rows[0].location == "latin.csv:2");
    CHECK_THAT(sink.bad_rows[0].reason, Contains("not valid UTF-8"));
  }
}

TEST_CASE("csv fails a stream without its file or key column alone, and says what to do") {
  test::TempDir dir;
  dir.write("students.csv", "student_number,name\n1,Al\n");
  dir.write("schools.csv", "school_id,name\ns1,North\n");
  CsvSource source(dir.path(),
                   {{"students", "students.csv", {"sis_id"}},
                    {"teachers", "teachers.csv", {"teacher_id"}},
                    {"schools", "schools.csv", {"school_id"}}},
                   {});
  CollectingSink sink;
  REQUIRE(source.read({}, sink, {}).has_value());
  CHECK(stream_of(sink, "schools")->rows.size() == 1);
  CHECK_THAT(failure_of(sink, "students"),
             Contains("students.csv has no sis_id column, which keys the rows of stream "
                      "students") &&
                 Contains("(the header has: student_number, name)"));
  CHECK_THAT(failure_of(sink, "teachers"),
             Contains("there is no file teachers.csv in") && Contains("streams.teachers.file"));
  auto checked = source.check();
  REQUIRE_FALSE(checked.has_value());
  CHECK_THAT(checked.error().message, Contains("sis_id") && Contains("teachers.csv"));

  // Pointed at a OneRoster export: the message says which type reads it.
  dir.write("oneroster/manifest.csv", "propertyName,value\nfile.users,bulk\n");
  CsvSource oneroster(dir / "oneroster", {{"students", "students.csv", {"id"}}}, {});
  CollectingSink wrong;
  REQUIRE(oneroster.read({}, wrong, {}).has_value());
  CHECK_THAT(failure_of(wrong, "students"),
             Contains("(this folder looks like a OneRoster export (manifest.csv): read it with "
                      "type: oneroster_csv"));

  CsvSource missing(dir / "nowhere", {{"students", "students.csv", {"id"}}}, {});
  CollectingSink none;
  auto read = missing.read({}, none, {});
  REQUIRE_FALSE(read.has_value());
  CHECK(read.error().code == ErrorCode::kNotFound);
  CHECK_THAT(read.error().message, Contains("does not exist: check path"));
}

TEST_CASE("csv reads the public Clever, SDS and Contoso samples") {
  FERRY_REQUIRE_TESTDATA(clever, "clever-sftp-sandbox-csv");
  struct Case {
    std::string folder;
    std::string folders;
    std::vector<CsvStream> streams;
  };
  const std::vector<Case> cases = {
      {"clever-sftp-sandbox-csv",
       "",
       {{"schools", "schools.csv", {"School_id"}},
        {"students", "students.csv", {"Student_id"}},
        {"teachers", "teachers.csv", {"Teacher_id"}},
        {"sections", "sections.csv", {"Section_id"}}}},
      {"microsoft-sds-csv/sds-v1-100users",
       "",
       {{"students", "Student.csv", {"SIS ID"}}, {"schools", "School.csv", {"SIS ID"}}}},
      {"microsoft-sds-csv/sds-v2.1",
       "",
       {{"users", "users.csv", {"sourcedId"}}, {"orgs", "orgs.csv", {"sourcedId"}}}},
      {"sis-contoso-oea-daily-csv/contoso_sis", "day*", {{"students", "students/part*.csv", {}}}},
  };
  for (const Case& c : cases) {
    INFO(c.folder);
    CsvSource source(*clever_root / c.folder, c.streams,
                     options_with(',', Encoding::kUtf8, c.folders));
    CollectingSink sink;
    REQUIRE(source.read({}, sink, {}).has_value());
    CHECK(sink.failures.empty());
    for (const auto& failure : sink.failures) UNSCOPED_INFO(failure.second.message);
    CHECK(sink.bad_rows.empty());
    for (const auto& stream : c.streams) {
      const auto* read = stream_of(sink, stream.name);
      REQUIRE(read != nullptr);
      CHECK_FALSE(read->rows.empty());
    }
  }
}

}  // namespace ferry::connectors::csv
