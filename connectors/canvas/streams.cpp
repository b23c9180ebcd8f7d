#include "connectors/canvas/streams.hpp"

#include "common/config/field_builders.hpp"

namespace ferry::connectors::canvas {
namespace {

namespace build = config::build;

std::string pointer(const std::string& name, std::string path) {
  return path.empty() ? "/" + name : std::move(path);
}

StreamColumn kept(std::string name, std::string path = {}) {
  auto policy = build::keep(name);
  path = pointer(name, std::move(path));
  return {std::move(name), std::move(path), std::move(policy)};
}

// Pseudonymized in `domain`.
StreamColumn token(std::string name, std::string_view domain, std::string path = {}) {
  auto policy = build::pseudonymize(name, domain);
  path = pointer(name, std::move(path));
  return {std::move(name), std::move(path), std::move(policy)};
}

StreamColumn dropped(std::string name, std::string path = {}) {
  auto policy = build::drop(name);
  path = pointer(name, std::move(path));
  return {std::move(name), std::move(path), std::move(policy)};
}

constexpr std::string_view kUser = "user";
constexpr std::string_view kCanvasUser = "canvas_user";

std::vector<CanvasStream> build_streams() {
  std::vector<CanvasStream> list;
  list.push_back({"users",
                  Scope::kAccount,
                  "users",
                  {},
                  {token("id", kCanvasUser), token("sis_user_id", kUser), dropped("integration_id"),
                   dropped("login_id"), dropped("name"), dropped("sortable_name"),
                   dropped("short_name"), kept("created_at")}});
  list.push_back(
      {"courses",
       Scope::kAccount,
       "courses",
       {},
       {kept("id"), kept("sis_course_id"), kept("integration_id"), kept("name"),
        kept("course_code"), kept("workflow_state"), kept("account_id"), kept("root_account_id"),
        kept("enrollment_term_id"), kept("start_at"), kept("end_at"), kept("created_at")}});
  list.push_back(
      {"sections",
       Scope::kCourse,
       "sections",
       {},
       {kept("id"), kept("name"), kept("course_id"), kept("sis_section_id"), kept("sis_course_id"),
        kept("integration_id"), kept("nonxlist_course_id"), kept("start_at"), kept("end_at")}});
  // Every state but deleted: a deleted enrollment is absent, and so deleted at the tenant.
  list.push_back({"enrollments",
                  Scope::kCourse,
                  "enrollments",
                  {"state[]=active", "state[]=invited", "state[]=creation_pending",
                   "state[]=completed", "state[]=inactive", "state[]=rejected"},
                  {token("id", "canvas_enrollment"),
                   token("user_id", kCanvasUser),
                   kept("course_id"),
                   kept("course_section_id"),
                   kept("type"),
                   kept("role"),
                   kept("role_id"),
                   kept("enrollment_state"),
                   token("sis_user_id", kUser),
                   kept("sis_course_id"),
                   kept("sis_section_id"),
                   token("associated_user_id", kCanvasUser),
                   kept("created_at"),
                   kept("updated_at"),
                   kept("start_at"),
                   kept("end_at"),
                   kept("last_activity_at"),
                   kept("total_activity_time"),
                   kept("current_score", "/grades/current_score"),
                   kept("current_grade", "/grades/current_grade"),
                   kept("final_score", "/grades/final_score"),
                   kept("final_grade", "/grades/final_grade")}});
  list.push_back({"assignments",
                  Scope::kCourse,
                  "assignments",
                  {},
                  {kept("id"), kept("course_id"), kept("name"), kept("assignment_group_id"),
                   kept("position"), kept("points_possible"), kept("grading_type"),
                   kept("submission_types"), kept("workflow_state"), kept("published"),
                   kept("due_at"), kept("unlock_at"), kept("lock_at"), kept("created_at"),
                   kept("updated_at"), kept("omit_from_final_grade"), kept("sis_assignment_id")}});
  list.push_back(
      {"submissions",
       Scope::kCourse,
       "students/submissions",
       {"student_ids[]=all"},
       {token("id", "canvas_submission"), token("user_id", kCanvasUser), kept("assignment_id"),
        kept("score"), kept("grade"), kept("entered_score"), kept("entered_grade"), kept("excused"),
        kept("attempt"), kept("submission_type"), kept("workflow_state"), kept("late"),
        kept("missing"), kept("seconds_late"), kept("late_policy_status"), kept("submitted_at"),
        kept("graded_at"), token("grader_id", kCanvasUser), kept("posted_at")}});
  return list;
}

}  // namespace

const std::vector<CanvasStream>& canvas_streams() {
  static const std::vector<CanvasStream> list = build_streams();
  return list;
}

const CanvasStream* find_stream(std::string_view stream) {
  for (const CanvasStream& each : canvas_streams()) {
    if (each.stream == stream) return &each;
  }
  return nullptr;
}

std::vector<config::StreamSettings> preset_streams() {
  std::vector<config::StreamSettings> streams;
  for (const CanvasStream& each : canvas_streams()) {
    std::vector<config::FieldPolicy> fields;
    for (const StreamColumn& column : each.columns) fields.push_back(column.policy);
    streams.push_back(build::stream(each.stream, {"id"}, std::move(fields)));
  }
  return streams;
}

}  // namespace ferry::connectors::canvas
