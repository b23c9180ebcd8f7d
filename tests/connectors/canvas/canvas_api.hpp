// A Canvas LMS REST API for tests: a FAKE of a vendor's API (Canvas, a Rails application over
// PostgreSQL, cannot run here), built on the tests' HTTPS server (tests/support/https_server.hpp)
// on 127.0.0.1 with a test CA. It plays what the Canvas connector relies on, as Canvas's own code
// and documentation describe it (see /tmp/research/canvas.md when it is there). Its root is
// https://127.0.0.1:PORT; the API is below /api/v1:
//
//   GET /api/v1/accounts/:account/users        users of the account (every user, for any known
//                                              account: the fake keeps no user-account links)
//   GET /api/v1/accounts/:account/courses      courses of the account and its sub-accounts
//   GET /api/v1/courses/:id/sections
//   GET /api/v1/courses/:id/enrollments        state[] filters (repeated): records whose
//                                              enrollment_state is not listed are left out;
//                                              without state[]: active, invited,
//                                              creation_pending, inactive (Canvas's default)
//   GET /api/v1/courses/:id/assignments
//   GET /api/v1/courses/:id/students/submissions
//                                              student_ids[]=all required (400 otherwise);
//                                              submitted_since, graded_since: strictly after,
//                                              ISO 8601 (YYYY-MM-DDTHH:MM:SS[.f](Z|+-HH:MM)),
//                                              else 400 {"errors":{"<name>":"Invalid datetime
//                                              for <name>"}}; both given: both must hold
//
// :account is "self" (the root account), or an account id. Records are listed in id order.
//
// Paging as Canvas's bookmarked collections: per_page (default 10, clamped to 1..100), page
// absent or "first" for the first page, else "bookmark:<base64url of [last id handed over]>"
// (opaque to clients; undecodable: 404). Every answer has a Link header of entries
// `<URL>; rel="REL"` joined by "," without a space: current, next (absent on the last page),
// first. A URL is the origin, the path and the request's parameters in order (but page, per_page
// and access_token), percent-encoded as Rails does (state%5B%5D=active), then page and per_page.
//
// Auth: `Authorization: Bearer <kToken>`. Another token: 401 with `WWW-Authenticate: Bearer
// realm="canvas-lms"` and {"errors":[{"message":"Invalid access token."}]}; no Authorization:
// 401 {"status":"unauthenticated",...} with the same challenge. A route the account may not read
// (forbid()): 401 {"status":"unauthorized","errors":[{"message":"user not authorized to perform
// that action"}]} WITHOUT WWW-Authenticate, as Canvas answers. An unknown account, course or
// route: 404 {"errors":[{"message":"The specified resource does not exist."}]}.
//
// Throttling as Canvas's leaky bucket shows it: throttle_next(n) makes the next n requests
// (whatever their route, before the token is checked) answer 403, Content-Type text/plain,
// X-Rate-Limit-Remaining: 0.0, body "403 Forbidden (Rate Limit Exceeded)\n", no Retry-After. Every
// 2xx answer carries X-Request-Cost and X-Rate-Limit-Remaining (set_rate_limit_remaining(),
// 700.0 at start).
//
// Data is what the test puts: synthetic records (no real people), or the public sample
// canvas-oea-hed-jsonl mapped from Canvas's database rows to the REST shapes (load_oea_sample).
//
// Threads: the server's thread runs the handler; every public member may be called from any
// thread, and from inside a hook (hooks run without the fake's lock held).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

#include "tests/support/https_server.hpp"

namespace ferry::test {

class CanvasApi {
 public:
  static constexpr const char* kToken = "canvas-fake-token-7Qx93kLm2";
  static constexpr std::int64_t kRootAccount = 1;  // "self", until load_oea_sample
  static constexpr std::int64_t kDefaultPerPage = 10;
  static constexpr std::int64_t kMaxPerPage = 100;

  enum class Route { kUsers, kCourses, kSections, kEnrollments, kAssignments, kSubmissions };

  CanvasApi();

  std::string root_url() const;  // https://127.0.0.1:PORT (the connector adds /api/v1)
  void write_ca_file(const std::filesystem::path& file) const { server_.write_ca_file(file); }
  HttpsServer& server() { return server_; }

  // A sub-account of `parent` (which must be known).
  void add_account(std::int64_t id, std::int64_t parent);
  // Inserts `record`, or replaces the record with the same "id" (a number). Users and courses are
  // the account's (a course's "account_id" says which account, the root when absent); the other
  // routes' records belong to `course`, which must be a course put before.
  void put(Route route, boost::json::object record, std::int64_t course = 0);
  // Removes a course and everything of it; false when there was none.
  bool remove_course(std::int64_t course);
  // The records of `route` (of `course`, for the course routes) in id order (copies).
  std::vector<boost::json::object> records(Route route, std::int64_t course = 0) const;
  std::int64_t root_account() const;

  // Loads the public sample canvas-oea-hed-jsonl from `dir` (accounts, users, courses,
  // course_sections, enrollments, assignments .json, JSON lines of Canvas database rows), mapped
  // to the REST JSON as Canvas's API writes it: sis_source_id as sis_course_id / sis_section_id,
  // conclude_at as end_at, assignments' title as name and context_id as course_id, enrollments'
  // workflow_state as enrollment_state with the course of their section, "YYYY-MM-DD HH:MM:SS" as
  // "YYYY-MM-DDTHH:MM:SSZ" and "" as null. The root account (depth 0) becomes "self". Returns the
  // records loaded per file stem. Throws std::runtime_error when a file is missing or a line is
  // not a JSON object.
  std::map<std::string, std::size_t> load_oea_sample(const std::filesystem::path& dir);

  // Serves the GET mocks of the canvasapi test fixtures (canvas-api-fixtures-canvasapi: files of
  // {"name": {"method","endpoint","data","status_code","headers"}}, endpoints below /api/v1/) of
  // `files` in `dir`, before the fake's own routes and after the token check. A mock whose
  // endpoint has no query answers its path whatever the query, unless the request has `page`; one
  // with a query (page=2&per_page=2) answers the request with those values. Link URLs on
  // https://example.com are rewritten to this server. Returns the number of mocks loaded. Throws
  // std::runtime_error when a file is not such JSON.
  std::size_t load_canvasapi_mocks(const std::filesystem::path& dir,
                                   const std::vector<std::string>& files);

  // 401 without a challenge for `route` of `course` (0: an account route) from now on.
  void forbid(Route route, std::int64_t course = 0);
  // The next `requests` requests answer 403 Rate Limit Exceeded.
  void throttle_next(int requests) { throttle_next_ = requests; }
  int throttled() const { return throttled_; }  // answers 403 Rate Limit Exceeded so far
  // X-Rate-Limit-Remaining on 2xx answers from now on.
  void set_rate_limit_remaining(double remaining) { remaining_ = remaining; }

  // Changes the data after a 200 answer of a data route is made (before it is sent): called with
  // the route, the course (0 for account routes) and the 1-based number of that route's requests
  // for that course.
  void on_page(std::function<void(CanvasApi&, Route route, std::int64_t course, int number)> hook);
  // Changes a reply before it is sent (faults): called for every request after it is answered.
  void on_reply(std::function<void(const HttpExchange&, HttpReply&)> hook);

  // Requests on `route` (whatever their answer), for `course`, or for every course.
  int requests(Route route, std::int64_t course) const;
  int requests(Route route) const;

 private:
  using Records = std::map<std::int64_t, boost::json::object>;  // by id
  struct Mock {
    std::vector<std::pair<std::string, std::string>> query;  // of its endpoint
    unsigned status = 200;
    std::string body;
    std::string link;  // "" for none
  };

  HttpReply answer(const HttpExchange& exchange);
  // The mock for `exchange`, with the lock held.
  std::optional<HttpReply> mocked(const HttpExchange& exchange) const;
  // Answers a data route with the lock held.
  HttpReply listing(const HttpExchange& exchange, Route route, std::int64_t course,
                    const std::string& account);
  std::optional<std::int64_t> account_id(const std::string& account) const;
  bool under(std::int64_t account, std::int64_t ancestor) const;

  mutable std::mutex mutex_;
  std::int64_t root_ = kRootAccount;
  std::map<std::int64_t, std::int64_t> parents_;  // account -> parent (the root: 0)
  Records users_;
  Records courses_;
  std::map<std::pair<Route, std::int64_t>, Records> course_records_;
  std::map<std::pair<Route, std::int64_t>, int> requests_;
  std::map<std::pair<Route, std::int64_t>, bool> forbidden_;
  std::map<std::string, std::vector<Mock>> mocks_;  // by path
  std::function<void(CanvasApi&, Route, std::int64_t, int)> on_page_;
  std::function<void(const HttpExchange&, HttpReply&)> on_reply_;
  std::atomic<int> throttle_next_ = 0;
  std::atomic<int> throttled_ = 0;
  std::atomic<double> remaining_ = 700.0;
  HttpsServer server_;  // last: its thread stops first
};

}  // namespace ferry::test
