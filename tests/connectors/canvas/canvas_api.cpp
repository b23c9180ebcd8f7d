#include "tests/connectors/canvas/canvas_api.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include "common/crypto/base64.hpp"
#include "common/crypto/bytes.hpp"
#include "common/http/form.hpp"

namespace ferry::test {
namespace {

using Route = CanvasApi::Route;

constexpr std::string_view kApi = "/api/v1/";

HttpReply json_reply(unsigned status, std::string body) {
  HttpReply reply;
  reply.status = status;
  reply.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
  reply.body = std::move(body);
  return reply;
}

HttpReply not_found() {
  return json_reply(404, R"({"errors":[{"message":"The specified resource does not exist."}]})");
}

// The 401 of a bad or missing token: with the challenge that tells it from "not authorized".
HttpReply unauthenticated(bool had_token) {
  HttpReply reply = json_reply(
      401,
      had_token
          ? R"({"errors":[{"message":"Invalid access token."}]})"
          : R"({"status":"unauthenticated","errors":[{"message":"user authorization required"}]})");
  reply.headers.emplace_back("WWW-Authenticate", R"(Bearer realm="canvas-lms")");
  return reply;
}

HttpReply unauthorized() {
  return json_reply(401, R"({"status":"unauthorized","errors":[{"message":)"
                         R"("user not authorized to perform that action"}]})");
}

HttpReply rate_limit_exceeded() {
  HttpReply reply;
  reply.status = 403;
  reply.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  reply.headers.emplace_back("X-Rate-Limit-Remaining", "0.0");
  reply.body = "403 Forbidden (Rate Limit Exceeded)\n";
  return reply;
}

std::optional<std::int64_t> integer(std::string_view text) {
  std::int64_t value = 0;
  const auto parsed = std::from_chars(text.data(), text.data() + text.size(), value);
  if (parsed.ec != std::errc() || parsed.ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

// Api::ISO8601_REGEX's form: YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM).
std::optional<std::chrono::sys_seconds> iso_time(const std::string& text) {
  static const std::regex kIso(
      R"(^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|([+-])(\d{2}):(\d{2}))$)");
  std::smatch match;
  if (!std::regex_match(text, match, kIso)) return std::nullopt;
  const auto number = [&](std::size_t i) { return std::stoi(match[i].str()); };
  const std::chrono::year_month_day day{std::chrono::year(number(1)),
                                        std::chrono::month(static_cast<unsigned>(number(2))),
                                        std::chrono::day(static_cast<unsigned>(number(3)))};
  if (!day.ok() || number(4) > 23 || number(5) > 59 || number(6) > 60) return std::nullopt;
  std::chrono::sys_seconds time = std::chrono::sys_days(day) + std::chrono::hours(number(4)) +
                                  std::chrono::minutes(number(5)) + std::chrono::seconds(number(6));
  if (match[9].matched) {
    const auto offset = std::chrono::hours(number(10)) + std::chrono::minutes(number(11));
    time -= match[9].str() == "+" ? offset : -offset;
  }
  return time;
}

// The time of a record's member `name`, nullopt when it is not a time (null, absent).
std::optional<std::chrono::sys_seconds> record_time(const boost::json::object& record,
                                                    std::string_view name) {
  const auto* value = record.if_contains(name);
  if (value == nullptr || !value->is_string()) return std::nullopt;
  return iso_time(std::string(value->as_string()));
}

// JSON as Canvas (Rails) writes it: a double keeps a decimal point ("10.0", "91.5") where
// boost::json would write "1E1".
void write_json(const boost::json::value& value, std::string& out) {
  if (value.is_double()) {
    std::string number = fmt::format("{}", value.as_double());
    if (number.find_first_of(".eEn") == std::string::npos) number += ".0";
    out += number;
  } else if (value.is_array()) {
    out += '[';
    for (std::size_t i = 0; i < value.as_array().size(); ++i) {
      if (i > 0) out += ',';
      write_json(value.as_array()[i], out);
    }
    out += ']';
  } else if (value.is_object()) {
    out += '{';
    bool first = true;
    for (const auto& entry : value.as_object()) {
      if (!first) out += ',';
      first = false;
      out += boost::json::serialize(boost::json::string(entry.key()));
      out += ':';
      write_json(entry.value(), out);
    }
    out += '}';
  } else {
    out += boost::json::serialize(value);
  }
}

std::optional<std::int64_t> id_of(const boost::json::object& record) {
  const auto* id = record.if_contains("id");
  if (id == nullptr || !id->is_int64()) return std::nullopt;
  return id->as_int64();
}

std::string bookmark(std::int64_t last) {
  return "bookmark:" + crypto::base64url_encode(crypto::as_bytes(fmt::format("[{}]", last)));
}

// The id after which a page starts: nullopt for the first page; `bad` for a page value that is
// not "first" or a bookmark of ours.
std::optional<std::int64_t> page_start(const std::string& page, bool& bad) {
  if (page.empty() || page == "first") return std::nullopt;
  if (page.starts_with("bookmark:")) {
    auto bytes = crypto::base64url_decode(std::string_view(page).substr(9));
    if (bytes) {
      boost::system::error_code ec;
      const auto parsed = boost::json::parse(std::string(bytes->begin(), bytes->end()), ec);
      if (!ec && parsed.is_array() && parsed.as_array().size() == 1 &&
          parsed.as_array()[0].is_int64()) {
        return parsed.as_array()[0].as_int64();
      }
    }
  }
  bad = true;
  return std::nullopt;
}

// Canvas database time text "2022-01-01 00:00:00" as the API writes it; "" as null.
boost::json::value rest_time(const boost::json::value& value) {
  if (!value.is_string()) return value;
  std::string text(value.as_string());
  if (text.empty()) return nullptr;
  if (text.size() == 19 && text[10] == ' ') {
    text[10] = 'T';
    text += 'Z';
  }
  return boost::json::string(text);
}

boost::json::value member(const boost::json::object& row, std::string_view name) {
  const auto* value = row.if_contains(name);
  if (value == nullptr) return nullptr;
  if (value->is_string() && value->as_string().empty()) return nullptr;
  return *value;
}

std::vector<boost::json::object> json_lines(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("{}: cannot be read", file.string()));
  std::vector<boost::json::object> rows;
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("\xEF\xBB\xBF")) line.erase(0, 3);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    boost::system::error_code ec;
    boost::json::value parsed = boost::json::parse(line, ec);
    if (ec || !parsed.is_object()) {
      throw std::runtime_error(fmt::format("{}: a line that is not a JSON object", file.string()));
    }
    rows.push_back(std::move(parsed.as_object()));
  }
  return rows;
}

struct Target {
  Route route = Route::kUsers;
  std::string account;      // for account routes: "self" or an id, as written
  std::int64_t course = 0;  // for course routes
};

// The route of `path` ("/api/v1/courses/12/sections"); nullopt for any other path.
std::optional<Target> target_of(std::string_view path, bool& bad_course) {
  if (!path.starts_with(kApi)) return std::nullopt;
  path.remove_prefix(kApi.size());
  std::vector<std::string> parts;
  for (std::size_t at = 0; at <= path.size();) {
    const std::size_t slash = std::min(path.find('/', at), path.size());
    parts.emplace_back(path.substr(at, slash - at));
    at = slash + 1;
  }
  Target target;
  if (parts.size() == 3 && parts[0] == "accounts") {
    if (parts[2] == "users") {
      target.route = Route::kUsers;
    } else if (parts[2] == "courses") {
      target.route = Route::kCourses;
    } else {
      return std::nullopt;
    }
    target.account = parts[1];
    return target;
  }
  if (parts.size() < 3 || parts[0] != "courses") return std::nullopt;
  const std::string rest = parts.size() == 3   ? parts[2]
                           : parts.size() == 4 ? parts[2] + "/" + parts[3]
                                               : "";
  if (rest == "sections") {
    target.route = Route::kSections;
  } else if (rest == "enrollments") {
    target.route = Route::kEnrollments;
  } else if (rest == "assignments") {
    target.route = Route::kAssignments;
  } else if (rest == "students/submissions") {
    target.route = Route::kSubmissions;
  } else {
    return std::nullopt;
  }
  const auto course = integer(parts[1]);
  if (!course) bad_course = true;
  target.course = course.value_or(0);
  return target;
}

}  // namespace

CanvasApi::CanvasApi()
    : server_([this](const HttpExchange& exchange) { return answer(exchange); }) {
  parents_[kRootAccount] = 0;
}

std::string CanvasApi::root_url() const { return server_.base_url(); }

void CanvasApi::add_account(std::int64_t id, std::int64_t parent) {
  std::lock_guard lock(mutex_);
  if (!parents_.contains(parent)) throw std::logic_error("add_account: unknown parent");
  parents_[id] = parent;
}

void CanvasApi::put(Route route, boost::json::object record, std::int64_t course) {
  const auto id = id_of(record);
  if (!id) throw std::logic_error("put: a record without a numeric id");
  std::lock_guard lock(mutex_);
  switch (route) {
    case Route::kUsers:
      users_[*id] = std::move(record);
      return;
    case Route::kCourses:
      if (!record.contains("account_id")) record["account_id"] = root_;
      courses_[*id] = std::move(record);
      return;
    default:
      if (!courses_.contains(course)) throw std::logic_error("put: unknown course");
      course_records_[{route, course}][*id] = std::move(record);
  }
}

bool CanvasApi::remove_course(std::int64_t course) {
  std::lock_guard lock(mutex_);
  if (courses_.erase(course) == 0) return false;
  for (const Route route :
       {Route::kSections, Route::kEnrollments, Route::kAssignments, Route::kSubmissions}) {
    course_records_.erase({route, course});
  }
  return true;
}

std::vector<boost::json::object> CanvasApi::records(Route route, std::int64_t course) const {
  std::lock_guard lock(mutex_);
  const Records* records = nullptr;
  if (route == Route::kUsers) {
    records = &users_;
  } else if (route == Route::kCourses) {
    records = &courses_;
  } else if (const auto found = course_records_.find({route, course});
             found != course_records_.end()) {
    records = &found->second;
  }
  std::vector<boost::json::object> copies;
  if (records != nullptr) {
    for (const auto& [id, record] : *records) copies.push_back(record);
  }
  return copies;
}

std::int64_t CanvasApi::root_account() const {
  std::lock_guard lock(mutex_);
  return root_;
}

std::map<std::string, std::size_t> CanvasApi::load_oea_sample(const std::filesystem::path& dir) {
  std::map<std::string, std::size_t> loaded;
  const auto rows_of = [&](const std::string& stem) {
    auto rows = json_lines(dir / (stem + ".json"));
    loaded[stem] = rows.size();
    return rows;
  };
  // Accounts first: the root is the one without a parent.
  {
    const auto accounts = rows_of("accounts");
    std::lock_guard lock(mutex_);
    std::map<std::int64_t, std::int64_t> parents;
    for (const auto& row : accounts) {
      const auto* parent = row.if_contains("parent_account_id");
      const std::int64_t id = row.at("id").as_int64();
      if (parent == nullptr || parent->is_null()) {
        root_ = id;
        parents[id] = 0;
      } else {
        parents[id] = parent->as_int64();
      }
    }
    parents_ = std::move(parents);
  }
  for (const auto& row : rows_of("users")) {
    boost::json::object user;
    user["id"] = row.at("id");
    user["name"] = member(row, "name");
    user["sortable_name"] = member(row, "sortable_name");
    user["short_name"] = member(row, "name");
    user["created_at"] = rest_time(member(row, "created_at"));
    user["time_zone"] = member(row, "time_zone");
    user["locale"] = member(row, "locale");
    put(Route::kUsers, std::move(user));
  }
  std::map<std::int64_t, boost::json::value> course_sis;  // course id -> sis_course_id
  for (const auto& row : rows_of("courses")) {
    boost::json::object course;
    const std::int64_t id = row.at("id").as_int64();
    course["id"] = id;
    course["name"] = member(row, "name");
    course["course_code"] = member(row, "course_code");
    course["workflow_state"] = member(row, "workflow_state");
    course["account_id"] = member(row, "account_id");
    course["root_account_id"] = root_account();
    course["enrollment_term_id"] = member(row, "enrollment_term_id");
    course["created_at"] = rest_time(member(row, "created_at"));
    course["start_at"] = rest_time(member(row, "start_at"));
    course["end_at"] = rest_time(member(row, "conclude_at"));
    course["is_public"] = member(row, "is_public");
    course["sis_course_id"] = member(row, "sis_source_id");
    course["integration_id"] = nullptr;
    course_sis[id] = course["sis_course_id"];
    put(Route::kCourses, std::move(course));
  }
  std::map<std::int64_t, std::pair<std::int64_t, boost::json::value>> sections;  // id -> course
  for (const auto& row : rows_of("course_sections")) {
    boost::json::object section;
    const std::int64_t id = row.at("id").as_int64();
    const std::int64_t course = row.at("course_id").as_int64();
    section["id"] = id;
    section["name"] = member(row, "name");
    section["course_id"] = course;
    section["sis_section_id"] = member(row, "sis_source_id");
    section["sis_course_id"] = course_sis[course];
    section["integration_id"] = nullptr;
    section["nonxlist_course_id"] = member(row, "nonxlist_course_id");
    section["start_at"] = rest_time(member(row, "start_at"));
    section["end_at"] = rest_time(member(row, "end_at"));
    section["restrict_enrollments_to_section_dates"] =
        member(row, "restrict_enrollments_to_section_dates");
    sections[id] = {course, section["sis_section_id"]};
    put(Route::kSections, std::move(section), course);
  }
  for (const auto& row : rows_of("enrollments")) {
    const std::int64_t section = row.at("course_section_id").as_int64();
    const auto& [course, section_sis] = sections.at(section);
    boost::json::object enrollment;
    enrollment["id"] = row.at("id");
    enrollment["user_id"] = row.at("user_id");
    enrollment["course_id"] = course;
    enrollment["course_section_id"] = section;
    enrollment["root_account_id"] = root_account();
    enrollment["type"] = member(row, "type");
    enrollment["role"] = member(row, "type");
    enrollment["enrollment_state"] = member(row, "workflow_state");
    enrollment["sis_course_id"] = course_sis[course];
    enrollment["sis_section_id"] = section_sis;
    for (const char* time :
         {"created_at", "updated_at", "start_at", "end_at", "last_activity_at"}) {
      enrollment[time] = rest_time(member(row, time));
    }
    put(Route::kEnrollments, std::move(enrollment), course);
  }
  for (const auto& row : rows_of("assignments")) {
    const std::int64_t course = row.at("context_id").as_int64();
    boost::json::object assignment;
    assignment["id"] = row.at("id");
    assignment["name"] = member(row, "title");
    assignment["description"] = member(row, "description");
    assignment["course_id"] = course;
    assignment["assignment_group_id"] = member(row, "assignment_group_id");
    assignment["position"] = member(row, "position");
    assignment["points_possible"] = member(row, "points_possible");
    assignment["grading_type"] = member(row, "grading_type");
    assignment["submission_types"] = member(row, "submission_types");
    assignment["workflow_state"] = member(row, "workflow_state");
    const auto state = member(row, "workflow_state");
    assignment["published"] = state.is_string() && state.as_string() == "published";
    for (const char* time : {"due_at", "unlock_at", "lock_at", "created_at", "updated_at"}) {
      assignment[time] = rest_time(member(row, time));
    }
    put(Route::kAssignments, std::move(assignment), course);
  }
  return loaded;
}

std::size_t CanvasApi::load_canvasapi_mocks(const std::filesystem::path& dir,
                                            const std::vector<std::string>& files) {
  std::size_t loaded = 0;
  const std::string origin = server_.base_url();
  for (const std::string& name : files) {
    std::ifstream in(dir / name, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    boost::system::error_code ec;
    const auto parsed = boost::json::parse(text.str(), ec);
    if (!in || ec || !parsed.is_object()) {
      throw std::runtime_error(fmt::format("{}: not a canvasapi fixture file", name));
    }
    std::lock_guard lock(mutex_);
    for (const auto& entry : parsed.as_object()) {
      // Skip what is not a mock (paginated_list.json has a stray "status_code": 200).
      if (!entry.value().is_object()) continue;
      const auto& mock = entry.value().as_object();
      const auto* method = mock.if_contains("method");
      const auto* endpoint = mock.if_contains("endpoint");
      if (method == nullptr || !method->is_string() || method->as_string() != "GET" ||
          endpoint == nullptr || !endpoint->is_string()) {
        continue;
      }
      const std::string target(endpoint->as_string());
      const std::size_t mark = target.find('?');
      Mock made;
      if (mark != std::string::npos) {
        made.query = http::parse_query(std::string_view(target).substr(mark + 1));
      }
      if (const auto* status = mock.if_contains("status_code"); status && status->is_int64()) {
        made.status = static_cast<unsigned>(status->as_int64());
      }
      if (const auto* data = mock.if_contains("data")) write_json(*data, made.body);
      if (const auto* headers = mock.if_contains("headers"); headers && headers->is_object()) {
        if (const auto* link = headers->as_object().if_contains("Link");
            link && link->is_string()) {
          made.link = std::string(link->as_string());
          for (std::size_t at; (at = made.link.find("https://example.com")) != std::string::npos;) {
            made.link.replace(at, std::string_view("https://example.com").size(), origin);
          }
        }
      }
      mocks_[std::string(kApi) + target.substr(0, mark)].push_back(std::move(made));
      ++loaded;
    }
  }
  return loaded;
}

std::optional<HttpReply> CanvasApi::mocked(const HttpExchange& exchange) const {
  const auto found = mocks_.find(exchange.path);
  if (found == mocks_.end()) return std::nullopt;
  const auto value = [&](const std::string& name) -> std::optional<std::string> {
    const auto at = exchange.query.find(name);
    if (at == exchange.query.end()) return std::nullopt;
    return at->second;
  };
  for (const Mock& mock : found->second) {
    const bool fits = mock.query.empty()
                          ? !value("page")
                          : std::all_of(mock.query.begin(), mock.query.end(),
                                        [&](const auto& p) { return value(p.first) == p.second; });
    if (!fits) continue;
    HttpReply reply = json_reply(mock.status, mock.body);
    if (!mock.link.empty()) reply.headers.emplace_back("Link", mock.link);
    return reply;
  }
  return std::nullopt;
}

void CanvasApi::forbid(Route route, std::int64_t course) {
  std::lock_guard lock(mutex_);
  forbidden_[{route, course}] = true;
}

void CanvasApi::on_page(
    std::function<void(CanvasApi&, Route route, std::int64_t course, int number)> hook) {
  std::lock_guard lock(mutex_);
  on_page_ = std::move(hook);
}

void CanvasApi::on_reply(std::function<void(const HttpExchange&, HttpReply&)> hook) {
  std::lock_guard lock(mutex_);
  on_reply_ = std::move(hook);
}

int CanvasApi::requests(Route route, std::int64_t course) const {
  std::lock_guard lock(mutex_);
  const auto found = requests_.find({route, course});
  return found == requests_.end() ? 0 : found->second;
}

int CanvasApi::requests(Route route) const {
  std::lock_guard lock(mutex_);
  int total = 0;
  for (const auto& [key, count] : requests_) {
    if (key.first == route) total += count;
  }
  return total;
}

std::optional<std::int64_t> CanvasApi::account_id(const std::string& account) const {
  if (account == "self") return root_;
  const auto id = integer(account);
  if (!id || !parents_.contains(*id)) return std::nullopt;
  return id;
}

bool CanvasApi::under(std::int64_t account, std::int64_t ancestor) const {
  for (int depth = 0; depth < 64 && account != 0; ++depth) {
    if (account == ancestor) return true;
    const auto parent = parents_.find(account);
    if (parent == parents_.end()) return false;
    account = parent->second;
  }
  return false;
}

HttpReply CanvasApi::answer(const HttpExchange& exchange) {
  std::function<void(const HttpExchange&, HttpReply&)> on_reply;
  {
    std::lock_guard lock(mutex_);
    on_reply = on_reply_;
  }
  const auto finish = [&](HttpReply made) {
    if (on_reply) on_reply(exchange, made);
    return made;
  };
  bool bad_course = false;
  const auto target = target_of(exchange.path, bad_course);
  int number = 0;
  if (target) {
    std::lock_guard lock(mutex_);
    number = ++requests_[{target->route, target->course}];
  }
  // The throttle comes before anything else looks at the request, as Canvas's middleware does.
  for (int left = throttle_next_.load(); left > 0;) {
    if (throttle_next_.compare_exchange_weak(left, left - 1)) {
      ++throttled_;
      return finish(rate_limit_exceeded());
    }
  }
  const auto authorization = exchange.headers.find("authorization");
  if (authorization == exchange.headers.end()) return finish(unauthenticated(false));
  if (authorization->second != std::string("Bearer ") + kToken) {
    return finish(unauthenticated(true));
  }
  {
    std::lock_guard lock(mutex_);
    if (auto mock = mocked(exchange)) return finish(std::move(*mock));
  }
  if (!target || bad_course || exchange.method != "GET") return finish(not_found());

  std::function<void(CanvasApi&, Route, std::int64_t, int)> on_page;
  HttpReply reply;
  {
    std::lock_guard lock(mutex_);
    const bool course_route = target->route != Route::kUsers && target->route != Route::kCourses;
    if (course_route ? !courses_.contains(target->course) : !account_id(target->account)) {
      reply = not_found();
    } else if (forbidden_.contains({target->route, target->course})) {
      reply = unauthorized();
    } else {
      reply = listing(exchange, target->route, target->course, target->account);
      on_page = on_page_;
    }
  }
  if (reply.status == 200) {
    reply.headers.emplace_back("X-Request-Cost", "1.25");
    reply.headers.emplace_back("X-Rate-Limit-Remaining", fmt::format("{:.1f}", remaining_.load()));
    if (on_page) on_page(*this, target->route, target->course, number);
  }
  return finish(std::move(reply));
}

HttpReply CanvasApi::listing(const HttpExchange& exchange, Route route, std::int64_t course,
                             const std::string& account) {
  const std::size_t mark = exchange.target.find('?');
  const auto parameters = http::parse_query(
      mark == std::string::npos ? std::string_view()
                                : std::string_view(exchange.target).substr(mark + 1));
  std::string page;
  std::int64_t per_page = kDefaultPerPage;
  std::vector<http::Parameter> kept;  // for the Link URLs
  std::vector<std::string> states;
  bool all_students = false;
  std::map<std::string, std::chrono::sys_seconds> since;
  for (const auto& [name, value] : parameters) {
    if (name == "page") {
      page = value;
      continue;
    }
    if (name == "per_page") {
      // Canvas reads it with to_i and clamps it: never an error.
      per_page = std::clamp<std::int64_t>(integer(value).value_or(kDefaultPerPage), 1, kMaxPerPage);
      continue;
    }
    if (name == "access_token") continue;
    kept.emplace_back(name, value);
    if (name == "state[]") states.push_back(value);
    if (name == "student_ids[]" && value == "all") all_students = true;
    if (route == Route::kSubmissions && (name == "submitted_since" || name == "graded_since")) {
      const auto time = iso_time(value);
      if (!time) {
        return json_reply(
            400, fmt::format(R"({{"errors":{{"{}":"Invalid datetime for {}"}}}})", name, name));
      }
      since[name] = *time;
    }
  }
  if (route == Route::kSubmissions && !all_students) {
    return json_reply(
        400, R"({"errors":[{"message":"this fake wants student_ids[]=all: Canvas would list )"
             R"(only the caller's own submissions"}]})");
  }
  if (route == Route::kEnrollments && states.empty()) {
    states = {"active", "invited", "creation_pending", "inactive"};
  }
  bool bad_page = false;
  const auto after = page_start(page, bad_page);
  if (bad_page) return not_found();

  const Records empty;
  const Records* source = &empty;
  if (route == Route::kUsers) {
    source = &users_;
  } else if (route == Route::kCourses) {
    source = &courses_;
  } else if (const auto found = course_records_.find({route, course});
             found != course_records_.end()) {
    source = &found->second;
  }
  const std::int64_t scope = route == Route::kCourses ? *account_id(account) : 0;
  const auto selected = [&](const boost::json::object& record) {
    if (route == Route::kCourses) {
      const auto* owner = record.if_contains("account_id");
      return owner != nullptr && owner->is_int64() && under(owner->as_int64(), scope);
    }
    if (route == Route::kEnrollments) {
      const auto* state = record.if_contains("enrollment_state");
      return state != nullptr && state->is_string() &&
             std::find(states.begin(), states.end(), std::string(state->as_string())) !=
                 states.end();
    }
    if (route == Route::kSubmissions) {
      for (const auto& [name, time] : since) {
        const auto when =
            record_time(record, name == "submitted_since" ? "submitted_at" : "graded_at");
        if (!when || *when <= time) return false;  // strictly after; never submitted: out
      }
    }
    return true;
  };

  boost::json::array items;
  std::optional<std::int64_t> last;
  bool more = false;
  for (auto it = after ? source->upper_bound(*after) : source->begin(); it != source->end(); ++it) {
    if (!selected(it->second)) continue;
    if (static_cast<std::int64_t>(items.size()) == per_page) {
      more = true;
      break;
    }
    items.push_back(it->second);
    last = it->first;
  }

  std::string body;
  write_json(items, body);
  HttpReply reply = json_reply(200, std::move(body));
  std::string base = server_.base_url() + exchange.path + "?";
  if (!kept.empty()) base += http::form_encode(kept) + "&";
  const auto link = [&](const std::string& to, std::string_view rel) {
    return fmt::format(R"(<{}page={}&per_page={}>; rel="{}")", base, to, per_page, rel);
  };
  std::string links = link(page.empty() ? "first" : page, "current");
  if (more && last) links += "," + link(bookmark(*last), "next");
  links += "," + link("first", "first");
  reply.headers.emplace_back("Link", links);
  return reply;
}

}  // namespace ferry::test
