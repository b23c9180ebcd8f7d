// The Ed-Fi connector against an Ed-Fi ODS/API of the tests (edfi_api.hpp, a fake of a vendor's
// API over real HTTPS on 127.0.0.1): the public sample read whole with the preset; change queries
// (a full read, then only the window after it, deletes included; the 5.x spellings; none at all;
// a state the API cannot have); offset and cursor paging; data that changes during a read; bad
// records; HTTP faults; configuration errors; check(); and that no secret shows in a message.
#include "connectors/edfi/edfi_source.hpp"

#include <map>
#include <set>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "common/config/field_builders.hpp"
#include "common/keys/keyring.hpp"
#include "connectors/edfi/resources.hpp"
#include "connectors/registry/registry.hpp"
#include "tests/connectors/edfi/edfi_api.hpp"
#include "tests/connectors/http_api/typed_sink.hpp"
#include "tests/connectors/oneroster_csv/collecting_sink.hpp"
#include "tests/support/fake_clock.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/testdata.hpp"

namespace ferry::test {
namespace {

using connectors::RowOp;
using connectors::StreamMode;
using connectors::ValueType;
using connectors::oneroster_csv::test::CollectedStream;
using connectors::oneroster_csv::test::CollectingSink;
namespace edfi = connectors::edfi;
using Route = EdfiApi::Route;

using Sink = TypedSink;

// The row of `stream` whose `column` is `value`; fails the test when there is none.
std::size_t row_where(const CollectedStream& stream, std::string_view column,
                      std::string_view value) {
  for (std::size_t r = 0; r < stream.rows.size(); ++r) {
    if (stream.at(r, column) == value) return r;
  }
  FAIL("no row of " << stream.info.name << " with " << column << " = " << value);
  return 0;
}

// The ids of `stream`'s rows of `op`, with how often each came.
std::map<std::string, int> ids_of(const CollectedStream& stream, RowOp op = RowOp::kUpsert) {
  std::map<std::string, int> ids;
  for (std::size_t r = 0; r < stream.rows.size(); ++r) {
    if (stream.ops[r] == op) ++ids[stream.at(r, "id")];
  }
  return ids;
}

std::optional<std::int64_t> version_of(const CollectedStream& stream) {
  return edfi::parse_stream_state(stream.state).version;
}

// A made-up student: no real person.
boost::json::object student(int number, std::string_view first = "Testy") {
  return boost::json::object{{"id", fmt::format("5a0de000000000000000000000{:06d}", number)},
                             {"studentUniqueId", fmt::format("S{:05d}", number)},
                             {"firstName", first},
                             {"lastSurname", "Fakeperson"},
                             {"birthDate", "2013-04-01"},
                             {"birthSexDescriptor", "uri://ed-fi.org/SexDescriptor#Not Selected"},
                             {"_etag", "5250000000000000000"}};
}

std::string student_id(int number) {
  return fmt::format("5a0de000000000000000000000{:06d}", number);
}

struct Site {
  Site() {
    api.write_ca_file(dir / "ca.pem");
    settings.name = "edfi_api";
    settings.type = "edfi";
    settings.preset = "edfi";
    config::ApiSettings http;
    http.url = api.root_url();
    http.ca_file = dir / "ca.pem";
    config::OAuth2Auth oauth;
    oauth.token_url = api.token_url();
    oauth.client_id = EdfiApi::kClientId;
    oauth.client_secret = EdfiApi::kClientSecret;
    http.auth = oauth;
    http.retries = 2;
    settings.api = http;
  }

  template <typename T>
  void option(const std::string& name, T value) {
    settings.options[name] = config::OptionValue{std::move(value), {}};
  }
  std::string& client_secret() {
    return std::get<config::OAuth2Auth>(settings.api->auth).client_secret;
  }

  Result<std::unique_ptr<connectors::Source>> make() const { return under.make(); }
  connectors::Source& source() { return under.source(); }
  // One run from `state`; the run must succeed.
  Sink read(const connectors::ResumeState& state = {}) { return under.read(state); }
  // The state the agent would keep after `sink`'s run.
  static connectors::ResumeState states(const Sink& sink, connectors::ResumeState before = {}) {
    return SourceUnderTest::states(sink, std::move(before));
  }

  TempDir dir;
  EdfiApi api;
  FakeClock clock{std::chrono::sys_days(std::chrono::year(2026) / 3 / 2) + std::chrono::hours(9)};
  config::SourceSettings settings;
  SourceUnderTest under{settings, clock};
};

// The exchanges of `route` of `resource` so far.
std::vector<HttpExchange> exchanges_of(Site& site, std::string_view resource, Route route) {
  std::string path = "/api/data/v3/ed-fi/" + std::string(resource);
  if (route == Route::kDeletes) path += "/deletes";
  if (route == Route::kPartitions) path += "/partitions";
  std::vector<HttpExchange> found;
  for (HttpExchange& exchange : site.api.server().exchanges()) {
    if (exchange.path == path) found.push_back(std::move(exchange));
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// The public sample

TEST_CASE("edfi reads the public change query sample whole with the preset", "[edfi][testdata]") {
  FERRY_REQUIRE_TESTDATA(sample, "edfi-oea-changequery-jsonl/students");
  Site site;
  std::map<std::string, std::size_t> lines;
  for (const std::string name : {"students", "schools", "studentSchoolAssociations", "courses"}) {
    lines[name] = site.api.load_sample(sample.parent_path() / name, name);
  }
  const Sink sink = site.read();
  CHECK(sink.collected.failures.empty());
  CHECK(sink.collected.bad_rows.empty());
  CHECK(sink.collected.streams.size() == edfi::known_resources().size());
  for (const CollectedStream& stream : sink.collected.streams) {
    INFO(stream.info.name);
    CHECK(stream.ended);
    CHECK(stream.mode == StreamMode::kSnapshot);
    CHECK(stream.info.key == "id");
    CHECK(version_of(stream) == site.api.newest_change_version());
  }
  const CollectedStream& students = sink.stream("students");
  const CollectedStream& associations = sink.stream("studentSchoolAssociations");
  const CollectedStream& schools = sink.stream("schools");
  const CollectedStream& courses = sink.stream("courses");
  CHECK(students.rows.size() == lines["students"]);
  CHECK(lines["students"] == 1001);
  CHECK(associations.rows.size() == lines["studentSchoolAssociations"]);
  CHECK(courses.rows.size() == lines["courses"]);
  // The schools' 8 lines are 6 schools: one school changed on three run dates, and the ODS holds
  // one record per id.
  CHECK(lines["schools"] == 8);
  CHECK(schools.rows.size() == site.api.records("schools").size());
  CHECK(schools.rows.size() == 6);
  CHECK(ids_of(students).size() == students.rows.size());

  CHECK(students.at(0, "id") == "5b53fbe27b1540aba10d765cffef6e63");
  CHECK(students.at(0, "studentUniqueId") == "006217");
  CHECK(students.at(0, "birthDate") == "2005-11-20");

  const std::size_t association = row_where(associations, "id", "7a251616b119484a9c1aed95b34766fb");
  CHECK(associations.at(association, "studentUniqueId") == "004958");
  CHECK(associations.at(association, "schoolId") == "255901004");  // /schoolReference/schoolId
  CHECK(sink.type("studentSchoolAssociations", association, "schoolId") == ValueType::kNumber);
  CHECK(associations.at(association, "entryGradeLevelDescriptor") == "Sixth grade");
  CHECK(associations.at(association, "graduationPlanTypeDescriptor") == "Distinguished");
  CHECK(associations.at(association, "entryDate") == "2016-08-22");

  const std::size_t school = row_where(schools, "schoolId", "255901001");
  CHECK(schools.at(school, "nameOfInstitution") == "Riverdale High School");
  CHECK(schools.at(school, "localEducationAgencyId") == "255901");
  CHECK(schools.at(school, "gradeLevels") == "Ninth grade");  // a list of one, reduced
  CHECK(schools.at(school, "schoolCategories") == "High School");
  CHECK(schools.at(school, "schoolTypeDescriptor") == "Regular");

  CHECK(courses.at(0, "courseCode") == "ALG-1");
  CHECK(courses.at(0, "academicSubjectDescriptor") == "Mathematics");
  CHECK(courses.at(0, "offeredGradeLevels") == "Ninth grade");
  CHECK(courses.at(0, "educationOrganizationId") == "255901001");
}

// ---------------------------------------------------------------------------------------------
// Columns

TEST_CASE("edfi reads references descriptors lists and JSON types into the preset's columns",
          "[edfi]") {
  Site site;
  site.api.upsert(
      "schools",
      boost::json::object{
          {"id", "5c400000000000000000000000000001"},
          {"schoolId", 990001},
          {"nameOfInstitution", "Example Test Academy"},
          {"localEducationAgencyReference",
           boost::json::object{{"localEducationAgencyId", 9900},
                               {"link", boost::json::object{{"rel", "x"}}}}},
          {"gradeLevels",
           boost::json::array{
               boost::json::object{
                   {"gradeLevelDescriptor", "uri://ed-fi.org/GradeLevelDescriptor#Ninth grade"}},
               boost::json::object{
                   {"gradeLevelDescriptor", "uri://ed-fi.org/GradeLevelDescriptor#Tenth grade"}}}},
          {"schoolCategories", boost::json::array{}}});
  site.api.upsert(
      "studentSchoolAssociations",
      boost::json::object{
          {"id", "5ea00000000000000000000000000001"},
          {"studentReference", boost::json::object{{"studentUniqueId", "S00001"}}},
          {"schoolReference", boost::json::object{{"schoolId", 990001}}},
          {"entryDate", "2025-08-20"},
          {"entryGradeLevelDescriptor", "uri://ed-fi.org/GradeLevelDescriptor#Ninth grade"},
          {"primarySchool", true},
          {"repeatGradeIndicator", nullptr}});
  const Sink sink = site.read();
  const CollectedStream& schools = sink.stream("schools");
  REQUIRE(schools.rows.size() == 1);
  CHECK(schools.info.columns.front() == "id");
  CHECK(schools.at(0, "schoolId") == "990001");
  CHECK(sink.type("schools", 0, "schoolId") == ValueType::kNumber);
  CHECK(schools.at(0, "localEducationAgencyId") == "9900");
  CHECK(schools.at(0, "gradeLevels") == "Ninth grade,Tenth grade");
  CHECK(sink.type("schools", 0, "gradeLevels") == ValueType::kString);
  CHECK(sink.type("schools", 0, "schoolCategories") == ValueType::kNull);  // an empty list
  CHECK(sink.type("schools", 0, "webSite") == ValueType::kNull);           // absent
  const CollectedStream& associations = sink.stream("studentSchoolAssociations");
  REQUIRE(associations.rows.size() == 1);
  CHECK(associations.at(0, "studentUniqueId") == "S00001");
  CHECK(associations.at(0, "schoolId") == "990001");
  CHECK(associations.at(0, "entryGradeLevelDescriptor") == "Ninth grade");
  CHECK(associations.at(0, "primarySchool") == "true");
  CHECK(sink.type("studentSchoolAssociations", 0, "primarySchool") == ValueType::kBool);
  CHECK(sink.type("studentSchoolAssociations", 0, "repeatGradeIndicator") == ValueType::kNull);
}

TEST_CASE("edfi reads a stream of its own with resource paths and fields", "[edfi]") {
  Site site;
  config::StreamSettings offerings;
  offerings.name = "courseOfferings";
  offerings.key = "id";
  offerings.fields = {config::build::keep("id"), config::build::keep("localCourseCode"),
                      config::build::keep("localCourseTitle"), config::build::keep("courseCode"),
                      config::build::keep("sessionName")};
  offerings.options["resource"] = config::OptionValue{std::string("ed-fi/courseOfferings"), {}};
  offerings.options["paths"] =
      config::OptionValue{config::StringPairs{{"localCourseCode", "/localCourseCode"},
                                              {"courseCode", "/courseReference/courseCode"},
                                              {"sessionName", "/sessionReference/sessionName"}},
                          {}};
  site.settings.streams.push_back(offerings);
  site.api.upsert(
      "courseOfferings",
      boost::json::object{
          {"id", "5c0f0000000000000000000000000001"},
          {"localCourseCode", "TEST-101"},
          {"localCourseTitle", "Testing for Beginners"},
          {"courseReference",
           boost::json::object{{"courseCode", "TST-1"}, {"educationOrganizationId", 1}}},
          {"sessionReference",
           boost::json::object{{"sessionName", "2025-2026 Fall Semester"}, {"schoolYear", 2026}}},
          {"schoolReference", boost::json::object{{"schoolId", 990001}}}});
  const Sink sink = site.read();
  CHECK(sink.collected.failures.empty());
  const CollectedStream& stream = sink.stream("courseOfferings");
  CHECK(stream.ended);
  CHECK(stream.info.key == "id");
  CHECK(std::set<std::string>(stream.info.columns.begin(), stream.info.columns.end()) ==
        std::set<std::string>{"id", "localCourseCode", "localCourseTitle", "courseCode",
                              "sessionName"});
  CHECK(stream.info.columns.front() == "id");
  REQUIRE(stream.rows.size() == 1);
  CHECK(stream.at(0, "id") == "5c0f0000000000000000000000000001");
  CHECK(stream.at(0, "localCourseCode") == "TEST-101");
  CHECK(stream.at(0, "localCourseTitle") == "Testing for Beginners");
  CHECK(stream.at(0, "courseCode") == "TST-1");
  CHECK(stream.at(0, "sessionName") == "2025-2026 Fall Semester");
  CHECK(site.api.requests(Route::kData, "courseOfferings") == 1);
}

// ---------------------------------------------------------------------------------------------
// Change queries

TEST_CASE("edfi reads only the changes after a full read and then nothing", "[edfi]") {
  Site site;
  for (int i = 1; i <= 3; ++i) site.api.upsert("students", student(i));

  // Run 1: no state, a full read.
  const Sink first = site.read();
  const CollectedStream& full = first.stream("students");
  CHECK(full.mode == StreamMode::kSnapshot);
  CHECK(full.rows.size() == 3);
  const std::int64_t newest = site.api.newest_change_version();
  CHECK(version_of(full) == newest);
  CHECK(edfi::parse_stream_state(full.state).full_at == "2026-03-02T09:00:00Z");
  connectors::ResumeState state = Site::states(first);

  // One record changes, one is added, one removed.
  site.api.upsert("students", student(2, "Changedname"));
  site.api.upsert("students", student(4));
  site.api.remove("students", student_id(3));
  site.clock.advance(std::chrono::hours(1));

  const Sink second = site.read(state);
  const CollectedStream& changes = second.stream("students");
  CHECK(changes.mode == StreamMode::kChanges);
  CHECK(changes.ended);
  CHECK(ids_of(changes, RowOp::kUpsert) ==
        std::map<std::string, int>{{student_id(2), 1}, {student_id(4), 1}});
  CHECK(ids_of(changes, RowOp::kDelete) == std::map<std::string, int>{{student_id(3), 1}});
  REQUIRE(changes.rows.size() == 3);
  const std::size_t changed = row_where(changes, "id", student_id(2));
  CHECK(changes.at(changed, "firstName") == "Changedname");
  const std::size_t deleted = row_where(changes, "id", student_id(3));
  CHECK(changes.ops[deleted] == RowOp::kDelete);
  for (const std::string& column : changes.info.columns) {
    if (column == "id") continue;
    INFO(column);
    CHECK(second.type("students", deleted, column) == ValueType::kNull);
  }
  CHECK(version_of(changes) == site.api.newest_change_version());
  CHECK(edfi::parse_stream_state(changes.state).full_at == "2026-03-02T09:00:00Z");
  // The window after run 1's version, up to the newest, both included.
  const auto data = exchanges_of(site, "students", Route::kData);
  REQUIRE(data.size() == 2);
  CHECK(data[1].query.at("minChangeVersion") == std::to_string(newest + 1));
  CHECK(data[1].query.at("maxChangeVersion") == std::to_string(site.api.newest_change_version()));
  const auto deletes = exchanges_of(site, "students", Route::kDeletes);
  REQUIRE(deletes.size() == 1);
  CHECK(deletes[0].query.at("minChangeVersion") == std::to_string(newest + 1));
  state = Site::states(second, state);

  // Run 3: nothing new. Nothing is asked of the resource; the version stays.
  site.clock.advance(std::chrono::hours(1));
  const Sink third = site.read(state);
  const CollectedStream& nothing = third.stream("students");
  CHECK(nothing.mode == StreamMode::kChanges);
  CHECK(nothing.ended);
  CHECK(nothing.rows.empty());
  CHECK(version_of(nothing) == site.api.newest_change_version());
  CHECK(site.api.requests(Route::kData, "students") == 2);
  CHECK(site.api.requests(Route::kDeletes, "students") == 1);
  CHECK(third.collected.failures.empty());
}

TEST_CASE("edfi reads the ODS/API 5.x spelling of change versions and deletes", "[edfi]") {
  Site site;
  site.api.pascal_case(true);
  for (int i = 1; i <= 3; ++i) site.api.upsert("students", student(i));
  const Sink first = site.read();
  CHECK(first.collected.failures.empty());
  CHECK(version_of(first.stream("students")) == 3);
  site.api.remove("students", student_id(1));
  site.api.upsert("students", student(5));
  const Sink second = site.read(Site::states(first));
  CHECK(second.collected.failures.empty());
  const CollectedStream& changes = second.stream("students");
  CHECK(changes.mode == StreamMode::kChanges);
  CHECK(ids_of(changes, RowOp::kDelete) == std::map<std::string, int>{{student_id(1), 1}});
  CHECK(ids_of(changes, RowOp::kUpsert) == std::map<std::string, int>{{student_id(5), 1}});
  CHECK(version_of(changes) == 5);
}

TEST_CASE("edfi reads every stream whole when the API has no change queries", "[edfi]") {
  Site site;
  site.api.change_queries(false);
  for (int i = 1; i <= 3; ++i) site.api.upsert("students", student(i));
  connectors::ResumeState state;
  for (int run = 1; run <= 3; ++run) {
    INFO("run " << run);
    const Sink sink = site.read(state);
    const CollectedStream& students = sink.stream("students");
    CHECK(students.mode == StreamMode::kSnapshot);
    CHECK(students.ended);
    CHECK(students.rows.size() == 3);
    CHECK_FALSE(version_of(students).has_value());
    state = Site::states(sink, state);
    site.clock.advance(std::chrono::hours(1));
  }
  for (const HttpExchange& exchange : exchanges_of(site, "students", Route::kData)) {
    CHECK_FALSE(exchange.query.contains("minChangeVersion"));
    CHECK_FALSE(exchange.query.contains("maxChangeVersion"));
  }
  CHECK(site.api.requests(Route::kDeletes, "students") == 0);
  CHECK(site.api.requests(Route::kVersions) == 3);
}

TEST_CASE("edfi asks for no change versions with change_queries false", "[edfi]") {
  Site site;
  site.option("change_queries", false);
  site.api.upsert("students", student(1));
  const Sink first = site.read();
  const Sink second = site.read(Site::states(first));
  CHECK(second.stream("students").mode == StreamMode::kSnapshot);
  CHECK(second.stream("students").rows.size() == 1);
  CHECK(site.api.requests(Route::kVersions) == 0);
}

TEST_CASE("edfi reads a stream whole when its version is newer than the API's newest", "[edfi]") {
  Site site;
  for (int i = 1; i <= 3; ++i) site.api.upsert("students", student(i));
  const Sink first = site.read();
  connectors::ResumeState state = Site::states(first);
  // The ODS was restored from a backup: the stream was read up to a version it no longer has.
  edfi::StreamState ahead = edfi::parse_stream_state(state.stream("students"));
  REQUIRE(ahead.version);
  *ahead.version += 1000;
  state.streams["students"] = edfi::format_stream_state(ahead);
  site.clock.advance(std::chrono::hours(1));
  const Sink second = site.read(state);
  const CollectedStream& students = second.stream("students");
  CHECK(students.mode == StreamMode::kSnapshot);
  CHECK(students.rows.size() == 3);
  CHECK(version_of(students) == site.api.newest_change_version());
  CHECK(second.stream("schools").mode == StreamMode::kChanges);  // its state is fine
}

TEST_CASE("edfi reads a stream whole when its version is older than the API's oldest", "[edfi]") {
  Site site;
  for (int i = 1; i <= 3; ++i) site.api.upsert("students", student(i));
  const Sink first = site.read();
  for (int i = 4; i <= 9; ++i) site.api.upsert("students", student(i));
  // The ODS no longer has the changes after version 3.
  site.api.set_oldest_change_version(6);
  site.clock.advance(std::chrono::hours(1));
  const Sink second = site.read(Site::states(first));
  CHECK(second.stream("students").mode == StreamMode::kSnapshot);
  CHECK(second.stream("students").rows.size() == 9);
}

TEST_CASE("edfi reads a stream whole again once full_read_every has passed", "[edfi]") {
  Site site;
  site.option("full_read_every", config::Duration(std::chrono::hours(24)));
  for (int i = 1; i <= 3; ++i) site.api.upsert("students", student(i));
  const Sink first = site.read();
  connectors::ResumeState state = Site::states(first);

  site.clock.advance(std::chrono::hours(23));
  site.api.upsert("students", student(4));
  const Sink second = site.read(state);
  CHECK(second.stream("students").mode == StreamMode::kChanges);
  CHECK(second.stream("students").rows.size() == 1);
  state = Site::states(second, state);

  site.clock.advance(std::chrono::hours(1));
  const Sink third = site.read(state);
  const CollectedStream& students = third.stream("students");
  CHECK(students.mode == StreamMode::kSnapshot);
  CHECK(students.rows.size() == 4);
  CHECK(edfi::parse_stream_state(students.state).full_at == "2026-03-03T09:00:00Z");
  CHECK(version_of(students) == site.api.newest_change_version());
}

TEST_CASE("edfi reads a stream whole when its last full read is stamped in the future", "[edfi]") {
  Site site;
  for (int i = 1; i <= 3; ++i) site.api.upsert("students", student(i));
  const Sink first = site.read();
  connectors::ResumeState state = Site::states(first);
  // The clock was ahead at the last full read and has been set back since: without this, no
  // full read would come until the clock caught up.
  edfi::StreamState stamped = edfi::parse_stream_state(state.stream("students"));
  stamped.full_at = "2030-01-01T00:00:00Z";
  state.streams["students"] = edfi::format_stream_state(stamped);
  site.clock.advance(std::chrono::hours(1));
  const Sink second = site.read(state);
  CHECK(second.stream("students").mode == StreamMode::kSnapshot);
  CHECK(second.stream("students").rows.size() == 3);
  CHECK(second.stream("schools").mode == StreamMode::kChanges);
}

// ---------------------------------------------------------------------------------------------
// Paging

TEST_CASE("edfi offset paging reads 1234 records 100 a page each exactly once", "[edfi]") {
  Site site;
  site.option("page_size", std::int64_t{100});
  for (int i = 1; i <= 1234; ++i) site.api.upsert("students", student(i));
  const Sink sink = site.read();
  const CollectedStream& students = sink.stream("students");
  CHECK(students.ended);
  CHECK(students.rows.size() == 1234);
  const auto ids = ids_of(students);
  CHECK(ids.size() == 1234);
  CHECK(std::all_of(ids.begin(), ids.end(), [](const auto& id) { return id.second == 1; }));
  std::vector<std::string> offsets;
  for (const HttpExchange& exchange : exchanges_of(site, "students", Route::kData)) {
    CHECK(exchange.query.at("limit") == "100");
    CHECK(exchange.query.at("totalCount") == "true");
    offsets.push_back(exchange.query.at("offset"));
  }
  std::vector<std::string> expected;
  for (int offset = 0; offset < 1234; offset += 100) expected.push_back(std::to_string(offset));
  CHECK(offsets == expected);  // 13 pages: the last one reaches Total-Count
}

TEST_CASE("edfi cursor paging reads every record through page tokens", "[edfi]") {
  Site site;
  site.option("page_size", std::int64_t{100});
  site.option("paging", std::string("cursor"));
  for (int i = 1; i <= 1234; ++i) site.api.upsert("students", student(i));
  const Sink first = site.read();
  CHECK(first.collected.failures.empty());
  const CollectedStream& students = first.stream("students");
  CHECK(students.ended);
  CHECK(students.mode == StreamMode::kSnapshot);
  const auto ids = ids_of(students);
  CHECK(ids.size() == 1234);
  CHECK(students.rows.size() == 1234);
  CHECK(site.api.requests(Route::kPartitions, "students") == 1);
  const auto pages = exchanges_of(site, "students", Route::kData);
  CHECK(pages.size() == 14);  // 13 with records, then the empty one
  for (const HttpExchange& exchange : pages) {
    CHECK(exchange.query.contains("pageToken"));
    CHECK(exchange.query.at("pageSize") == "100");
    CHECK_FALSE(exchange.query.contains("offset"));
    CHECK_FALSE(exchange.query.contains("limit"));
  }
  // A resource with no record: its partitions say so, and its data is not asked for.
  CHECK(site.api.requests(Route::kPartitions, "grades") == 1);
  CHECK(site.api.requests(Route::kData, "grades") == 0);
  CHECK(first.stream("grades").ended);

  // A change window with cursor paging: page tokens for the window; deletes by offset.
  site.api.upsert("students", student(7, "Renamed"));
  site.api.remove("students", student_id(8));
  const Sink second = site.read(Site::states(first));
  const CollectedStream& changes = second.stream("students");
  CHECK(changes.mode == StreamMode::kChanges);
  CHECK(ids_of(changes, RowOp::kUpsert) == std::map<std::string, int>{{student_id(7), 1}});
  CHECK(ids_of(changes, RowOp::kDelete) == std::map<std::string, int>{{student_id(8), 1}});
  const auto partitions = exchanges_of(site, "students", Route::kPartitions);
  REQUIRE(partitions.size() == 2);
  CHECK(partitions[1].query.at("minChangeVersion") == "1235");
  CHECK(partitions[1].query.at("maxChangeVersion") == "1236");
}

TEST_CASE("edfi hands over the deletes of a window that holds no upsert", "[edfi]") {
  for (const std::string paging : {"offset", "cursor"}) {
    INFO(paging);
    Site site;
    site.option("paging", paging);
    for (int i = 1; i <= 3; ++i) site.api.upsert("students", student(i));
    const Sink first = site.read();
    site.api.remove("students", student_id(2));
    const Sink second = site.read(Site::states(first));
    const CollectedStream& students = second.stream("students");
    CHECK(students.mode == StreamMode::kChanges);
    CHECK(students.ended);
    CHECK(ids_of(students, RowOp::kUpsert).empty());
    CHECK(ids_of(students, RowOp::kDelete) == std::map<std::string, int>{{student_id(2), 1}});
    CHECK(version_of(students) == site.api.newest_change_version());
  }
}

TEST_CASE("edfi stops between pages when asked to", "[edfi]") {
  Site site;
  site.option("page_size", std::int64_t{2});
  for (int i = 1; i <= 10; ++i) site.api.upsert("students", student(i));
  // The preset's other streams are empty: the stop comes with the students' first page (students
  // is the preset's last stream), and no second page is asked for.
  Sink sink;
  sink.collected.stop_after_rows = 2;
  auto read = site.source().read({}, sink, sink.collected.stopper.get_token());
  REQUIRE_FALSE(read);
  CHECK(read.error().code == ErrorCode::kUnavailable);
  CHECK_THAT(read.error().message, Catch::Matchers::Contains("stopped"));
  CHECK_FALSE(sink.stream("students").ended);
  CHECK(site.api.requests(Route::kData, "students") == 1);
}

TEST_CASE("edfi reads again a full read during which an offset shifted and hands no row twice",
          "[edfi]") {
  Site site;
  site.option("page_size", std::int64_t{3});
  for (int i = 1; i <= 10; ++i) site.api.upsert("students", student(i));
  // After the first page, the first student (already read) is removed: every later one moves up
  // one place, and offset 3 skips the one that was fourth.
  site.api.on_page([](EdfiApi& api, const std::string& resource, Route route, int page) {
    if (resource == "students" && route == Route::kData && page == 1) {
      api.remove("students", student_id(1));
    }
  });
  const Sink first = site.read();
  const CollectedStream& students = first.stream("students");
  CHECK(students.ended);
  CHECK(students.mode == StreamMode::kSnapshot);
  const auto ids = ids_of(students);
  for (const auto& [id, times] : ids) {
    INFO(id);
    CHECK(times == 1);  // never twice
  }
  for (int i = 2; i <= 10; ++i) CHECK(ids.contains(student_id(i)));  // each remaining one
  CHECK(site.api.requests(Route::kData, "students") > 4);            // read again
  // The state is the version before the read: the next run hands over the delete.
  site.api.on_page({});
  const Sink second = site.read(Site::states(first));
  CHECK(ids_of(second.stream("students"), RowOp::kDelete) ==
        std::map<std::string, int>{{student_id(1), 1}});
}

TEST_CASE("edfi fails a full read that changes during every read and sends no deletes", "[edfi]") {
  Site site;
  site.option("page_size", std::int64_t{3});
  for (int i = 1; i <= 10; ++i) site.api.upsert("students", student(i));
  int next = 100;
  site.api.on_page([&next](EdfiApi& api, const std::string& resource, Route route, int) {
    if (resource == "students" && route == Route::kData) api.upsert("students", student(next++));
  });
  Sink sink;
  REQUIRE(site.source().read({}, sink, {}));
  REQUIRE(sink.collected.failures.size() == 1);
  CHECK(sink.collected.failures[0].first == "students");
  CHECK(sink.collected.failures[0].second.code == ErrorCode::kUnavailable);
  CHECK_THAT(sink.collected.failures[0].second.message,
             Catch::Matchers::Contains("changed during each read") &&
                 Catch::Matchers::Contains("no deletes"));
  const CollectedStream& students = sink.stream("students");
  CHECK(students.failed);
  CHECK_FALSE(students.ended);
  for (const auto& [id, times] : ids_of(students)) {
    INFO(id);
    CHECK(times == 1);
  }
  CHECK(sink.stream("schools").ended);
}

TEST_CASE("edfi keeps the version of a change window that changes during every read", "[edfi]") {
  Site site;
  site.option("page_size", std::int64_t{2});
  for (int i = 1; i <= 100; ++i) site.api.upsert("students", student(i));
  const Sink first = site.read();
  const connectors::ResumeState state = Site::states(first);
  for (int i = 1; i <= 100; ++i) site.api.upsert("students", student(i, "Changed"));
  // Each page of the window moves a record of the window out of it (its new version passes the
  // window's end), so that every read of the window is inconsistent.
  int moved = 100;
  site.api.on_page([&moved](EdfiApi& api, const std::string& resource, Route route, int) {
    if (resource == "students" && route == Route::kData && moved > 0) {
      api.upsert("students", student(moved--, "Moved"));
    }
  });
  const Sink second = site.read(state);
  const CollectedStream& students = second.stream("students");
  CHECK(students.mode == StreamMode::kChanges);
  CHECK(students.ended);
  CHECK(students.state == state.stream("students"));  // the window is read again next run
  CHECK_FALSE(students.rows.empty());
  for (const auto& [id, times] : ids_of(students)) {
    INFO(id);
    CHECK(times == 1);
  }
  CHECK(site.api.requests(Route::kDeletes, "students") == 0);
  CHECK(second.collected.failures.empty());
}

// ---------------------------------------------------------------------------------------------
// Bad records

TEST_CASE("edfi reports a record without id as a bad row and reads the others", "[edfi]") {
  Site site;
  site.api.upsert("students", student(1));
  boost::json::object no_id = student(2);
  no_id.erase("id");
  site.api.upsert("students", no_id);
  site.api.upsert("students", student(3));
  const Sink sink = site.read();
  const CollectedStream& students = sink.stream("students");
  CHECK(students.ended);
  CHECK(ids_of(students) == std::map<std::string, int>{{student_id(1), 1}, {student_id(3), 1}});
  REQUIRE(sink.collected.bad_rows.size() == 1);
  CHECK(sink.collected.bad_rows[0].stream == "students");
  CHECK(sink.collected.bad_rows[0].location == "students record 2");
  CHECK_THAT(sink.collected.bad_rows[0].reason, Catch::Matchers::Contains("id"));
  CHECK(sink.collected.failures.empty());
}

TEST_CASE("edfi numbers a bad record by its place in the whole read across pages", "[edfi]") {
  Site site;
  site.option("page_size", std::int64_t{2});
  for (int i = 1; i <= 6; ++i) {
    boost::json::object record = student(i);
    if (i == 5) record["birthDate"] = boost::json::array{boost::json::array{}};
    site.api.upsert("students", record);
  }
  const Sink sink = site.read();
  CHECK(sink.stream("students").rows.size() == 5);
  REQUIRE(sink.collected.bad_rows.size() == 1);
  CHECK(sink.collected.bad_rows[0].location == "students record 5");
  CHECK_THAT(sink.collected.bad_rows[0].reason, Catch::Matchers::Contains("birthDate"));
}

// Records without an id all have the same (empty) key: they are bad records, not one record
// twice (which would make the read look inconsistent and fail the stream).
TEST_CASE("edfi reports two records without id as two bad rows and reads the others", "[edfi]") {
  Site site;
  site.api.upsert("students", student(1));
  for (int i = 2; i <= 3; ++i) {
    boost::json::object no_id = student(i);
    no_id.erase("id");
    site.api.upsert("students", no_id);
  }
  site.api.upsert("students", student(4));
  const Sink sink = site.read();
  CHECK(sink.collected.failures.empty());
  const CollectedStream& students = sink.stream("students");
  CHECK(students.ended);
  CHECK(ids_of(students) == std::map<std::string, int>{{student_id(1), 1}, {student_id(4), 1}});
  REQUIRE(sink.collected.bad_rows.size() == 2);
  CHECK(sink.collected.bad_rows[0].location == "students record 2");
  CHECK(sink.collected.bad_rows[1].location == "students record 3");
}

TEST_CASE("edfi reports an object where a value belongs by its path and never its content",
          "[edfi]") {
  Site site;
  site.api.upsert("students", student(1));
  boost::json::object odd = student(2);
  odd["studentUniqueId"] = boost::json::object{{"hidden", "private-value-4711"}};
  site.api.upsert("students", odd);
  site.api.upsert("students", student(3));
  const Sink sink = site.read();
  CHECK(ids_of(sink.stream("students")) ==
        std::map<std::string, int>{{student_id(1), 1}, {student_id(3), 1}});
  REQUIRE(sink.collected.bad_rows.size() == 1);
  const connectors::BadRow& bad = sink.collected.bad_rows[0];
  CHECK(bad.stream == "students");
  CHECK(bad.location == "students record 2");
  CHECK_THAT(bad.reason, Catch::Matchers::Contains("studentUniqueId") &&
                             !Catch::Matchers::Contains("private-value-4711") &&
                             !Catch::Matchers::Contains("hidden"));
}

// ---------------------------------------------------------------------------------------------
// Faults

TEST_CASE("edfi fails the run with kAuth when the client secret is wrong", "[edfi]") {
  Site site;
  site.client_secret() = "wrong-secret-31337";
  Sink sink;
  auto read = site.source().read({}, sink, {});
  REQUIRE_FALSE(read);
  CHECK(read.error().code == ErrorCode::kAuth);
  CHECK_THAT(read.error().message, Catch::Matchers::Contains("invalid_client") &&
                                       Catch::Matchers::Contains("client_secret") &&
                                       !Catch::Matchers::Contains("wrong-secret-31337"));
  CHECK(sink.collected.total_rows() == 0);
  auto checked = site.source().check();
  REQUIRE_FALSE(checked);
  CHECK(checked.error().code == ErrorCode::kAuth);
}

TEST_CASE("edfi fails only the stream whose resource the API lacks", "[edfi]") {
  Site site;
  config::StreamSettings nothings;
  nothings.name = "nothings";
  nothings.key = "id";
  nothings.fields = {config::build::keep("id")};
  nothings.options["resource"] = config::OptionValue{std::string("ed-fi/nothings"), {}};
  site.settings.streams.push_back(nothings);
  site.api.upsert("students", student(1));
  Sink sink;
  auto read = site.source().read({}, sink, {});
  INFO((read ? "" : read.error().message));
  REQUIRE(read);
  REQUIRE(sink.collected.failures.size() == 1);
  CHECK(sink.collected.failures[0].first == "nothings");
  CHECK(sink.collected.failures[0].second.code == ErrorCode::kNotFound);
  CHECK(sink.stream("students").ended);
  CHECK(sink.stream("students").rows.size() == 1);
  CHECK(sink.stream("schools").ended);
}

TEST_CASE("edfi fails only the stream the account may not read", "[edfi]") {
  Site site;
  site.api.upsert("students", student(1));
  site.api.on_reply([](const HttpExchange& exchange, HttpReply& reply) {
    if (exchange.path.ends_with("/ed-fi/staffs")) {
      reply.status = 403;
      reply.body = R"({"message":"Access to the resource could not be authorized."})";
    }
  });
  const Sink sink = site.read();
  REQUIRE(sink.collected.failures.size() == 1);
  CHECK(sink.collected.failures[0].first == "staffs");
  CHECK(sink.collected.failures[0].second.code == ErrorCode::kPermission);
  CHECK(sink.stream("students").rows.size() == 1);
}

TEST_CASE("edfi waits out a 429 as Retry-After says and hands the rows over once", "[edfi]") {
  Site site;
  for (int i = 1; i <= 3; ++i) site.api.upsert("students", student(i));
  int limited = 0;
  site.api.on_reply([&limited](const HttpExchange& exchange, HttpReply& reply) {
    if (exchange.path.ends_with("/ed-fi/students") && limited++ == 0) {
      reply.status = 429;
      reply.body.clear();
      reply.headers.emplace_back("Retry-After", "1");
    }
  });
  // The real clock: the client waits the second out on it.
  auto made =
      connectors::create_source(site.settings, connectors::inspection_context(site.settings));
  REQUIRE(made);
  Sink sink;
  auto read = (*made)->read({}, sink, {});
  INFO((read ? "" : read.error().message));
  REQUIRE(read);
  CHECK(sink.collected.failures.empty());
  CHECK(ids_of(sink.stream("students")) ==
        std::map<std::string, int>{{student_id(1), 1}, {student_id(2), 1}, {student_id(3), 1}});
  CHECK(site.api.requests(Route::kData, "students") == 2);
}

TEST_CASE("edfi reads a page again whose body was cut short and hands no row twice", "[edfi]") {
  Site site;
  site.option("page_size", std::int64_t{5});
  for (int i = 1; i <= 12; ++i) site.api.upsert("students", student(i));
  int cut = 0;
  site.api.on_reply([&cut](const HttpExchange& exchange, HttpReply& reply) {
    if (exchange.path.ends_with("/ed-fi/students") && exchange.query.count("offset") &&
        exchange.query.at("offset") == "5" && cut++ == 0) {
      reply.fault = HttpReply::Fault::kTruncate;
    }
  });
  const Sink sink = site.read();
  const CollectedStream& students = sink.stream("students");
  CHECK(students.ended);
  const auto ids = ids_of(students);
  CHECK(ids.size() == 12);
  CHECK(students.rows.size() == 12);
}

TEST_CASE("edfi gets a new token once when the API refuses one mid-read", "[edfi]") {
  Site site;
  site.option("page_size", std::int64_t{2});
  for (int i = 1; i <= 5; ++i) site.api.upsert("students", student(i));
  site.api.on_page([](EdfiApi& api, const std::string& resource, Route, int page) {
    if (resource == "students" && page == 1) api.revoke_tokens();
  });
  const Sink sink = site.read();
  CHECK(sink.collected.failures.empty());
  CHECK(sink.stream("students").rows.size() == 5);
  CHECK(site.api.token_requests() == 2);
}

TEST_CASE("edfi fails the run with kConfig when page_size passes the API's limit", "[edfi]") {
  Site site;
  site.option("page_size", std::int64_t{600});
  Sink sink;
  auto read = site.source().read({}, sink, {});
  REQUIRE_FALSE(read);
  CHECK(read.error().code == ErrorCode::kConfig);
  CHECK_THAT(read.error().message, Catch::Matchers::Contains("400"));
}

// ---------------------------------------------------------------------------------------------
// Configuration

TEST_CASE("edfi refuses a stream keyed by anything but id", "[edfi]") {
  Site site;
  config::StreamSettings students;
  students.name = "students";
  students.key = "studentUniqueId";
  students.fields = {config::build::keep("studentUniqueId")};
  site.settings.streams.push_back(students);
  auto made = site.make();
  REQUIRE_FALSE(made);
  CHECK(made.error().code == ErrorCode::kConfig);
  CHECK_THAT(made.error().message,
             Catch::Matchers::Contains("key: id") && Catch::Matchers::Contains("students"));
}

TEST_CASE("edfi refuses a path that is not a JSON pointer", "[edfi]") {
  Site site;
  config::StreamSettings offerings;
  offerings.name = "courseOfferings";
  offerings.key = "id";
  offerings.fields = {config::build::keep("schoolId")};
  offerings.options["paths"] =
      config::OptionValue{config::StringPairs{{"schoolId", "schoolReference/schoolId"}}, {}};
  site.settings.streams.push_back(offerings);
  auto made = site.make();
  REQUIRE_FALSE(made);
  CHECK(made.error().code == ErrorCode::kConfig);
  CHECK_THAT(made.error().message, Catch::Matchers::Contains("courseOfferings") &&
                                       Catch::Matchers::Contains("schoolReference/schoolId"));
}

TEST_CASE("edfi refuses a paths entry that moves id", "[edfi]") {
  Site site;
  config::StreamSettings offerings;
  offerings.name = "courseOfferings";
  offerings.options["paths"] =
      config::OptionValue{config::StringPairs{{"id", "/courseReference/id"}}, {}};
  site.settings.streams.push_back(offerings);
  auto made = site.make();
  REQUIRE_FALSE(made);
  CHECK(made.error().code == ErrorCode::kConfig);
}

TEST_CASE("edfi refuses a page_size out of range", "[edfi]") {
  for (const std::int64_t size : {std::int64_t{0}, std::int64_t{-1}, std::int64_t{5001}}) {
    INFO(size);
    Site site;
    site.option("page_size", size);
    auto made = site.make();
    REQUIRE_FALSE(made);
    CHECK(made.error().code == ErrorCode::kConfig);
    CHECK_THAT(made.error().message, Catch::Matchers::Contains("page_size"));
  }
}

// ---------------------------------------------------------------------------------------------
// check()

TEST_CASE("edfi check passes against a reachable API", "[edfi]") {
  Site site;
  site.api.upsert("courses", boost::json::object{{"id", "c1"}, {"courseCode", "TST-1"}});
  auto checked = site.source().check();
  INFO((checked ? "" : checked.error().message));
  CHECK(checked);
  CHECK(site.api.requests(Route::kVersions) == 1);
  CHECK(site.api.requests(Route::kData, "courses") == 1);
}

TEST_CASE("edfi check passes with cursor paging against an API that has page tokens", "[edfi]") {
  Site site;
  site.option("paging", std::string("cursor"));
  auto checked = site.source().check();
  INFO((checked ? "" : checked.error().message));
  CHECK(checked);
  CHECK(site.api.requests(Route::kPartitions, "courses") == 1);
}

TEST_CASE("edfi takes data_path with slashes around it", "[edfi]") {
  Site site;
  site.option("data_path", std::string("/data/v3/"));
  site.option("change_queries_path", std::string("/changeQueries/v1/"));
  site.api.upsert("students", student(1));
  auto checked = site.source().check();
  INFO((checked ? "" : checked.error().message));
  CHECK(checked);
  const Sink sink = site.read();
  CHECK(sink.collected.failures.empty());
  CHECK(sink.stream("students").rows.size() == 1);
  CHECK(site.api.requests(Route::kVersions) == 2);
}

TEST_CASE("edfi check fails when data_path is wrong", "[edfi]") {
  Site site;
  site.option("data_path", std::string("data/v9"));
  auto checked = site.source().check();
  REQUIRE_FALSE(checked);
  CHECK(checked.error().code == ErrorCode::kNotFound);
  CHECK_THAT(checked.error().message, Catch::Matchers::Contains("/api/data/v9/ed-fi/courses"));
}

TEST_CASE("edfi check passes when a wrong change_queries_path answers 404", "[edfi]") {
  Site site;
  site.option("change_queries_path", std::string("changeQueries/v9"));
  auto checked = site.source().check();
  // A wrong path answers 404 as an ODS without change queries does: check() cannot tell them
  // apart and passes; a read then reads every stream whole.
  INFO((checked ? "" : checked.error().message));
  CHECK(checked);
}

// ---------------------------------------------------------------------------------------------
// Secrets

TEST_CASE("edfi never shows the client secret or the access token in a message", "[edfi]") {
  std::vector<std::string> messages;
  {
    Site site;
    site.option("page_size", std::int64_t{2});
    config::StreamSettings nothings;
    nothings.name = "nothings";
    nothings.key = "id";
    nothings.options["resource"] = config::OptionValue{std::string("ed-fi/nothings"), {}};
    site.settings.streams.push_back(nothings);
    for (int i = 1; i <= 4; ++i) site.api.upsert("students", student(i));
    boost::json::object odd = student(5);
    odd["firstName"] = boost::json::array{boost::json::object{}};
    site.api.upsert("students", odd);
    site.api.on_reply([](const HttpExchange& exchange, HttpReply& reply) {
      if (exchange.path.ends_with("/ed-fi/staffs")) reply.status = 403;
    });
    Sink sink;
    auto read = site.source().read({}, sink, {});
    if (!read) messages.push_back(read.error().message);
    for (std::string& message : sink.messages()) messages.push_back(std::move(message));
    site.api.on_reply({});
    if (auto checked = site.source().check(); !checked) messages.push_back(checked.error().message);
  }
  {
    Site site;
    site.client_secret() = std::string(EdfiApi::kClientSecret) + "-old";
    Sink sink;
    if (auto read = site.source().read({}, sink, {}); !read) {
      messages.push_back(read.error().message);
    }
    if (auto checked = site.source().check(); !checked) messages.push_back(checked.error().message);
  }
  CHECK(messages.size() >= 4);
  for (const std::string& message : messages) {
    INFO(message);
    CHECK_THAT(message, !Catch::Matchers::Contains(EdfiApi::kClientSecret) &&
                            !Catch::Matchers::Contains("edfi-token-"));
  }
}

}  // namespace
}  // namespace ferry::test
