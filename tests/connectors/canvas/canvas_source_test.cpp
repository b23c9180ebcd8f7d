// The Canvas connector against a Canvas LMS API of the tests (canvas_api.hpp, a fake of a vendor's
// API over real HTTPS on 127.0.0.1): the public OEA sample read whole with the preset; every
// stream's columns and types; Link paging; submissions read whole, then as changes since a cursor;
// Canvas's throttling (403 Rate Limit Exceeded, X-Rate-Limit-Remaining); 401 with and without a
// challenge; a course deleted during a read; configuration errors; check(); and that the token
// never shows in a message.
//
// Time: the source runs on a SteppingClock (below), so a throttled request's wait of seconds or a
// minute takes no real time, and the test reads back exactly how long the source waited.
#include "connectors/canvas/canvas_source.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <set>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "common/http/form.hpp"
#include "connectors/canvas/streams.hpp"
#include "connectors/registry/registry.hpp"
#include "tests/connectors/canvas/canvas_api.hpp"
#include "tests/connectors/http_api/typed_sink.hpp"
#include "tests/connectors/oneroster_csv/collecting_sink.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/testdata.hpp"

namespace ferry::test {
namespace {

using connectors::RowOp;
using connectors::StreamMode;
using connectors::ValueType;
using connectors::oneroster_csv::test::CollectedStream;
using connectors::oneroster_csv::test::CollectingSink;
namespace canvas = connectors::canvas;
using Route = CanvasApi::Route;
using std::chrono::milliseconds;
using std::chrono::seconds;

// A clock that never blocks: a wait moves the time on to its deadline at once, and is recorded.
// tests/support/fake_clock.hpp's FakeClock waits until the test moves it, which a test that reads
// on its own thread cannot do without watching for waiters; the session's waits (throttling,
// slowing down) are all "wait this long, then go on", which this clock plays exactly.
class SteppingClock final : public env::Clock {
 public:
  explicit SteppingClock(env::WallTime start) : now_(start) {}

  env::WallTime now() const override {
    std::lock_guard guard(mutex_);
    return now_;
  }

  bool wait_until(std::condition_variable_any&, std::unique_lock<std::mutex>&, std::stop_token stop,
                  env::WallTime deadline, const std::function<bool()>& done) const override {
    if (done() || stop.stop_requested()) return done();
    std::lock_guard guard(mutex_);
    waits_.push_back(std::chrono::duration_cast<milliseconds>(std::max(deadline - now_, {})));
    now_ = std::max(now_, deadline);
    return done();
  }

  void advance(env::WallTime::duration by) {
    std::lock_guard guard(mutex_);
    now_ += by;
  }

  // Every wait so far, in order.
  std::vector<milliseconds> waits() const {
    std::lock_guard guard(mutex_);
    return waits_;
  }

 private:
  mutable std::mutex mutex_;
  mutable env::WallTime now_;
  mutable std::vector<milliseconds> waits_;
};

}  // namespace
}  // namespace ferry::test

// Failed checks of ids_of() print the ids and how often each came.
template <>
struct Catch::StringMaker<std::map<std::string, int>> {
  static std::string convert(const std::map<std::string, int>& ids) {
    std::string text = "{";
    for (const auto& [id, times] : ids) {
      text += fmt::format("{}{}x{}", text.size() > 1 ? " " : "", id, times);
    }
    return text + "}";
  }
};

namespace ferry::test {
namespace {

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

// The ids of `stream`'s rows, with how often each came.
std::map<std::string, int> ids_of(const CollectedStream& stream) {
  std::map<std::string, int> ids;
  for (std::size_t r = 0; r < stream.rows.size(); ++r) ++ids[stream.at(r, "id")];
  return ids;
}

std::map<std::string, int> once(std::initializer_list<std::string> ids) {
  std::map<std::string, int> map;
  for (const std::string& id : ids) map[id] = 1;
  return map;
}

std::vector<std::string> table_streams() {
  std::vector<std::string> names;
  for (const canvas::CanvasStream& stream : canvas::canvas_streams())
    names.push_back(stream.stream);
  return names;
}

boost::json::object parse_object(std::string_view text) {
  return boost::json::parse(text).as_object();
}

// ---------------------------------------------------------------------------------------------
// Made-up data: no real person, no real course.

constexpr std::int64_t kAlgebra = 11;  // in the root account
constexpr std::int64_t kBiology = 12;  // in sub-account 2

boost::json::object user(std::int64_t id, std::string_view first) {
  return boost::json::object{{"id", id},
                             {"name", fmt::format("{} Fakeperson", first)},
                             {"sortable_name", fmt::format("Fakeperson, {}", first)},
                             {"short_name", first},
                             {"sis_user_id", fmt::format("FAKE-S-{}", id)},
                             {"integration_id", nullptr},
                             {"login_id", fmt::format("fake{}@example.invalid", id)},
                             {"created_at", "2025-08-01T12:00:00Z"}};
}

// A submission of `user_id` to `assignment`; submitted and graded when the times are given.
boost::json::object submission(std::int64_t id, std::int64_t user_id, std::int64_t assignment,
                               std::optional<std::string> submitted_at,
                               std::optional<std::string> graded_at = std::nullopt,
                               double score = 9.5) {
  boost::json::object record{{"id", id},
                             {"user_id", user_id},
                             {"assignment_id", assignment},
                             {"body", "<p>made-up essay text</p>"},
                             {"excused", false},
                             {"attempt", submitted_at ? boost::json::value(1) : nullptr},
                             {"submission_type", submitted_at ? "online_text_entry" : nullptr},
                             {"late", false},
                             {"missing", false},
                             {"seconds_late", 0},
                             {"late_policy_status", nullptr},
                             {"submitted_at", submitted_at ? boost::json::value(*submitted_at)
                                                           : boost::json::value(nullptr)}};
  if (graded_at) {
    record["score"] = score;
    record["grade"] = fmt::format("{}", score);
    record["entered_score"] = score;
    record["entered_grade"] = fmt::format("{}", score);
    record["workflow_state"] = "graded";
    record["graded_at"] = *graded_at;
    record["grader_id"] = 103;
    record["posted_at"] = *graded_at;
  } else {
    record["score"] = nullptr;
    record["grade"] = nullptr;
    record["entered_score"] = nullptr;
    record["entered_grade"] = nullptr;
    record["workflow_state"] = submitted_at ? "submitted" : "unsubmitted";
    record["graded_at"] = nullptr;
    record["grader_id"] = nullptr;
    record["posted_at"] = nullptr;
  }
  return record;
}

// Two courses (one in a sub-account), three users, their sections, enrollments, assignments and
// three submissions: the newest time among them is 2026-02-26T09:30:00Z.
void seed(CanvasApi& api) {
  api.add_account(2, CanvasApi::kRootAccount);
  api.put(Route::kUsers, user(101, "Testy"));
  api.put(Route::kUsers, user(102, "Mocky"));
  api.put(Route::kUsers, user(103, "Stubby"));
  api.put(Route::kCourses, parse_object(R"({"id":11,"name":"Imaginary Algebra",
      "course_code":"FAKE-ALG-1","sis_course_id":"FAKE-C-11","integration_id":null,
      "workflow_state":"available","account_id":1,"root_account_id":1,"enrollment_term_id":5,
      "start_at":"2025-09-01T07:00:00Z","end_at":"2026-06-15T07:00:00Z",
      "created_at":"2025-07-01T10:00:00Z","syllabus_body":"<p>made up</p>"})"));
  api.put(Route::kCourses, parse_object(R"({"id":12,"name":"Pretend Biology",
      "course_code":"FAKE-BIO-2","sis_course_id":null,"integration_id":null,
      "workflow_state":"unpublished","account_id":2,"root_account_id":1,"enrollment_term_id":5,
      "start_at":null,"end_at":null,"created_at":"2025-07-02T10:00:00Z"})"));
  api.put(Route::kSections, parse_object(R"({"id":21,"name":"Imaginary Algebra 1","course_id":11,
      "sis_section_id":"FAKE-SEC-21","sis_course_id":"FAKE-C-11","integration_id":null,
      "nonxlist_course_id":null,"start_at":null,"end_at":null})"),
          kAlgebra);
  api.put(Route::kSections, parse_object(R"({"id":22,"name":"Pretend Biology A","course_id":12,
      "sis_section_id":null,"sis_course_id":null,"integration_id":null,
      "nonxlist_course_id":11,"start_at":"2025-09-01T07:00:00Z","end_at":null})"),
          kBiology);
  api.put(Route::kEnrollments, parse_object(R"({"id":31,"user_id":101,"course_id":11,
      "course_section_id":21,"type":"StudentEnrollment","role":"StudentEnrollment","role_id":3,
      "enrollment_state":"active","sis_user_id":"FAKE-S-101","sis_course_id":"FAKE-C-11",
      "sis_section_id":"FAKE-SEC-21","associated_user_id":null,
      "created_at":"2025-08-20T08:00:00Z","updated_at":"2025-08-21T08:00:00Z","start_at":null,
      "end_at":null,"last_activity_at":"2026-02-27T15:04:05Z","total_activity_time":5400,
      "grades":{"html_url":"https://canvas.example.invalid/courses/11/grades/101",
                "current_score":91.5,"current_grade":"A-","final_score":80.25,"final_grade":"B"},
      "user":{"id":101,"name":"Testy Fakeperson"}})"),
          kAlgebra);
  api.put(Route::kEnrollments, parse_object(R"({"id":32,"user_id":103,"course_id":11,
      "course_section_id":21,"type":"TeacherEnrollment","role":"TeacherEnrollment","role_id":4,
      "enrollment_state":"active","created_at":"2025-08-20T08:00:00Z",
      "updated_at":"2025-08-20T08:00:00Z","user":{"id":103,"name":"Stubby Fakeperson"}})"),
          kAlgebra);
  // Deleted: Canvas lists it only when asked for state[]=deleted.
  api.put(Route::kEnrollments, parse_object(R"({"id":33,"user_id":102,"course_id":11,
      "course_section_id":21,"type":"StudentEnrollment","role":"StudentEnrollment","role_id":3,
      "enrollment_state":"deleted"})"),
          kAlgebra);
  api.put(Route::kEnrollments, parse_object(R"({"id":34,"user_id":102,"course_id":12,
      "course_section_id":22,"type":"StudentEnrollment","role":"StudentEnrollment","role_id":3,
      "enrollment_state":"completed","associated_user_id":null,
      "grades":{"current_score":null,"current_grade":null,"final_score":0.0,"final_grade":"F"}})"),
          kBiology);
  api.put(Route::kAssignments, parse_object(R"({"id":41,"course_id":11,"name":"Fake essay",
      "description":"<p>made up</p>","assignment_group_id":7,"position":1,"points_possible":10.0,
      "grading_type":"points","submission_types":["online_text_entry","online_upload"],
      "workflow_state":"published","published":true,"due_at":"2026-02-20T23:59:00Z",
      "unlock_at":null,"lock_at":null,"created_at":"2026-01-10T09:00:00Z",
      "updated_at":"2026-01-10T09:00:00Z","omit_from_final_grade":false,
      "sis_assignment_id":null})"),
          kAlgebra);
  api.put(Route::kAssignments, parse_object(R"({"id":43,"course_id":11,"name":"Fake quiz",
      "assignment_group_id":7,"position":2,"points_possible":20,"grading_type":"points",
      "submission_types":["online_quiz"],"workflow_state":"published","published":true})"),
          kAlgebra);
  api.put(Route::kAssignments, parse_object(R"({"id":42,"course_id":12,"name":"Pretend lab",
      "assignment_group_id":8,"position":1,"points_possible":5,"grading_type":"pass_fail",
      "submission_types":["none"],"workflow_state":"unpublished","published":false})"),
          kBiology);
  api.put(Route::kSubmissions,
          submission(51, 101, 41, "2026-02-20T10:00:00Z", "2026-02-21T12:00:00Z"), kAlgebra);
  api.put(Route::kSubmissions, submission(52, 101, 43, "2026-02-25T08:00:00Z"), kAlgebra);
  api.put(Route::kSubmissions, submission(53, 102, 42, "2026-02-26T09:30:00Z"), kBiology);
}

struct Site {
  Site() {
    api.write_ca_file(dir / "ca.pem");
    settings.name = "canvas_lms";
    settings.type = "canvas";
    settings.preset = "canvas";
    config::ApiSettings http;
    http.url = api.root_url();
    http.ca_file = dir / "ca.pem";
    http.auth = config::BearerAuth{.token_file = {}, .token = CanvasApi::kToken};
    http.retries = 1;
    settings.api = http;
  }

  template <typename T>
  void option(const std::string& name, T value) {
    settings.options[name] = config::OptionValue{std::move(value), {}};
  }
  std::string& token() { return std::get<config::BearerAuth>(settings.api->auth).token; }

  Result<std::unique_ptr<connectors::Source>> make() const { return under.make(); }
  connectors::Source& source() { return under.source(); }
  // One run from `state`; the run must succeed.
  Sink read(const connectors::ResumeState& state = {}) { return under.read(state); }
  // The state the agent would keep after `sink`'s run.
  static connectors::ResumeState states(const Sink& sink, connectors::ResumeState before = {}) {
    return SourceUnderTest::states(sink, std::move(before));
  }

  TempDir dir;
  CanvasApi api;
  SteppingClock clock{std::chrono::sys_days(std::chrono::year(2026) / 3 / 2) +
                      std::chrono::hours(9)};
  config::SourceSettings settings;
  SourceUnderTest under{settings, clock};
};

std::string path_of(Route route, std::int64_t course = 0) {
  switch (route) {
    case Route::kUsers:
      return "/api/v1/accounts/self/users";
    case Route::kCourses:
      return "/api/v1/accounts/self/courses";
    case Route::kSections:
      return fmt::format("/api/v1/courses/{}/sections", course);
    case Route::kEnrollments:
      return fmt::format("/api/v1/courses/{}/enrollments", course);
    case Route::kAssignments:
      return fmt::format("/api/v1/courses/{}/assignments", course);
    case Route::kSubmissions:
      return fmt::format("/api/v1/courses/{}/students/submissions", course);
  }
  return "";
}

// The exchanges of `route` (of `course`) so far, from the `from`th request of the server on.
std::vector<HttpExchange> exchanges_of(Site& site, Route route, std::int64_t course = 0,
                                       std::uint64_t from = 0) {
  std::vector<HttpExchange> found;
  for (HttpExchange& exchange : site.api.server().exchanges()) {
    if (exchange.number > from && exchange.path == path_of(route, course)) {
      found.push_back(std::move(exchange));
    }
  }
  return found;
}

// Every value of the query parameter `name` of `exchange`, in order (repeated names included).
std::vector<std::string> values_of(const HttpExchange& exchange, std::string_view name) {
  const std::size_t mark = exchange.target.find('?');
  std::vector<std::string> values;
  if (mark == std::string::npos) return values;
  for (auto& [key, value] : http::parse_query(std::string_view(exchange.target).substr(mark + 1))) {
    if (key == name) values.push_back(std::move(value));
  }
  return values;
}

std::string state_of(const Sink& sink, std::string_view stream) {
  return sink.stream(stream).state;
}

// ---------------------------------------------------------------------------------------------
// The public sample

TEST_CASE("canvas reads the public OEA sample whole with the preset", "[canvas][testdata]") {
  FERRY_REQUIRE_TESTDATA(sample, "canvas-oea-hed-jsonl/users.json");
  Site site;
  const auto lines = site.api.load_oea_sample(sample.parent_path());
  CHECK(lines.at("users") == 640);
  CHECK(lines.at("courses") == 87);
  CHECK(lines.at("course_sections") == 87);
  CHECK(lines.at("enrollments") == 3687);
  CHECK(lines.at("assignments") == 281);

  const Sink sink = site.read();
  CHECK(sink.collected.failures.empty());
  CHECK(sink.collected.bad_rows.empty());
  std::vector<std::string> read;
  for (const CollectedStream& stream : sink.collected.streams) {
    INFO(stream.info.name);
    read.push_back(stream.info.name);
    CHECK(stream.ended);
    CHECK(stream.mode == StreamMode::kSnapshot);
    CHECK(stream.info.key == "id");
    CHECK(ids_of(stream).size() == stream.rows.size());  // no record twice
  }
  CHECK(read == table_streams());
  CHECK(sink.stream("users").rows.size() == 640);
  CHECK(sink.stream("courses").rows.size() == 87);
  CHECK(sink.stream("sections").rows.size() == 87);
  CHECK(sink.stream("enrollments").rows.size() == 3687);
  CHECK(sink.stream("assignments").rows.size() == 281);
  CHECK(sink.stream("submissions").rows.empty());  // the sample has none
  // No submission: no cursor, but the full read is stamped.
  const auto submissions = canvas::parse_stream_state(state_of(sink, "submissions"));
  CHECK(submissions.cursor.empty());
  CHECK(submissions.full_at == "2026-03-02T09:00:00Z");

  // Users and courses account-wide (100 a page), the others once per course.
  CHECK(site.api.requests(Route::kUsers) == 7);
  const auto courses = site.api.records(Route::kCourses);
  for (const Route route :
       {Route::kSections, Route::kEnrollments, Route::kAssignments, Route::kSubmissions}) {
    CHECK(site.api.requests(route) == 87);
    for (const auto& course : courses) {
      INFO("course " << course.at("id").as_int64());
      CHECK(site.api.requests(route, course.at("id").as_int64()) == 1);
    }
  }

  const CollectedStream& users = sink.stream("users");
  const std::size_t amanda = row_where(users, "id", "4693");
  CHECK(sink.type("users", amanda, "id") == ValueType::kNumber);
  CHECK(users.at(amanda, "created_at") == "2022-01-01T00:00:00Z");
  CHECK(sink.type("users", amanda, "sis_user_id") == ValueType::kNull);

  const CollectedStream& courses_read = sink.stream("courses");
  const std::size_t art = row_where(courses_read, "id", "916157");
  CHECK(courses_read.at(art, "name") == "Art Appreciation");
  CHECK(courses_read.at(art, "course_code") == "ART_AA SP2022");
  CHECK(courses_read.at(art, "sis_course_id") == "dc730cc3-9098-4d24-89ae-1526a0f031f8");
  CHECK(courses_read.at(art, "account_id") == "93973077");
  CHECK(courses_read.at(art, "root_account_id") == "76400705");
  CHECK(courses_read.at(art, "enrollment_term_id") == "22603084");
  CHECK(courses_read.at(art, "start_at") == "2022-01-03T00:00:00Z");
  CHECK(courses_read.at(art, "end_at") == "2022-06-01T00:00:00Z");
  CHECK(courses_read.at(art, "workflow_state") == "available");

  const CollectedStream& sections = sink.stream("sections");
  const std::size_t section = row_where(sections, "id", "77090");
  CHECK(sections.at(section, "course_id") == "916157");
  CHECK(sections.at(section, "name") == "Art Appreciation 102");
  CHECK(sections.at(section, "sis_section_id") == "A41A4D8CF7CD4CCCABA4FE5FC3CE21BF");
  CHECK(sink.type("sections", section, "nonxlist_course_id") == ValueType::kNull);

  const CollectedStream& enrollments = sink.stream("enrollments");
  const std::size_t teacher = row_where(enrollments, "id", "1585087");
  CHECK(enrollments.at(teacher, "user_id") == "4693");
  CHECK(enrollments.at(teacher, "course_id") == "916157");
  CHECK(enrollments.at(teacher, "course_section_id") == "77090");
  CHECK(enrollments.at(teacher, "type") == "TeacherEnrollment");
  CHECK(enrollments.at(teacher, "enrollment_state") == "active");
  CHECK(enrollments.at(teacher, "last_activity_at") == "2022-01-31T01:05:00Z");
  CHECK(sink.type("enrollments", teacher, "current_score") == ValueType::kNull);

  const CollectedStream& assignments = sink.stream("assignments");
  const std::size_t quiz = row_where(assignments, "id", "2323829");
  CHECK(assignments.at(quiz, "name") == "Assignment Info for Quiz 1 for Art Appreciation 102");
  CHECK(assignments.at(quiz, "course_id") == "916157");
  CHECK(assignments.at(quiz, "submission_types") == "online_quiz");
  CHECK(assignments.at(quiz, "points_possible") == "20");
  CHECK(assignments.at(quiz, "due_at") == "2022-01-10T00:00:00Z");
  CHECK(assignments.at(quiz, "published") == "true");
}

TEST_CASE("canvas reads the canvasapi mocks following their next links verbatim",
          "[canvas][testdata]") {
  FERRY_REQUIRE_TESTDATA(fixtures, "canvas-api-fixtures-canvasapi/account.json");
  Site site;
  CHECK(site.api.load_canvasapi_mocks(fixtures.parent_path(), {"account.json", "course.json"}) >
        100);
  site.option("account", std::string("1"));
  const Sink sink = site.read();
  CHECK(sink.collected.failures.empty());
  CHECK(sink.collected.bad_rows.empty());
  CHECK(ids_of(sink.stream("users")) == once({"1", "2", "3", "4"}));
  CHECK(sink.stream("users").at(0, "name") == "User 1");
  CHECK(ids_of(sink.stream("courses")) == once({"1", "2", "3", "4"}));
  // Only course 1 has mocks; the others answer 404, as courses deleted since they were listed.
  CHECK(ids_of(sink.stream("sections")) == once({"1", "2", "3", "4"}));
  // Page 2 of these is at another path (courses/1/list_enrollments?page=2&per_page=2).
  CHECK(ids_of(sink.stream("enrollments")) == once({"1", "2", "3", "4"}));
  CHECK(ids_of(sink.stream("assignments")) == once({"1", "2", "3", "4"}));
  const CollectedStream& submissions = sink.stream("submissions");
  CHECK(ids_of(submissions) == once({"1", "2"}));
  CHECK(submissions.at(0, "submission_type") == "online_upload");
  CHECK(sink.type("submissions", 0, "assignment_id") == ValueType::kNull);  // "assignments_id"
  for (const CollectedStream& stream : sink.collected.streams) {
    INFO(stream.info.name);
    CHECK(stream.ended);
  }
}

// ---------------------------------------------------------------------------------------------
// Columns

TEST_CASE("canvas reads all six streams into the table's columns with typed values", "[canvas]") {
  Site site;
  seed(site.api);
  const Sink sink = site.read();
  CHECK(sink.collected.failures.empty());
  CHECK(sink.collected.bad_rows.empty());
  REQUIRE(sink.collected.streams.size() == canvas::canvas_streams().size());
  for (std::size_t s = 0; s < canvas::canvas_streams().size(); ++s) {
    const canvas::CanvasStream& table = canvas::canvas_streams()[s];
    const CollectedStream& stream = sink.collected.streams[s];
    INFO(table.stream);
    CHECK(stream.info.name == table.stream);
    CHECK(stream.info.key == "id");
    CHECK(stream.mode == StreamMode::kSnapshot);
    CHECK(stream.ended);
    std::vector<std::string> columns;
    for (const canvas::StreamColumn& column : table.columns) columns.push_back(column.name);
    CHECK(stream.info.columns == columns);
  }

  const CollectedStream& users = sink.stream("users");
  CHECK(ids_of(users) == once({"101", "102", "103"}));
  const std::size_t testy = row_where(users, "id", "101");
  CHECK(sink.type("users", testy, "id") == ValueType::kNumber);
  CHECK(users.at(testy, "sis_user_id") == "FAKE-S-101");
  CHECK(users.at(testy, "login_id") == "fake101@example.invalid");
  CHECK(users.at(testy, "sortable_name") == "Fakeperson, Testy");
  CHECK(users.at(testy, "created_at") == "2025-08-01T12:00:00Z");
  CHECK(sink.type("users", testy, "integration_id") == ValueType::kNull);

  const CollectedStream& courses = sink.stream("courses");
  CHECK(ids_of(courses) == once({"11", "12"}));  // the sub-account's course too
  const std::size_t algebra = row_where(courses, "id", "11");
  CHECK(courses.at(algebra, "sis_course_id") == "FAKE-C-11");
  CHECK(courses.at(algebra, "course_code") == "FAKE-ALG-1");
  CHECK(courses.at(algebra, "enrollment_term_id") == "5");
  CHECK(sink.type("courses", algebra, "enrollment_term_id") == ValueType::kNumber);
  const std::size_t biology = row_where(courses, "id", "12");
  CHECK(courses.at(biology, "account_id") == "2");
  CHECK(courses.at(biology, "workflow_state") == "unpublished");
  CHECK(sink.type("courses", biology, "sis_course_id") == ValueType::kNull);

  const CollectedStream& sections = sink.stream("sections");
  CHECK(ids_of(sections) == once({"21", "22"}));
  const std::size_t lab = row_where(sections, "id", "22");
  CHECK(sections.at(lab, "course_id") == "12");
  CHECK(sections.at(lab, "nonxlist_course_id") == "11");
  CHECK(sections.at(lab, "start_at") == "2025-09-01T07:00:00Z");

  const CollectedStream& enrollments = sink.stream("enrollments");
  CHECK(ids_of(enrollments) == once({"31", "32", "34"}));  // 33 is deleted
  const std::size_t student = row_where(enrollments, "id", "31");
  CHECK(enrollments.at(student, "user_id") == "101");
  CHECK(enrollments.at(student, "course_section_id") == "21");
  CHECK(enrollments.at(student, "role_id") == "3");
  CHECK(enrollments.at(student, "enrollment_state") == "active");
  CHECK(enrollments.at(student, "total_activity_time") == "5400");
  CHECK(enrollments.at(student, "current_score") == "91.5");
  CHECK(sink.type("enrollments", student, "current_score") == ValueType::kNumber);
  CHECK(enrollments.at(student, "current_grade") == "A-");
  CHECK(enrollments.at(student, "final_score") == "80.25");
  CHECK(enrollments.at(student, "final_grade") == "B");
  const std::size_t teacher = row_where(enrollments, "id", "32");
  CHECK(sink.type("enrollments", teacher, "current_score") == ValueType::kNull);  // no grades
  const std::size_t completed = row_where(enrollments, "id", "34");
  CHECK(enrollments.at(completed, "enrollment_state") == "completed");
  CHECK(sink.type("enrollments", completed, "current_score") == ValueType::kNull);
  CHECK(enrollments.at(completed, "final_score") == "0.0");

  const CollectedStream& assignments = sink.stream("assignments");
  CHECK(ids_of(assignments) == once({"41", "42", "43"}));
  const std::size_t essay = row_where(assignments, "id", "41");
  CHECK(assignments.at(essay, "submission_types") == "online_text_entry,online_upload");
  CHECK(sink.type("assignments", essay, "submission_types") == ValueType::kString);
  CHECK(assignments.at(essay, "points_possible") == "10.0");
  CHECK(assignments.at(essay, "published") == "true");
  CHECK(sink.type("assignments", essay, "published") == ValueType::kBool);
  CHECK(sink.type("assignments", essay, "unlock_at") == ValueType::kNull);
  CHECK(assignments.at(row_where(assignments, "id", "42"), "published") == "false");

  const CollectedStream& submissions = sink.stream("submissions");
  CHECK(ids_of(submissions) == once({"51", "52", "53"}));
  const std::size_t graded = row_where(submissions, "id", "51");
  CHECK(submissions.at(graded, "user_id") == "101");
  CHECK(submissions.at(graded, "assignment_id") == "41");
  CHECK(submissions.at(graded, "score") == "9.5");
  CHECK(submissions.at(graded, "grade") == "9.5");
  CHECK(submissions.at(graded, "grader_id") == "103");
  CHECK(submissions.at(graded, "workflow_state") == "graded");
  CHECK(submissions.at(graded, "excused") == "false");
  CHECK(sink.type("submissions", graded, "excused") == ValueType::kBool);
  CHECK(submissions.at(graded, "graded_at") == "2026-02-21T12:00:00Z");
  CHECK(sink.type("submissions", row_where(submissions, "id", "52"), "score") == ValueType::kNull);
  const auto state = canvas::parse_stream_state(state_of(sink, "submissions"));
  CHECK(state.cursor == "2026-02-26T09:30:00Z");
  CHECK(state.full_at == "2026-03-02T09:00:00Z");
  for (const std::string stream : {"users", "courses", "sections", "enrollments", "assignments"}) {
    CHECK(state_of(sink, stream).empty());
  }
}

TEST_CASE("canvas lists each course's records once per course with the fixed parameters",
          "[canvas]") {
  Site site;
  seed(site.api);
  site.read();
  for (const std::int64_t course : {kAlgebra, kBiology}) {
    INFO("course " << course);
    for (const Route route :
         {Route::kSections, Route::kEnrollments, Route::kAssignments, Route::kSubmissions}) {
      CHECK(site.api.requests(route, course) == 1);
    }
    const auto enrollments = exchanges_of(site, Route::kEnrollments, course);
    REQUIRE(enrollments.size() == 1);
    const auto states = values_of(enrollments[0], "state[]");
    CHECK(std::set<std::string>(states.begin(), states.end()) ==
          std::set<std::string>{"active", "invited", "creation_pending", "completed", "inactive",
                                "rejected"});
    const auto submissions = exchanges_of(site, Route::kSubmissions, course);
    REQUIRE(submissions.size() == 1);
    CHECK(values_of(submissions[0], "student_ids[]") == std::vector<std::string>{"all"});
    CHECK(values_of(submissions[0], "submitted_since").empty());
    CHECK(values_of(submissions[0], "graded_since").empty());
    CHECK(values_of(submissions[0], "per_page") == std::vector<std::string>{"100"});
  }
  CHECK(site.api.requests(Route::kUsers) == 1);
  // The courses stream, and the course ids for the course streams.
  CHECK(site.api.requests(Route::kCourses) <= 2);
}

TEST_CASE("canvas reads only the streams the policy names", "[canvas]") {
  Site site;
  seed(site.api);
  site.settings.preset.reset();
  config::StreamSettings sections;
  sections.name = "sections";
  sections.key = "id";
  site.settings.streams.push_back(sections);
  const Sink sink = site.read();
  REQUIRE(sink.collected.streams.size() == 1);
  CHECK(sink.stream("sections").rows.size() == 2);
  CHECK(site.api.requests(Route::kUsers) == 0);
  CHECK(site.api.requests(Route::kCourses) == 1);  // the course ids only
  CHECK(site.api.requests(Route::kEnrollments) == 0);
}

// ---------------------------------------------------------------------------------------------
// Paging

TEST_CASE("canvas follows the Link header's next URL verbatim across pages", "[canvas]") {
  Site site;
  site.option("page_size", std::int64_t{100});
  for (std::int64_t id = 1000; id < 1250; ++id) site.api.put(Route::kUsers, user(id, "Pagey"));
  std::mutex mutex;
  std::vector<std::string> links;  // each users answer's Link header
  site.api.on_reply([&](const HttpExchange& exchange, HttpReply& reply) {
    if (exchange.path != path_of(Route::kUsers)) return;
    for (const auto& [name, value] : reply.headers) {
      if (name == "Link") {
        std::lock_guard lock(mutex);
        links.push_back(value);
      }
    }
  });
  const Sink sink = site.read();
  const CollectedStream& users = sink.stream("users");
  CHECK(users.rows.size() == 250);
  const auto ids = ids_of(users);
  CHECK(ids.size() == 250);
  CHECK(std::all_of(ids.begin(), ids.end(), [](const auto& id) { return id.second == 1; }));
  CHECK(site.api.requests(Route::kUsers) == 3);

  const auto asked = exchanges_of(site, Route::kUsers);
  REQUIRE(asked.size() == 3);
  REQUIRE(links.size() == 3);
  CHECK(values_of(asked[0], "per_page") == std::vector<std::string>{"100"});
  CHECK(values_of(asked[0], "page").empty());
  for (std::size_t i = 0; i + 1 < asked.size(); ++i) {
    INFO("page " << i + 1 << " Link: " << links[i]);
    const std::string next = connectors::http_api::next_link(links[i]);
    CHECK(next.find("page=bookmark:") != std::string::npos);
    CHECK(site.api.server().base_url() + asked[i + 1].target == next);
  }
  CHECK(connectors::http_api::next_link(links[2]).empty());
}

TEST_CASE("canvas follows a next link relative to the API's origin", "[canvas]") {
  Site site;
  site.option("page_size", std::int64_t{2});
  for (std::int64_t id = 1; id <= 5; ++id) site.api.put(Route::kUsers, user(id, "Relly"));
  const std::string origin = site.api.server().base_url();
  site.api.on_reply([origin](const HttpExchange&, HttpReply& reply) {
    for (auto& [name, value] : reply.headers) {
      if (name != "Link") continue;
      for (std::size_t at; (at = value.find(origin)) != std::string::npos;) {
        value.erase(at, origin.size());
      }
    }
  });
  const Sink sink = site.read();
  CHECK(sink.collected.failures.empty());
  CHECK(ids_of(sink.stream("users")) == once({"1", "2", "3", "4", "5"}));
  CHECK(site.api.requests(Route::kUsers) == 3);
}

TEST_CASE("canvas refuses a next link to another server and fails only that stream", "[canvas]") {
  Site site;
  seed(site.api);
  site.option("page_size", std::int64_t{2});
  const std::string origin = site.api.server().base_url();
  site.api.on_reply([origin](const HttpExchange& exchange, HttpReply& reply) {
    if (exchange.path != path_of(Route::kUsers)) return;
    for (auto& [name, value] : reply.headers) {
      if (name != "Link") continue;
      for (std::size_t at; (at = value.find(origin)) != std::string::npos;) {
        value.replace(at, origin.size(), "https://canvas.example.invalid");
      }
    }
  });
  const Sink sink = site.read();
  const Error* failed = sink.failure("users");
  REQUIRE(failed != nullptr);
  CHECK(failed->code == ErrorCode::kCorrupt);
  CHECK_THAT(failed->message, Catch::Matchers::Contains("canvas.example.invalid"));
  CHECK(site.api.requests(Route::kUsers) == 1);
  CHECK(sink.stream("courses").ended);
  CHECK(sink.stream("submissions").ended);
}

// ---------------------------------------------------------------------------------------------
// Submissions: full reads and deltas

TEST_CASE("canvas reads submissions whole then as changes since the cursor", "[canvas]") {
  Site site;
  seed(site.api);
  const Sink first = site.read();
  const CollectedStream& whole = first.stream("submissions");
  CHECK(whole.mode == StreamMode::kSnapshot);
  CHECK(ids_of(whole) == once({"51", "52", "53"}));
  const auto after_first = canvas::parse_stream_state(whole.state);
  CHECK(after_first.cursor == "2026-02-26T09:30:00Z");
  CHECK(after_first.full_at == "2026-03-02T09:00:00Z");
  const auto state = Site::states(first);

  // A day later: 52 is graded, and 54 is handed in.
  site.clock.advance(std::chrono::hours(24));
  site.api.put(Route::kSubmissions,
               submission(52, 101, 43, "2026-02-25T08:00:00Z", "2026-03-03T08:00:00Z", 17),
               kAlgebra);
  site.api.put(Route::kSubmissions, submission(54, 102, 42, "2026-03-03T08:30:00Z"), kBiology);
  const std::uint64_t before_second = site.api.server().requests();
  const Sink second = site.read(state);
  const CollectedStream& changes = second.stream("submissions");
  CHECK(changes.mode == StreamMode::kChanges);
  CHECK(changes.ended);
  // 53 again as well: it was submitted within delta_overlap (5 minutes) of the cursor.
  CHECK(ids_of(changes) == once({"52", "53", "54"}));
  CHECK(std::all_of(changes.ops.begin(), changes.ops.end(),
                    [](RowOp op) { return op == RowOp::kUpsert; }));
  CHECK(changes.at(row_where(changes, "id", "52"), "score") == "17.0");
  const auto after_second = canvas::parse_stream_state(changes.state);
  CHECK(after_second.cursor == "2026-03-03T08:30:00Z");
  CHECK(after_second.full_at == "2026-03-02T09:00:00Z");  // still the last full read
  // The other streams are snapshots every run.
  CHECK(second.stream("enrollments").mode == StreamMode::kSnapshot);
  // Per course: one listing submitted since, one graded since, the cursor less 5 minutes.
  for (const std::int64_t course : {kAlgebra, kBiology}) {
    INFO("course " << course);
    const auto asked = exchanges_of(site, Route::kSubmissions, course, before_second);
    REQUIRE(asked.size() == 2);
    std::set<std::string> filters;
    for (const HttpExchange& exchange : asked) {
      CHECK(values_of(exchange, "student_ids[]") == std::vector<std::string>{"all"});
      const auto submitted = values_of(exchange, "submitted_since");
      const auto graded = values_of(exchange, "graded_since");
      CHECK(submitted.size() + graded.size() == 1);
      for (const auto& since : submitted) {
        CHECK(since == "2026-02-26T09:25:00Z");
        filters.insert("submitted_since");
      }
      for (const auto& since : graded) {
        CHECK(since == "2026-02-26T09:25:00Z");
        filters.insert("graded_since");
      }
    }
    CHECK(filters == std::set<std::string>{"submitted_since", "graded_since"});
  }

  // Nothing new: only what lies within the overlap comes again (54, at the cursor), and the
  // cursor stays.
  site.clock.advance(std::chrono::hours(1));
  const Sink third = site.read(Site::states(second, state));
  const CollectedStream& nothing_new = third.stream("submissions");
  CHECK(nothing_new.mode == StreamMode::kChanges);
  CHECK(ids_of(nothing_new) == once({"54"}));
  CHECK(canvas::parse_stream_state(nothing_new.state).cursor == "2026-03-03T08:30:00Z");
  CHECK(canvas::parse_stream_state(nothing_new.state).full_at == "2026-03-02T09:00:00Z");

  // A week after the last full read: whole again.
  site.clock.advance(std::chrono::hours(24 * 7));
  const Sink fourth = site.read(Site::states(third, Site::states(second, state)));
  const CollectedStream& again = fourth.stream("submissions");
  CHECK(again.mode == StreamMode::kSnapshot);
  CHECK(ids_of(again) == once({"51", "52", "53", "54"}));
  const auto after_fourth = canvas::parse_stream_state(again.state);
  CHECK(after_fourth.full_at == "2026-03-10T10:00:00Z");
  CHECK(after_fourth.cursor == "2026-03-03T08:30:00Z");
}

TEST_CASE("canvas hands over no submission when none is new and delta_overlap is zero",
          "[canvas]") {
  Site site;
  seed(site.api);
  site.option("delta_overlap", config::Duration(0));
  const Sink first = site.read();
  const auto state = Site::states(first);
  site.clock.advance(std::chrono::hours(2));
  const Sink second = site.read(state);
  const CollectedStream& changes = second.stream("submissions");
  CHECK(changes.mode == StreamMode::kChanges);
  CHECK(changes.ended);
  CHECK(changes.rows.empty());
  CHECK(changes.state == first.stream("submissions").state);  // cursor and full_at kept
}

TEST_CASE("canvas reads submissions whole again once full_read_every has passed", "[canvas]") {
  Site site;
  seed(site.api);
  site.option("full_read_every", config::Duration(std::chrono::hours(6)));
  const Sink first = site.read();
  site.clock.advance(std::chrono::hours(5));
  const Sink second = site.read(Site::states(first));
  CHECK(second.stream("submissions").mode == StreamMode::kChanges);
  site.clock.advance(std::chrono::hours(1));
  const Sink third = site.read(Site::states(second, Site::states(first)));
  const CollectedStream& whole = third.stream("submissions");
  CHECK(whole.mode == StreamMode::kSnapshot);
  CHECK(ids_of(whole) == once({"51", "52", "53"}));
  CHECK(canvas::parse_stream_state(whole.state).full_at == "2026-03-02T15:00:00Z");
}

TEST_CASE("canvas reads a full read stamped in the future whole", "[canvas]") {
  Site site;
  seed(site.api);
  connectors::ResumeState state;
  state.streams["submissions"] = canvas::format_stream_state(
      canvas::StreamState{.cursor = "2026-02-26T09:30:00Z", .full_at = "2026-03-05T00:00:00Z"});
  const Sink sink = site.read(state);
  CHECK(sink.stream("submissions").mode == StreamMode::kSnapshot);
  CHECK(sink.stream("submissions").rows.size() == 3);
}

TEST_CASE("canvas reads submissions whole every run with deltas off", "[canvas]") {
  Site site;
  seed(site.api);
  site.option("deltas", false);
  const Sink first = site.read();
  CHECK(first.stream("submissions").mode == StreamMode::kSnapshot);
  site.clock.advance(std::chrono::hours(1));
  const std::uint64_t before_second = site.api.server().requests();
  const Sink second = site.read(Site::states(first));
  const CollectedStream& whole = second.stream("submissions");
  CHECK(whole.mode == StreamMode::kSnapshot);
  CHECK(ids_of(whole) == once({"51", "52", "53"}));
  for (const std::int64_t course : {kAlgebra, kBiology}) {
    const auto asked = exchanges_of(site, Route::kSubmissions, course, before_second);
    REQUIRE(asked.size() == 1);
    CHECK(values_of(asked[0], "submitted_since").empty());
    CHECK(values_of(asked[0], "graded_since").empty());
  }
}

// A submission handed in and graded since the cursor is in both of its course's delta listings:
// it is handed over once.
TEST_CASE("canvas hands over a submission submitted and graded since the cursor once", "[canvas]") {
  Site site;
  seed(site.api);
  site.option("delta_overlap", config::Duration(0));
  const Sink first = site.read();
  site.clock.advance(std::chrono::hours(24));
  site.api.put(Route::kSubmissions,
               submission(55, 101, 41, "2026-03-03T08:10:00Z", "2026-03-03T08:20:00Z", 8),
               kAlgebra);
  const Sink second = site.read(Site::states(first));
  const CollectedStream& changes = second.stream("submissions");
  CHECK(changes.mode == StreamMode::kChanges);
  CHECK(ids_of(changes) == once({"55"}));
}

TEST_CASE("canvas keeps no cursor from a submission time far in the future", "[canvas]") {
  Site site;
  seed(site.api);
  // Graded "next year" (a clock set wrong somewhere): taken as the cursor, it would hide every
  // later change until then.
  site.api.put(Route::kSubmissions,
               submission(56, 101, 43, "2026-02-22T10:00:00Z", "2027-01-01T00:00:00Z"), kAlgebra);
  const Sink sink = site.read();
  CHECK(sink.stream("submissions").rows.size() == 4);
  CHECK(canvas::parse_stream_state(state_of(sink, "submissions")).cursor == "2026-02-26T09:30:00Z");
}

// "2026-02-26T10:30:00+01:00" is 09:30 UTC: a later 09:45Z is the cursor, and a submission graded
// at 10:00 UTC is read by the next delta (Canvas writes UTC by default, but its examples and the
// canvasapi fixtures show offsets too).
TEST_CASE("canvas orders submission times with a UTC offset by the instant they name", "[canvas]") {
  Site site;
  seed(site.api);
  site.api.put(Route::kSubmissions, submission(57, 101, 43, "2026-02-26T10:30:00+01:00"), kAlgebra);
  site.api.put(Route::kSubmissions, submission(58, 102, 42, "2026-02-26T09:45:00Z"), kBiology);
  const Sink first = site.read();
  CHECK(canvas::parse_stream_state(state_of(first, "submissions")).cursor ==
        "2026-02-26T09:45:00Z");
  site.api.put(Route::kSubmissions,
               submission(58, 102, 42, "2026-02-26T09:45:00Z", "2026-02-26T10:00:00Z", 3),
               kBiology);
  site.clock.advance(std::chrono::hours(1));
  const Sink second = site.read(Site::states(first));
  const CollectedStream& changes = second.stream("submissions");
  CHECK(changes.mode == StreamMode::kChanges);
  CHECK(ids_of(changes).contains("58"));
}

// ---------------------------------------------------------------------------------------------
// Throttling

TEST_CASE("canvas waits out Rate Limit Exceeded answers and hands every row over once",
          "[canvas]") {
  Site site;
  seed(site.api);
  site.api.throttle_next(3);
  const Sink sink = site.read();
  CHECK(sink.collected.failures.empty());
  CHECK(site.api.throttled() == 3);
  CHECK(site.clock.waits() == std::vector<milliseconds>{seconds(2), seconds(4), seconds(8)});
  CHECK(ids_of(sink.stream("users")) == once({"101", "102", "103"}));
  CHECK(ids_of(sink.stream("submissions")) == once({"51", "52", "53"}));
  // The first request was asked four times: three throttled, then answered.
  CHECK(site.api.requests(Route::kUsers) == 4);
}

TEST_CASE("canvas waits out a 429 Rate Limit Exceeded as well", "[canvas]") {
  Site site;
  seed(site.api);
  int limited = 0;
  site.api.on_reply([&limited](const HttpExchange& exchange, HttpReply& reply) {
    if (exchange.path == path_of(Route::kSections, kAlgebra) && limited++ < 3) {
      reply = HttpReply{};
      reply.status = 429;
      reply.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
      reply.body = "429 Too Many Requests (Rate Limit Exceeded)\n";
    }
  });
  const Sink sink = site.read();
  CHECK(sink.collected.failures.empty());
  CHECK(ids_of(sink.stream("sections")) == once({"21", "22"}));
  CHECK(site.api.requests(Route::kSections, kAlgebra) == 4);
  CHECK_FALSE(site.clock.waits().empty());
}

TEST_CASE("canvas fails the run with kRateLimited when throttling outlasts its waits", "[canvas]") {
  Site site;
  seed(site.api);
  site.api.throttle_next(9);  // one more than ApiDialect::throttle_waits
  Sink sink;
  auto read = site.source().read({}, sink, {});
  REQUIRE_FALSE(read);
  CHECK(read.error().code == ErrorCode::kRateLimited);
  CHECK_THAT(read.error().message, Catch::Matchers::Contains("Rate Limit Exceeded"));
  CHECK(site.api.throttled() == 9);
  CHECK(site.clock.waits() == std::vector<milliseconds>{seconds(2), seconds(4), seconds(8),
                                                        seconds(16), seconds(32), seconds(60),
                                                        seconds(60), seconds(60)});
  CHECK(sink.collected.total_rows() == 0);
}

TEST_CASE("canvas fails only the stream a plain 403 refuses", "[canvas]") {
  Site site;
  seed(site.api);
  site.api.on_reply([](const HttpExchange& exchange, HttpReply& reply) {
    if (exchange.path == path_of(Route::kUsers)) {
      reply = HttpReply{};
      reply.status = 403;
      reply.headers.emplace_back("Content-Type", "application/json");
      reply.body = R"({"errors":[{"message":"forbidden"}]})";
    }
  });
  const Sink sink = site.read();
  const Error* failed = sink.failure("users");
  REQUIRE(failed != nullptr);
  CHECK(failed->code == ErrorCode::kPermission);
  CHECK(sink.collected.failures.size() == 1);
  CHECK(site.clock.waits().empty());  // not throttling: no wait
  CHECK(site.api.requests(Route::kUsers) == 1);
  CHECK(ids_of(sink.stream("courses")) == once({"11", "12"}));
  CHECK(sink.stream("submissions").ended);
}

TEST_CASE("canvas waits before the next request when X-Rate-Limit-Remaining is low", "[canvas]") {
  Site site;
  seed(site.api);
  site.api.set_rate_limit_remaining(150.0);  // 50 below the low water mark of 200, at 10 a second
  const Sink sink = site.read();
  CHECK(sink.collected.failures.empty());
  const auto waits = site.clock.waits();
  // Every request after the first waits 5 s (the pause follows each answer).
  CHECK(waits.size() + 1 == site.api.server().requests());
  CHECK(std::all_of(waits.begin(), waits.end(),
                    [](milliseconds wait) { return wait == seconds(5); }));

  SECTION("and never longer than 30 s") {
    Site drained;
    drained.api.put(Route::kUsers, user(1, "Draino"));
    drained.api.put(Route::kUsers, user(2, "Draino"));
    drained.option("page_size", std::int64_t{1});
    drained.api.set_rate_limit_remaining(-700.0);
    drained.read();
    CHECK(drained.clock.waits().size() + 1 == drained.api.server().requests());
    CHECK(drained.clock.waits().front() == seconds(30));
  }
  SECTION("and not at all above it") {
    Site plenty;
    seed(plenty.api);
    plenty.api.set_rate_limit_remaining(200.0);
    plenty.read();
    CHECK(plenty.clock.waits().empty());
  }
}

// ---------------------------------------------------------------------------------------------
// 401, 404

TEST_CASE("canvas fails the run with kAuth when the token is refused", "[canvas]") {
  Site site;
  seed(site.api);
  site.token() = "canvas-wrong-token-Zp44";
  Sink sink;
  auto read = site.source().read({}, sink, {});
  REQUIRE_FALSE(read);
  CHECK(read.error().code == ErrorCode::kAuth);
  CHECK_THAT(read.error().message, Catch::Matchers::Contains("401") &&
                                       !Catch::Matchers::Contains("canvas-wrong-token-Zp44"));
  CHECK(sink.collected.total_rows() == 0);
  CHECK(site.api.requests(Route::kUsers) == 1);  // a static token is not asked again
}

TEST_CASE("canvas fails only the stream a 401 without a challenge refuses", "[canvas]") {
  Site site;
  seed(site.api);
  site.api.forbid(Route::kEnrollments, kBiology);
  const Sink sink = site.read();
  REQUIRE(sink.collected.failures.size() == 1);
  const Error* failed = sink.failure("enrollments");
  REQUIRE(failed != nullptr);
  CHECK(failed->code == ErrorCode::kPermission);
  CHECK_THAT(failed->message, Catch::Matchers::Contains("/api/v1/courses/12/enrollments") &&
                                  Catch::Matchers::Contains("401"));
  CHECK(sink.stream("enrollments").failed);
  CHECK(ids_of(sink.stream("sections")) == once({"21", "22"}));
  CHECK(ids_of(sink.stream("assignments")) == once({"41", "42", "43"}));
  CHECK(ids_of(sink.stream("submissions")) == once({"51", "52", "53"}));
}

TEST_CASE("canvas skips a course deleted after the courses were listed", "[canvas]") {
  Site site;
  seed(site.api);
  // The course ids are listed after the courses stream: the course goes once they are listed.
  site.api.on_page([](CanvasApi& api, Route route, std::int64_t, int number) {
    if (route == Route::kCourses && number == 2) api.remove_course(kBiology);
  });
  const Sink sink = site.read();
  CHECK(sink.collected.failures.empty());
  CHECK(ids_of(sink.stream("courses")) == once({"11", "12"}));
  for (const std::string stream : {"sections", "enrollments", "assignments", "submissions"}) {
    INFO(stream);
    CHECK(sink.stream(stream).ended);
  }
  CHECK(ids_of(sink.stream("sections")) == once({"21"}));
  CHECK(ids_of(sink.stream("enrollments")) == once({"31", "32"}));
  CHECK(ids_of(sink.stream("submissions")) == once({"51", "52"}));
  CHECK(site.api.requests(Route::kSections, kBiology) == 1);  // asked, and 404
}

// ---------------------------------------------------------------------------------------------
// Configuration

TEST_CASE("canvas refuses a stream it does not know and lists those it reads", "[canvas]") {
  Site site;
  config::StreamSettings grades;
  grades.name = "grades";
  grades.key = "id";
  site.settings.streams.push_back(grades);
  auto made = site.make();
  REQUIRE_FALSE(made);
  CHECK(made.error().code == ErrorCode::kConfig);
  CHECK_THAT(made.error().message, Catch::Matchers::Contains("'grades'"));
  for (const std::string& stream : table_streams()) {
    CHECK_THAT(made.error().message, Catch::Matchers::Contains(stream));
  }
}

TEST_CASE("canvas refuses a stream keyed by anything but id", "[canvas]") {
  Site site;
  config::StreamSettings users;
  users.name = "users";
  users.key = "sis_user_id";
  site.settings.streams.push_back(users);
  auto made = site.make();
  REQUIRE_FALSE(made);
  CHECK(made.error().code == ErrorCode::kConfig);
  CHECK_THAT(made.error().message,
             Catch::Matchers::Contains("key: id") && Catch::Matchers::Contains("users"));
}

TEST_CASE("canvas refuses a page_size out of range", "[canvas]") {
  for (const std::int64_t size : {std::int64_t{0}, std::int64_t{101}}) {
    INFO(size);
    Site site;
    site.option("page_size", size);
    auto made = site.make();
    REQUIRE_FALSE(made);
    CHECK(made.error().code == ErrorCode::kConfig);
    CHECK_THAT(made.error().message, Catch::Matchers::Contains("page_size"));
  }
}

TEST_CASE("canvas refuses an account that is not an id or self", "[canvas]") {
  for (const std::string account : {"a/b", "", "1?x=2"}) {
    INFO(account);
    Site site;
    site.option("account", account);
    auto made = site.make();
    REQUIRE_FALSE(made);
    CHECK(made.error().code == ErrorCode::kConfig);
    CHECK_THAT(made.error().message, Catch::Matchers::Contains("account"));
  }
}

TEST_CASE("canvas reads the account named by its id", "[canvas]") {
  Site site;
  seed(site.api);
  site.option("account", std::string("2"));
  const Sink sink = site.read();
  CHECK(ids_of(sink.stream("courses")) == once({"12"}));
  CHECK(ids_of(sink.stream("sections")) == once({"22"}));
  CHECK(site.api.requests(Route::kSections, kAlgebra) == 0);
}

TEST_CASE("canvas takes the API root as its url", "[canvas]") {
  for (const std::string tail : {"/api/v1", "/api/v1/", "/"}) {
    INFO(tail);
    Site site;
    seed(site.api);
    site.settings.api->url = site.api.root_url() + tail;
    const Sink sink = site.read();
    CHECK(sink.collected.failures.empty());
    CHECK(ids_of(sink.stream("sections")) == once({"21", "22"}));
    CHECK(site.api.requests(Route::kSections, kAlgebra) == 1);
  }
}

TEST_CASE("canvas stops a read when asked to", "[canvas]") {
  Site site;
  seed(site.api);
  Sink sink;
  sink.collected.stop_after_rows = 4;  // in the courses stream
  auto read = site.source().read({}, sink, sink.collected.stopper.get_token());
  REQUIRE_FALSE(read);
  CHECK(read.error().code == ErrorCode::kUnavailable);
  CHECK(site.api.requests(Route::kSections) == 0);
}

// ---------------------------------------------------------------------------------------------
// check()

TEST_CASE("canvas check passes against the API", "[canvas]") {
  Site site;
  seed(site.api);
  auto checked = site.source().check();
  INFO((checked ? "" : checked.error().message));
  CHECK(checked);
  const auto asked = exchanges_of(site, Route::kCourses);
  REQUIRE(asked.size() == 1);
  CHECK(values_of(asked[0], "per_page") == std::vector<std::string>{"1"});
}

TEST_CASE("canvas check fails with kAuth when the token is refused", "[canvas]") {
  Site site;
  site.token() = "canvas-wrong-token-Zp44";
  auto checked = site.source().check();
  REQUIRE_FALSE(checked);
  CHECK(checked.error().code == ErrorCode::kAuth);
  CHECK_THAT(checked.error().message, !Catch::Matchers::Contains("canvas-wrong-token-Zp44"));
}

TEST_CASE("canvas check fails when the url is not the Canvas address", "[canvas]") {
  Site site;
  site.settings.api->url = site.api.root_url() + "/lms";
  auto checked = site.source().check();
  REQUIRE_FALSE(checked);
  CHECK(checked.error().code == ErrorCode::kNotFound);
}

// ---------------------------------------------------------------------------------------------
// Secrets

TEST_CASE("canvas never shows the token in a message", "[canvas]") {
  std::vector<std::string> messages;
  const auto collect = [&](Site& site) {
    Sink sink;
    if (auto read = site.source().read({}, sink, {}); !read) {
      messages.push_back(read.error().message);
    }
    for (std::string& message : sink.messages()) messages.push_back(std::move(message));
    if (auto checked = site.source().check(); !checked) messages.push_back(checked.error().message);
  };
  {
    Site site;  // stream failures: 401 without a challenge, a plain 403, a link elsewhere
    seed(site.api);
    site.option("page_size", std::int64_t{2});
    site.api.forbid(Route::kEnrollments, kAlgebra);
    site.api.forbid(Route::kCourses);
    site.api.on_reply([](const HttpExchange& exchange, HttpReply& reply) {
      if (exchange.path == path_of(Route::kUsers)) reply.status = 403;
    });
    collect(site);
  }
  {
    Site site;  // throttled for good
    site.api.throttle_next(100);
    collect(site);
  }
  {
    Site site;  // a token one character off
    site.token() = std::string(CanvasApi::kToken) + "x";
    collect(site);
  }
  {
    Site site;  // a bad option
    site.option("page_size", std::int64_t{500});
    if (auto made = site.make(); !made) messages.push_back(made.error().message);
  }
  CHECK(messages.size() >= 6);
  for (const std::string& message : messages) {
    INFO(message);
    CHECK_THAT(message, !Catch::Matchers::Contains(CanvasApi::kToken) &&
                            !Catch::Matchers::Contains("7Qx93kLm2"));
  }
}

}  // namespace
}  // namespace ferry::test
