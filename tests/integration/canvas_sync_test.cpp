// The real `ferry` with a Canvas source: an account of Canvas LMS (the tests' fake of its API,
// over real HTTPS on 127.0.0.1, with a bearer token) read with `preset: canvas` into the spool
// with the preset's tokens, a deleted course's rows deleted on the next sync, and Canvas's
// throttling waited out; no secret of the source lands in anything the agent writes.
#include <fstream>
#include <map>

#include <boost/json/object.hpp>
#include <catch2/catch.hpp>

#include "tests/connectors/canvas/canvas_api.hpp"
#include "tests/integration/pipeline_site.hpp"
#include "tests/integration/spool_reader.hpp"

namespace ferry::test {
namespace {

using Route = CanvasApi::Route;

struct CanvasSite {
  CanvasSite()
      : site(SiteOptions{}, ""), generated(site.generate({"--users", "5", "--seed", "4"})) {
    REQUIRE(generated.exit_code == 0);
    api.write_ca_file(site.dir() / "canvas-ca.pem");
    const auto token_file =
        site.dir().write_private("canvas-token", std::string(CanvasApi::kToken) + "\n");
    std::ifstream in(site.config());
    std::string config((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    config += fmt::format(
        "  - name: lms\n"
        "    type: canvas\n"
        "    url: {}\n"
        "    ca_file: {}\n"
        "    account: self\n"
        "    auth:\n"
        "      bearer_file: {}\n"
        "    page_size: 2\n"
        "    preset: canvas\n",
        api.root_url(), (site.dir() / "canvas-ca.pem").string(), token_file.string());
    site.dir().write("ferry.yaml", config);
    REQUIRE(site.ferry({"keys", "init"}).exit_code == 0);
  }

  PipelineSite site;
  ProcessResult generated;
  CanvasApi api;
};

// A synthetic account: 2 courses, 3 users (no real people), each enrolled in both courses.
void fill(CanvasApi& api) {
  for (int user = 1; user <= 3; ++user) {
    api.put(Route::kUsers, {{"id", 100 + user},
                            {"name", "Testname" + std::to_string(user)},
                            {"sortable_name", "Testname" + std::to_string(user)},
                            {"sis_user_id", "S-" + std::to_string(9000 + user)},
                            {"login_id", "login" + std::to_string(user)},
                            {"created_at", "2026-08-01T10:00:00Z"}});
  }
  for (int course = 1; course <= 2; ++course) {
    api.put(Route::kCourses, {{"id", course},
                              {"name", "Course " + std::to_string(course)},
                              {"course_code", "C" + std::to_string(course)},
                              {"workflow_state", "available"}});
    api.put(Route::kSections, {{"id", 10 + course}, {"name", "S"}, {"course_id", course}}, course);
    for (int user = 1; user <= 3; ++user) {
      api.put(Route::kEnrollments,
              {{"id", 1000 + course * 10 + user},
               {"user_id", 100 + user},
               {"course_id", course},
               {"course_section_id", 10 + course},
               {"type", "StudentEnrollment"},
               {"enrollment_state", "active"},
               {"sis_user_id", "S-" + std::to_string(9000 + user)},
               {"grades", {{"current_score", 91.5}, {"final_score", 88}}}},
              course);
    }
  }
}

std::map<std::string, std::vector<SpooledRow>> lms_rows(const CanvasSite& canvas) {
  return rows_by_stream(read_spool(canvas.site.spool_db(), canvas.site.tenant().private_key),
                        "lms");
}

TEST_CASE("ferry sync reads a Canvas account with its tokens and deletes a course that went",
          "[integration][api][canvas]") {
  CanvasSite canvas;
  fill(canvas.api);
  canvas.api.throttle_next(1);  // Canvas's 403 Rate Limit Exceeded: waited out, not failed
  const auto first = canvas.site.ferry({"sync"});
  INFO(first.out << first.err);
  REQUIRE(first.exit_code == 0);
  CHECK(canvas.api.throttled() == 1);
  auto rows = lms_rows(canvas);
  REQUIRE(rows["users"].size() == 3);
  REQUIRE(rows["courses"].size() == 2);
  REQUIRE(rows["sections"].size() == 2);
  REQUIRE(rows["enrollments"].size() == 6);
  std::map<std::string, std::string> sis_of_canvas;  // canvas_user token -> user token
  for (const SpooledRow& row : rows["users"]) {
    CHECK(row.fields.if_contains("name") == nullptr);
    CHECK(row.fields.if_contains("login_id") == nullptr);
    CHECK(text_of(row, "sis_user_id").find("S-90") == std::string::npos);
    CHECK_FALSE(text_of(row, "id").empty());
    sis_of_canvas[text_of(row, "id")] = text_of(row, "sis_user_id");
  }
  for (const SpooledRow& row : rows["enrollments"]) {
    // The same person has the same tokens in users and enrollments.
    const auto found = sis_of_canvas.find(text_of(row, "user_id"));
    REQUIRE(found != sis_of_canvas.end());
    CHECK(found->second == text_of(row, "sis_user_id"));
    const auto* score = row.fields.if_contains("current_score");
    REQUIRE(score != nullptr);
    CHECK(score->is_number());
  }

  // Course 2 is deleted in Canvas: half of the courses, which the mass-delete guard holds until
  // told; then its row and its sections' and enrollments' go at the tenant.
  REQUIRE(canvas.api.remove_course(2));
  const auto held = canvas.site.ferry({"sync"});
  INFO(held.out << held.err);
  CHECK(held.exit_code != 0);
  CHECK_THAT(held.out + held.err, Catch::Matchers::Contains("--allow-mass-delete"));
  const auto second = canvas.site.ferry({"sync", "--source", "lms", "--allow-mass-delete"});
  INFO(second.out << second.err);
  REQUIRE(second.exit_code == 0);
  rows = lms_rows(canvas);
  const auto deletes = [&](const std::string& stream) {
    return std::count_if(rows[stream].begin(), rows[stream].end(),
                         [](const SpooledRow& row) { return row.op == "delete"; });
  };
  CHECK(deletes("courses") == 1);
  CHECK(deletes("sections") == 1);
  CHECK(deletes("enrollments") == 3);
  CHECK(deletes("users") == 0);

  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(canvas.site.dir().path())) {
    if (!entry.is_regular_file() || entry.path().filename() == "canvas-token") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string content((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
    INFO(entry.path());
    CHECK(content.find(CanvasApi::kToken) == std::string::npos);
    CHECK(content.find("Testname") == std::string::npos);
  }
  // ferry check: the account is reachable with the token; a token Canvas refuses is named.
  const auto checked = canvas.site.ferry({"check"});
  INFO(checked.out << checked.err);
  CHECK(checked.exit_code == 0);
  CHECK_THAT(checked.out, Catch::Matchers::Contains("lms"));
  canvas.site.dir().write_private("canvas-token", "not-the-canvas-token-3\n");
  const auto refused = canvas.site.ferry({"check"});
  INFO(refused.out << refused.err);
  CHECK(refused.exit_code != 0);
  CHECK_THAT(refused.out + refused.err,
             Catch::Matchers::Contains("HTTP 401") && Catch::Matchers::Contains("auth.bearer"));
  CHECK((refused.out + refused.err).find("not-the-canvas-token-3") == std::string::npos);

  for (const ProcessResult* run : {&first, &held, &second, &checked, &refused}) {
    CHECK((run->out + run->err).find(CanvasApi::kToken) == std::string::npos);
  }
}

}  // namespace
}  // namespace ferry::test
