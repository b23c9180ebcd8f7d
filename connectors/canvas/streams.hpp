// The Canvas streams Ferry reads, each with its request, its columns (a name, and the JSON pointer
// of its value in Canvas's JSON) and the `preset: canvas` policy of each column: one table, so
// that the columns a source reads and the preset's fields cannot drift apart.
// docs/connectors/canvas.md has the same tables with the reasons (a test keeps the two in step).
//
// The choices follow the other presets': a person's SIS id (sis_user_id) is pseudonymized in
// domain `user`, so the tenant joins Canvas rows with the SIS's where the district uses the same
// ids; Canvas's own user ids (users.id, enrollments.user_id, submissions.user_id, grader_id...)
// in domain `canvas_user`; the ids of records about a person (an enrollment, a submission) in a
// domain of their own; the ids, codes and names of courses, sections and assignments are kept;
// names, logins, e-mail, free text and submitted work are not read at all.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/config/settings.hpp"

namespace ferry::connectors::canvas {

struct StreamColumn {
  std::string name;            // "course_section_id"
  std::string path;            // "/grades/current_score"
  config::FieldPolicy policy;  // in the canvas preset
};

enum class Scope {
  kAccount,  // one listing of the account: accounts/<account>/<what>
  kCourse,   // one listing per course of the account: courses/<id>/<what>
};

struct CanvasStream {
  std::string stream;  // "enrollments"
  Scope scope = Scope::kAccount;
  std::string path;                   // below the scope: "users", "students/submissions"
  std::vector<std::string> query;     // fixed parameters: "state[]=active", ...
  std::vector<StreamColumn> columns;  // columns[0] is "id"
};

const std::vector<CanvasStream>& canvas_streams();
const CanvasStream* find_stream(std::string_view stream);

// `preset: canvas`: every stream, keyed by `id`.
std::vector<config::StreamSettings> preset_streams();

}  // namespace ferry::connectors::canvas
