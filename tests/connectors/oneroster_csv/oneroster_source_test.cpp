#include "connectors/oneroster_csv/oneroster_source.hpp"

#include <map>

#include <catch2/catch.hpp>

#include "connectors/oneroster_csv/oneroster_csv.hpp"
#include "tests/connectors/oneroster_csv/collecting_sink.hpp"
#include "tests/connectors/oneroster_csv/zip_writer.hpp"
#include "tests/support/skip.hpp"
#include "tests/support/system_checks.hpp"
#include "tests/support/temp_dir.hpp"

namespace ferry::connectors::oneroster_csv {
namespace {

using test::CollectingSink;
using Files = std::vector<std::pair<std::string, std::string>>;

// A small OneRoster 1.1 export: users in bulk (with an extra column the standard does not have),
// enrollments as a delta, orgs in bulk, the rest absent.
Files sample_export() {
  return {
      {"manifest.csv",
       "propertyName,value\r\n"
       "manifest.version,1.0\r\n"
       "oneroster.version,1.1\r\n"
       "file.orgs,bulk\r\n"
       "file.users,bulk\r\n"
       "file.enrollments,delta\r\n"
       "file.classes,absent\r\n"
       "file.results,absent\r\n"},
      {"orgs.csv",
       "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\r\n"
       "org-1,,,Springfield Elementary,school,SE,\r\n"},
      {"users.csv",
       "\xEF\xBB\xBFsourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,"
       "userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,"
       "password,x.houseColour\r\n"
       "u1,,,true,org-1,student,bart,,Bart,Simpson,Jo,S1,bart@example.org,,,\"u3,u4\",04,,red\r\n"
       "u2,,,true,org-1,teacher,edna,,Edna,\"Krabappel, \"\"Mrs\"\"\",,T1,,,,,,,\r\n"
       "u3,,,true,org-1,parent,homer,,Homer,Simpson,,,,,,,,,\r\n"},
      {"enrollments.csv",
       "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,"
       "primary,"
       "beginDate,endDate\n"
       "e1,active,2026-01-01,c1,org-1,u1,student,false,,\n"
       "e2,ToBeDeleted,2026-01-01,c1,org-1,u2,teacher,true,,\n"
       "e3,,2026-01-01,c1,org-1,u3,student,false,,\n"},
      // Present but marked absent in the manifest: never read.
      {"classes.csv", "not,a,valid\"file\n"},
  };
}

void write_folder(const ferry::test::TempDir& dir, const Files& files,
                  const std::string& sub = "") {
  for (const auto& [name, content] : files) dir.write(sub + name, content);
}

Files without(Files files, std::string_view name) {
  std::erase_if(files, [&](const auto& file) { return file.first == name; });
  return files;
}

Files with(Files files, const std::string& name, const std::string& content) {
  files = without(std::move(files), name);
  files.emplace_back(name, content);
  return files;
}

Result<std::string> read(OneRosterSource& source, CollectingSink& sink,
                         std::string_view state = "") {
  return source.read(ResumeState{std::string(state), {}}, sink, sink.stopper.get_token());
}

void check_sample_rows(const CollectingSink& sink) {
  CHECK(sink.bad_rows.empty());
  REQUIRE(sink.streams.size() == 3);
  CHECK(sink.streams[0].info.name == "orgs");
  CHECK(sink.streams[1].info.name == "users");
  CHECK(sink.streams[2].info.name == "enrollments");
  for (const auto& stream : sink.streams) CHECK(stream.ended);

  const auto& users = sink.streams[1];
  CHECK(users.mode == StreamMode::kSnapshot);
  CHECK(users.info.key == "sourcedId");
  REQUIRE(users.info.columns.size() == 19);
  CHECK(users.info.columns.front() == "sourcedId");  // the BOM is not part of the name
  CHECK(users.info.columns.back() == "x.houseColour");
  REQUIRE(users.rows.size() == 3);
  CHECK(users.at(0, "agentSourcedIds") == "u3,u4");
  CHECK(users.at(0, "x.houseColour") == "red");
  CHECK(users.at(1, "familyName") == "Krabappel, \"Mrs\"");
  CHECK(users.at(2, "email").empty());
  CHECK(std::all_of(users.ops.begin(), users.ops.end(),
                    [](RowOp op) { return op == RowOp::kUpsert; }));

  const auto& enrollments = sink.streams[2];
  CHECK(enrollments.mode == StreamMode::kChanges);
  REQUIRE(enrollments.rows.size() == 3);
  CHECK(enrollments.ops == std::vector<RowOp>{RowOp::kUpsert, RowOp::kDelete, RowOp::kUpsert});
  CHECK(enrollments.at(1, "sourcedId") == "e2");
}

// A OneRoster 1.0 export, with the names and the column order of 1.0 and of its sample data:
// demographics keyed by userSourcedId, users with userid and agents, courses with schoolYearId and
// grade, classes with grade and termSourcedId, enrollments with status after role; and
// dateLastModified with a space for a T and no zone, as a date, and without milliseconds.
Files export_1_0() {
  return {
      {"manifest.csv",
       "propertyName,value\n"
       "manifest.version,1.0\n"
       "file.orgs,bulk\n"
       "file.users,bulk\n"
       "file.demographics,bulk\n"
       "file.courses,bulk\n"
       "file.classes,bulk\n"
       "file.enrollments,bulk\n"},
      {"orgs.csv",
       "sourcedId,status,dateLastModified,name,type,identifier,metadata.classification,"
       "metadata.gender,metadata.boarding,parentSourcedId\n"
       "org-1,active,2016-09-24,Springfield Elementary,school,SE,public,mixed,False,\n"},
      {"users.csv",
       "sourcedId,status,dateLastModified,orgSourcedIds,role,username,userid,givenName,"
       "familyName,identifier,email,sms,phone,agents\n"
       "u1,active,2016-09-24 10:00:00,org-1,student,bart,{LDAP:12},Bart,Simpson,S1,"
       "bart@example.org,,,\"u3,u4\"\n"
       "u3,active,2016-09-24T10:00:00Z,org-1,parent,homer,,Homer,Simpson,,,,,\n"},
      {"demographics.csv",
       "userSourcedId,status,dateLastModified,sex,birthdate\n"
       "u1,active,2016-09-24 10:00:00,male,2010-04-01\n"},
      {"courses.csv",
       "sourcedId,status,dateLastModified,schoolYearId,title,courseCode,grade,orgSourcedId,"
       "subjects\n"
       "co-1,active,2016-09-24T10:00:00Z,sy-1,Algebra,ALG,09,org-1,math\n"},
      {"classes.csv",
       "sourcedId,status,dateLastModified,title,grade,courseSourcedId,classCode,classType,"
       "location,schoolSourcedId,termSourcedId,subjects\n"
       "cl-1,active,2016-09-24,Algebra 1,09,co-1,ALG-1,scheduled,R1,org-1,t-1,math\n"},
      {"enrollments.csv",
       "sourcedId,classSourcedId,schoolSourcedId,userSourcedId,role,status,dateLastModified,"
       "primary\n"
       "e1,cl-1,org-1,u1,student,active,2016-09-24 10:00:00,FALSE\n"},
  };
}

// The source `preset: oneroster` makes, as the agent builds it.
std::unique_ptr<Source> preset_source(const std::filesystem::path& path,
                                      std::vector<config::StreamSettings> streams = {}) {
  config::SourceSettings settings;
  settings.name = "sis";
  settings.type = "oneroster_csv";
  settings.preset = "oneroster";
  settings.streams = std::move(streams);
  settings.options["path"] = config::OptionValue{path.string(), {}};
  auto source = create(settings, SourceContext{});
  REQUIRE(source.has_value());
  return std::move(*source);
}

}  // namespace

TEST_CASE("oneroster source reads a folder export: bulk as snapshot, delta as changes") {
  ferry::test::TempDir dir;
  write_folder(dir, sample_export());
  OneRosterSource source(dir.path());
  CollectingSink sink;
  auto state = read(source, sink);
  REQUIRE(state.has_value());
  check_sample_rows(sink);
  const auto fingerprint = OneRosterSource::fingerprint_of(*state);
  REQUIRE(fingerprint.has_value());
  CHECK(fingerprint->size() == 64);
  CHECK(*state == R"({"fingerprint":")" + *fingerprint + R"("})");
}

TEST_CASE("oneroster source reads the same export from a zip, with the same fingerprint") {
  ferry::test::TempDir dir;
  write_folder(dir, sample_export(), "folder/");
  test::write_zip(dir / "export.zip", sample_export());
  CollectingSink from_folder;
  CollectingSink from_zip;
  OneRosterSource folder(dir / "folder");
  OneRosterSource zip(dir / "export.zip");
  auto folder_state = read(folder, from_folder);
  auto zip_state = read(zip, from_zip);
  REQUIRE(folder_state.has_value());
  REQUIRE(zip_state.has_value());
  check_sample_rows(from_zip);
  CHECK(*zip_state == *folder_state);
}

TEST_CASE("oneroster source reads a zip whose files sit in a folder inside it") {
  ferry::test::TempDir dir;
  Files nested;
  nested.emplace_back("__MACOSX/export/manifest.csv", "junk");
  for (const auto& [name, content] : sample_export())
    nested.emplace_back("export/" + name, content);
  test::write_zip(dir / "export.zip", nested);
  OneRosterSource source(dir / "export.zip");
  CollectingSink sink;
  REQUIRE(read(source, sink).has_value());
  check_sample_rows(sink);
}

TEST_CASE("oneroster source returns the same state without rows when the export is unchanged") {
  ferry::test::TempDir dir;
  write_folder(dir, sample_export());
  OneRosterSource source(dir.path());
  CollectingSink first;
  auto state = read(source, first);
  REQUIRE(state.has_value());

  // Touching the files (a new time stamp, the same bytes) is not a new export.
  std::filesystem::last_write_time(dir / "users.csv",
                                   std::filesystem::file_time_type(std::chrono::hours(1)));
  CollectingSink second;
  auto again = read(source, second, *state);
  REQUIRE(again.has_value());
  CHECK(*again == *state);
  CHECK(second.calls == 0);
}

TEST_CASE("oneroster source notices a changed byte in any listed file") {
  ferry::test::TempDir dir;
  write_folder(dir, sample_export());
  OneRosterSource source(dir.path());
  CollectingSink first;
  auto state = read(source, first);
  REQUIRE(state.has_value());

  std::string users = ferry::test::read_file(dir / "users.csv");
  users[users.find("Bart")] = 'b';
  dir.write("users.csv", users);
  CollectingSink second;
  auto changed = read(source, second, *state);
  REQUIRE(changed.has_value());
  CHECK(*changed != *state);
  REQUIRE(second.find("users") != nullptr);
  CHECK(second.find("users")->at(0, "givenName") == "bart");
  CHECK(second.total_rows() == 7);

  // A file the manifest marks absent does not count.
  dir.write("classes.csv", "anything");
  CollectingSink third;
  auto same = read(source, third, *changed);
  REQUIRE(same.has_value());
  CHECK(*same == *changed);
  CHECK(third.calls == 0);

  // The manifest counts.
  std::string manifest = ferry::test::read_file(dir / "manifest.csv");
  dir.write("manifest.csv", manifest + "source.systemName,SIS\r\n");
  CollectingSink fourth;
  auto other = read(source, fourth, *changed);
  REQUIRE(other.has_value());
  CHECK(*other != *changed);
  CHECK(fourth.total_rows() == 7);
}

TEST_CASE("oneroster source reads everything again for a state it does not know") {
  ferry::test::TempDir dir;
  write_folder(dir, sample_export());
  OneRosterSource source(dir.path());
  for (std::string_view state : {"", "garbage", R"({"fingerprint":"00"})", R"({"other":1})"}) {
    CollectingSink sink;
    REQUIRE(read(source, sink, state).has_value());
    CHECK(sink.total_rows() == 7);
  }
}

TEST_CASE("oneroster source fails a stream at a broken quoted field and reads no row after it") {
  // A free-text note with an unescaped quote and a line break; the note's next line has exactly
  // the columns of a row. That line must never become a row.
  ferry::test::TempDir dir;
  write_folder(dir, with(sample_export(), "users.csv",
                         "sourcedId,givenName,familyName,note\n"
                         "u1,Bart,Simpson,ok\n"
                         "u2,Lisa,Simpson,\"she said \"no\" to the trip\n"
                         "u666,Mallory,Injected,words of the note\"\n"
                         "u4,Maggie,Simpson,ok\n"));
  OneRosterSource source(dir.path());
  CollectingSink sink;
  REQUIRE(read(source, sink).has_value());
  const auto* users = sink.find("users");
  REQUIRE(users != nullptr);
  CHECK(users->failed);
  for (std::size_t i = 0; i < users->rows.size(); ++i) {
    CHECK(users->at(i, "sourcedId") == "u1");
  }
  REQUIRE(sink.failures.size() == 1);
  CHECK(sink.failures[0].first == "users");
  CHECK(sink.failures[0].second.code == ErrorCode::kCorrupt);
  CHECK_THAT(sink.failures[0].second.message,
             Catch::StartsWith("users.csv:3: a closing quote is followed by a character other "
                               "than a comma or a line break: where that field ends cannot be "
                               "known"));
  CHECK(sink.failures[0].second.message.find("Mallory") == std::string::npos);
  // The other streams are read whole.
  for (const auto& stream : sink.streams) {
    if (stream.info.name != "users") CHECK(stream.ended);
  }
}

TEST_CASE("oneroster source reports bad rows with file and line, never their content") {
  ferry::test::TempDir dir;
  write_folder(dir, with(sample_export(), "users.csv",
                         "sourcedId,givenName,familyName\n"
                         "u1,Bart,Simpson\n"
                         "u2,\"Lisa\nMarie\",Simpson\n"
                         "u3,Secretname\n"
                         "u4,Maggie,Simpson\n"
                         "u5,Mar\"ge,Simpson\n"));
  OneRosterSource source(dir.path());
  CollectingSink sink;
  REQUIRE(read(source, sink).has_value());
  const auto* users = sink.find("users");
  REQUIRE(users != nullptr);
  REQUIRE(users->rows.size() == 3);
  CHECK(users->at(1, "givenName") == "Lisa\nMarie");
  CHECK(users->at(2, "sourcedId") == "u4");
  REQUIRE(sink.bad_rows.size() == 2);
  CHECK(sink.bad_rows[0].stream == "users");
  CHECK(sink.bad_rows[0].location == "users.csv:5");
  CHECK(sink.bad_rows[0].reason == "expected 3 fields, found 2");
  CHECK(sink.bad_rows[1].location == "users.csv:7");
  for (const auto& bad : sink.bad_rows) CHECK(bad.reason.find("ecret") == std::string::npos);
}

TEST_CASE("oneroster source takes a header that ends in empty names and the rows under it") {
  ferry::test::TempDir dir;
  write_folder(dir, with(sample_export(), "orgs.csv",
                         "sourcedId,name,,\r\norg-1,A\r\norg-2,B,,\r\norg-3,C,x\r\n"));
  OneRosterSource source(dir.path());
  CollectingSink sink;
  REQUIRE(read(source, sink).has_value());
  const auto* orgs = sink.find("orgs");
  REQUIRE(orgs != nullptr);
  CHECK(orgs->info.columns == std::vector<std::string>{"sourcedId", "name"});
  CHECK(orgs->rows.size() == 2);
  REQUIRE(sink.bad_rows.size() == 1);
  CHECK(sink.bad_rows[0].location == "orgs.csv:4");
}

TEST_CASE("oneroster source lists streams from the manifest and the headers alone") {
  ferry::test::TempDir dir;
  write_folder(dir, sample_export());
  OneRosterSource source(dir.path());
  auto streams = source.streams();
  REQUIRE(streams.has_value());
  REQUIRE(streams->size() == 3);
  CHECK((*streams)[0].name == "orgs");
  CHECK((*streams)[1].name == "users");
  CHECK((*streams)[1].columns.size() == 19);
  CHECK((*streams)[2].name == "enrollments");
  CHECK((*streams)[2].key == "sourcedId");
  CHECK(source.check().has_value());
}

TEST_CASE("oneroster source gives no key to a file without sourcedId") {
  ferry::test::TempDir dir;
  write_folder(dir, with(with(sample_export(), "manifest.csv",
                              "propertyName,value\nfile.lineItemLearningObjectiveIds,bulk\n"),
                         "lineItemLearningObjectiveIds.csv",
                         "lineItemSourcedId,source,learningObjectiveId\nli1,CASE,lo1\n"));
  OneRosterSource source(dir.path());
  auto streams = source.streams();
  REQUIRE(streams.has_value());
  REQUIRE(streams->size() == 1);
  CHECK((*streams)[0].key.empty());
}

TEST_CASE(
    "oneroster source is fine without optional files and names a listed file that is missing") {
  ferry::test::TempDir dir;
  // results, classes: absent in the manifest and not there at all.
  write_folder(dir, without(sample_export(), "classes.csv"));
  OneRosterSource source(dir.path());
  CHECK(source.check().has_value());

  dir.write("manifest.csv", "propertyName,value\nfile.users,bulk\nfile.results,delta\n");
  auto checked = source.check();
  REQUIRE_FALSE(checked.has_value());
  CHECK(checked.error().code == ErrorCode::kNotFound);
  CHECK_THAT(checked.error().message,
             Catch::Contains("manifest.csv lists results as delta, but results.csv is not in") &&
                 Catch::Contains("mark it absent"));
  // The missing file fails its stream only: users is read, and the old state stays.
  CollectingSink sink;
  auto read_result = read(source, sink, R"({"fingerprint":"old"})");
  REQUIRE(read_result.has_value());
  CHECK(*read_result == R"({"fingerprint":"old"})");
  REQUIRE(sink.failures.size() == 1);
  CHECK(sink.failures[0].first == "results");
  CHECK(sink.failures[0].second.code == ErrorCode::kNotFound);
  REQUIRE(sink.find("users") != nullptr);
  CHECK(sink.find("users")->ended);
  CHECK(sink.find("users")->rows.size() == 3);
}

TEST_CASE("oneroster source matches file names that differ only in case") {
  ferry::test::TempDir dir;
  if (ferry::test::case_insensitive_names(dir.path()))
    FERRY_SKIP(
        "names that differ only in case are one file on this file system (on Windows School.csv "
        "opens SCHOOL.CSV): nothing to match or report");
  write_folder(dir, {{"manifest.csv", "propertyName,value\nfile.userProfiles,bulk\n"},
                     {"userprofiles.csv", "sourcedId,userSourcedId\np1,u1\np2\n"}});
  test::write_zip(dir / "export.zip",
                  {{"MANIFEST.CSV", "propertyName,value\nfile.userProfiles,bulk\n"},
                   {"userprofiles.csv", "sourcedId,userSourcedId\np1,u1\np2\n"}});
  for (const auto& path : {dir.path(), dir / "export.zip"}) {
    INFO(path);
    OneRosterSource source(path);
    CollectingSink sink;
    REQUIRE(read(source, sink).has_value());
    REQUIRE(sink.streams.size() == 1);
    CHECK(sink.streams[0].info.name == "userProfiles");
    CHECK(sink.streams[0].rows.size() == 1);
    REQUIRE(sink.bad_rows.size() == 1);
    CHECK(sink.bad_rows[0].location == "userprofiles.csv:3");
  }
}

TEST_CASE("oneroster source check says what is wrong and how to fix it") {
  ferry::test::TempDir dir;
  {
    OneRosterSource source(dir / "nowhere");
    auto checked = source.check();
    REQUIRE_FALSE(checked.has_value());
    CHECK(checked.error().code == ErrorCode::kNotFound);
    CHECK_THAT(checked.error().message,
               Catch::Contains("does not exist") && Catch::Contains("set path to the folder"));
  }
  {
    OneRosterSource source(dir.path());
    auto checked = source.check();
    REQUIRE_FALSE(checked.has_value());
    CHECK_THAT(checked.error().message, Catch::Contains("manifest.csv is not in"));
  }
  {
    dir.write("not-a-zip.zip", "hello");
    OneRosterSource source(dir / "not-a-zip.zip");
    auto checked = source.check();
    REQUIRE_FALSE(checked.has_value());
    CHECK(checked.error().code == ErrorCode::kCorrupt);
    CHECK_THAT(checked.error().message, Catch::Contains("cannot be read as a zip file"));
  }
  {
    dir.write("bad/manifest.csv", "propertyName,value\nfile.users,sometimes\n");
    OneRosterSource source(dir / "bad");
    auto checked = source.check();
    REQUIRE_FALSE(checked.has_value());
    CHECK_THAT(checked.error().message, Catch::Contains("manifest.csv:2: file.users must be"));
  }
  {
    dir.write("empty/manifest.csv", "propertyName,value\nfile.users,bulk\n");
    dir.write("empty/users.csv", "");
    OneRosterSource source(dir / "empty");
    auto checked = source.check();
    REQUIRE_FALSE(checked.has_value());
    CHECK_THAT(checked.error().message, Catch::Contains("users.csv is empty"));
    // Reading fails that stream only.
    CollectingSink sink;
    CHECK(read(source, sink).has_value());
    REQUIRE(sink.failures.size() == 1);
    CHECK_THAT(sink.failures[0].second.message, Catch::Contains("users.csv is empty"));
  }
  {
    dir.write("dup/manifest.csv", "propertyName,value\nfile.users,bulk\n");
    dir.write("dup/users.csv", "sourcedId,name,name\n");
    OneRosterSource source(dir / "dup");
    auto checked = source.check();
    REQUIRE_FALSE(checked.has_value());
    CHECK_THAT(checked.error().message, Catch::Contains("column 'name' appears twice"));
  }
}

TEST_CASE("oneroster source reads a header-only file as a stream without rows") {
  ferry::test::TempDir dir;
  write_folder(dir, {{"manifest.csv", "propertyName,value\nfile.users,bulk\n"},
                     {"users.csv", "sourcedId,givenName\r\n"}});
  OneRosterSource source(dir.path());
  CollectingSink sink;
  REQUIRE(read(source, sink).has_value());
  REQUIRE(sink.streams.size() == 1);
  CHECK(sink.streams[0].ended);
  CHECK(sink.streams[0].rows.empty());
}

TEST_CASE("oneroster source stops between rows when asked") {
  ferry::test::TempDir dir;
  write_folder(dir, sample_export());
  OneRosterSource source(dir.path());
  CollectingSink sink;
  sink.stop_after_rows = 2;
  auto state = read(source, sink);
  REQUIRE_FALSE(state.has_value());
  CHECK(state.error().code == ErrorCode::kUnavailable);
  CHECK(sink.total_rows() == 2);

  CollectingSink already_stopped;
  already_stopped.stopper.request_stop();
  auto fresh = read(source, already_stopped);
  REQUIRE_FALSE(fresh.has_value());
  CHECK(fresh.error().code == ErrorCode::kUnavailable);
  CHECK(already_stopped.total_rows() == 0);
}

TEST_CASE("oneroster source passes a sink failure on") {
  class RefusingSink final : public RowSink {
   public:
    Result<bool> begin_stream(const StreamInfo&, StreamMode) override { return true; }
    Result<void> row(RowView, RowOp) override {
      return make_error(ErrorCode::kUnavailable, "spool full");
    }
    void bad_row(const BadRow&) override {}
    Result<void> end_stream(std::string_view) override { return {}; }
    Result<void> checkpoint(std::string_view) override { return {}; }
    void stream_failed(std::string_view, const Error&) override {}
  };
  ferry::test::TempDir dir;
  write_folder(dir, sample_export());
  OneRosterSource source(dir.path());
  RefusingSink sink;
  auto state = source.read({}, sink, {});
  REQUIRE_FALSE(state.has_value());
  CHECK(state.error().message == "spool full");
}

TEST_CASE("oneroster_csv create builds a source from settings and refuses one without path") {
  ferry::test::TempDir dir;
  write_folder(dir, sample_export());
  config::SourceSettings settings;
  settings.name = "sis";
  settings.type = "oneroster_csv";
  CHECK_FALSE(create(settings, SourceContext{}).has_value());
  settings.options["path"] = config::OptionValue{dir.path().string(), {}};
  auto source = create(settings, SourceContext{});
  REQUIRE(source.has_value());
  CHECK((*source)->check().has_value());
  CHECK(spec().type == "oneroster_csv");
}

TEST_CASE("oneroster source reads a OneRoster 1.0 export under the 1.1 names") {
  ferry::test::TempDir dir;
  write_folder(dir, export_1_0());
  auto source = preset_source(dir.path());
  CHECK(source->check().has_value());
  CollectingSink sink;
  auto state = source->read({}, sink, {});
  REQUIRE(state.has_value());
  CHECK(OneRosterSource::fingerprint_of(*state).has_value());
  CHECK(sink.failures.empty());
  CHECK(sink.bad_rows.empty());
  REQUIRE(sink.streams.size() == 6);
  for (const auto& stream : sink.streams) {
    INFO(stream.info.name);
    CHECK(stream.ended);
    CHECK(stream.info.key == "sourcedId");
    CHECK(stream.rows.size() >= 1);
  }

  const auto* demographics = sink.find("demographics");
  REQUIRE(demographics != nullptr);
  CHECK(demographics->info.columns ==
        std::vector<std::string>{"sourcedId", "status", "dateLastModified", "sex", "birthDate"});
  CHECK(demographics->at(0, "sourcedId") == "u1");
  CHECK(demographics->at(0, "birthDate") == "2010-04-01");
  // Dates are handed over as written: the connector does not read them.
  CHECK(demographics->at(0, "dateLastModified") == "2016-09-24 10:00:00");

  const auto* users = sink.find("users");
  REQUIRE(users != nullptr);
  CHECK(users->info.columns[6] == "userIds");
  CHECK(users->info.columns[13] == "agentSourcedIds");
  CHECK(users->at(0, "agentSourcedIds") == "u3,u4");
  CHECK(users->at(0, "userIds") == "{LDAP:12}");
  CHECK(users->at(1, "dateLastModified") == "2016-09-24T10:00:00Z");

  const auto* courses = sink.find("courses");
  REQUIRE(courses != nullptr);
  CHECK(courses->at(0, "schoolYearSourcedId") == "sy-1");
  CHECK(courses->at(0, "grades") == "09");
  const auto* classes = sink.find("classes");
  REQUIRE(classes != nullptr);
  CHECK(classes->at(0, "grades") == "09");
  CHECK(classes->at(0, "termSourcedIds") == "t-1");
  CHECK(classes->at(0, "dateLastModified") == "2016-09-24");
  // Columns are found by name, whatever their order: 1.0 puts status after role.
  const auto* enrollments = sink.find("enrollments");
  REQUIRE(enrollments != nullptr);
  CHECK(enrollments->at(0, "userSourcedId") == "u1");
  CHECK(enrollments->at(0, "status") == "active");
  CHECK(enrollments->at(0, "role") == "student");
  CHECK(enrollments->at(0, "primary") == "FALSE");
  // Extension columns stay as found (the policy drops them).
  CHECK(sink.find("orgs")->at(0, "metadata.boarding") == "False");

  // streams() lists the same names.
  OneRosterSource plain(dir.path());
  auto streams = plain.streams();
  REQUIRE(streams.has_value());
  CHECK((*streams)[2].columns == demographics->info.columns);
}

TEST_CASE("oneroster source reads a delta file with 1.0 names as changes") {
  ferry::test::TempDir dir;
  write_folder(
      dir, with(with(export_1_0(), "manifest.csv", "propertyName,value\nfile.enrollments,delta\n"),
                "enrollments.csv",
                "sourcedId,classSourcedId,schoolSourcedId,userSourcedId,role,Status,"
                "dataLastModified,primary\n"
                "e1,cl-1,org-1,u1,student,active,2016-09-24,false\n"
                "e2,cl-1,org-1,u3,student,tobedeleted,2016-09-24,false\n"));
  auto source = preset_source(dir.path());
  CollectingSink sink;
  REQUIRE(source->read({}, sink, {}).has_value());
  REQUIRE(sink.streams.size() == 1);
  CHECK(sink.streams[0].mode == StreamMode::kChanges);
  CHECK(sink.streams[0].ops == std::vector<RowOp>{RowOp::kUpsert, RowOp::kDelete});
  CHECK(sink.streams[0].info.columns[5] == "status");
  CHECK(sink.streams[0].info.columns[6] == "dateLastModified");
}

TEST_CASE("oneroster source fails only the stream whose key column it cannot find") {
  ferry::test::TempDir dir;
  Files files = export_1_0();
  files = with(files, "demographics.csv",
               "personId,status,dateLastModified,sex,birthdate\n"
               "u1,active,2016-09-24,male,2010-04-01\n");
  write_folder(dir, files);
  auto source = preset_source(dir.path());
  CollectingSink sink;
  auto state = source->read(ResumeState{R"({"fingerprint":"old"})", {}}, sink, {});
  REQUIRE(state.has_value());
  // The export was not read whole: the old state stays, so the next run reads it again.
  CHECK(*state == R"({"fingerprint":"old"})");
  REQUIRE(sink.failures.size() == 1);
  CHECK(sink.failures[0].first == "demographics");
  CHECK(sink.failures[0].second.code == ErrorCode::kCorrupt);
  CHECK(sink.failures[0].second.message ==
        "demographics.csv has no sourcedId column, which keys the rows of stream demographics "
        "(names taken for it: sourcedId, userSourcedId), so the stream is not read: name that "
        "column sourcedId in the export, or set streams.demographics.key in the configuration to "
        "the column that holds each row's id");
  // Never begun, so the agent takes none of its rows; every other stream is read whole.
  CHECK(sink.find("demographics") == nullptr);
  CHECK(sink.streams.size() == 5);
  for (const auto& stream : sink.streams) {
    INFO(stream.info.name);
    CHECK(stream.ended);
    CHECK_FALSE(stream.rows.empty());
  }

  // check() says the same, and every other problem with it.
  auto checked = source->check();
  REQUIRE_FALSE(checked.has_value());
  CHECK(checked.error().code == ErrorCode::kCorrupt);
  CHECK(checked.error().message == sink.failures[0].second.message);
  dir.write("manifest.csv", ferry::test::read_file(dir / "manifest.csv") + "file.results,delta\n");
  checked = source->check();
  REQUIRE_FALSE(checked.has_value());
  CHECK_THAT(checked.error().message,
             Catch::Contains("demographics.csv has no sourcedId column") &&
                 Catch::Contains("; manifest.csv lists results as delta, but results.csv is not"));

  // A source without the preset keys nothing itself: the stream is read as it is.
  OneRosterSource plain(dir.path());
  CollectingSink unkeyed;
  REQUIRE(plain.read({}, unkeyed, {}).has_value());
  REQUIRE(unkeyed.find("demographics") != nullptr);
  CHECK(unkeyed.find("demographics")->info.key.empty());
}

TEST_CASE("oneroster source keys a stream by the column its configuration names") {
  ferry::test::TempDir dir;
  write_folder(dir, with(export_1_0(), "demographics.csv",
                         "personId,status,dateLastModified,sex,birthdate\n"
                         "u1,active,2016-09-24,male,2010-04-01\n"));
  config::StreamSettings demographics;
  demographics.name = "demographics";
  demographics.key = "personId";
  demographics.fields.push_back({});
  demographics.fields.back().name = "personId";
  auto source = preset_source(dir.path(), {demographics});
  CHECK(source->check().has_value());
  CollectingSink sink;
  REQUIRE(source->read({}, sink, {}).has_value());
  CHECK(sink.failures.empty());
  REQUIRE(sink.find("demographics") != nullptr);
  CHECK(sink.find("demographics")->at(0, "personId") == "u1");
}

}  // namespace ferry::connectors::oneroster_csv
