// The OneRoster REST connector against a OneRoster service of the tests (oneroster_api.hpp, a fake
// of a SIS's API over real HTTPS on 127.0.0.1): every collection read page by page into the CSV
// binding's columns; data that changes during a read read again, never a row twice; faults
// (a body cut short, a token revoked, 429, 403) and bad records.
#include "connectors/oneroster_rest/rest_source.hpp"

#include <fstream>
#include <map>
#include <set>

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include "connectors/registry/registry.hpp"
#include "tests/connectors/oneroster_csv/collecting_sink.hpp"
#include "tests/connectors/oneroster_rest/oneroster_api.hpp"
#include "tests/support/fake_clock.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/testdata.hpp"

namespace ferry::test {
namespace {

using connectors::oneroster_csv::test::CollectedStream;
namespace rest = connectors::oneroster_rest;
using connectors::oneroster_csv::test::CollectingSink;

constexpr std::string_view kUsers =
    "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,"
    "familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password\n"
    "u1,active,2026-01-01,true,o1,student,Ada.L,,Ada,Lovelace,,1001,ada@school.example,,,u9,"
    "\"09,10\",pw\n"
    "u2,active,2026-01-01,true,\"o1,o2\",teacher,grace,,Grace,Hopper,,1002,,,,,,\n"
    "u3,active,2026-01-02,false,o2,student,alan,,Alan,Turing,,1003,,,,\"u8,u9\",11,\n"
    "u4,active,2026-01-03,true,o1,student,kat,,Katherine,Johnson,,1004,,,,,12,\n"
    "u5,active,2026-01-03,true,o1,student,edsger,,Edsger,Dijkstra,,1005,,,,,12,\n";
constexpr std::string_view kOrgs =
    "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\n"
    "o1,active,2026-01-01,North High,school,NH,d1\n"
    "o2,active,2026-01-01,South High,school,SH,d1\n"
    "d1,active,2026-01-01,District,district,D,\n";
constexpr std::string_view kEnrollments =
    "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,"
    "beginDate,endDate\n"
    "e1,active,2026-01-01,c1,o1,u1,student,false,2026-09-01,\n"
    "e2,active,2026-01-01,c1,o1,u2,teacher,true,2026-09-01,\n";

struct Site {
  Site() : api(write_export()) {
    api.write_ca_file(dir / "ca.pem");
    settings.name = "sis_api";
    settings.type = "oneroster_rest";
    settings.preset = "oneroster";
    config::ApiSettings http;
    http.url = api.base_url();
    http.ca_file = dir / "ca.pem";
    config::OAuth2Auth oauth;
    oauth.token_url = api.token_url();
    oauth.client_id = OneRosterApi::kClientId;
    oauth.client_secret = OneRosterApi::kClientSecret;
    http.auth = oauth;
    http.retries = 2;
    settings.api = http;
    page_size(2);
  }

  std::filesystem::path write_export() {
    dir.write("export/users.csv", kUsers);
    dir.write("export/orgs.csv", kOrgs);
    dir.write("export/enrollments.csv", kEnrollments);
    return dir / "export";
  }

  void page_size(std::int64_t size) {
    settings.options["page_size"] = config::OptionValue{size, {}};
  }

  std::unique_ptr<connectors::Source> source() {
    auto made = connectors::create_source(settings, connectors::inspection_context(settings));
    REQUIRE(made);
    return std::move(*made);
  }

  CollectingSink read() {
    CollectingSink sink;
    auto state = source()->read({}, sink, {});
    INFO((state ? "" : state.error().message));
    REQUIRE(state);
    return sink;
  }

  TempDir dir;
  OneRosterApi api;
  config::SourceSettings settings;
};

// The rows of a CSV text, header first.
std::vector<std::vector<std::string>> csv_rows(std::string_view text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;
  for (const char c : text) {
    if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      row.push_back(std::move(field));
      field.clear();
    } else if (c == '\n' && !quoted) {
      row.push_back(std::move(field));
      field.clear();
      rows.push_back(std::move(row));
      row.clear();
    } else {
      field.push_back(c);
    }
  }
  return rows;
}

// Each row of `stream` as "column=value" pairs for the columns the CSV has.
std::multiset<std::string> as_csv(const CollectedStream& stream,
                                  const std::vector<std::string>& header) {
  std::multiset<std::string> rows;
  for (std::size_t r = 0; r < stream.rows.size(); ++r) {
    std::string line;
    for (const std::string& column : header) line += column + "=" + stream.at(r, column) + ";";
    rows.insert(line);
  }
  return rows;
}

std::multiset<std::string> csv_as_rows(std::string_view text) {
  const auto rows = csv_rows(text);
  std::multiset<std::string> out;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    std::string line;
    for (std::size_t c = 0; c < rows[0].size(); ++c) line += rows[0][c] + "=" + rows[r][c] + ";";
    out.insert(line);
  }
  return out;
}

TEST_CASE("oneroster_rest reads every collection page by page into the CSV binding's columns",
          "[oneroster_rest]") {
  Site site;
  const CollectingSink sink = site.read();
  std::vector<std::string> names;
  for (const auto& stream : sink.streams) {
    names.push_back(stream.info.name);
    CHECK(stream.ended);
    CHECK(stream.mode == connectors::StreamMode::kSnapshot);
    CHECK(stream.info.key == "sourcedId");
  }
  CHECK(names == std::vector<std::string>{"academicSessions", "classes", "courses", "demographics",
                                          "enrollments", "orgs", "users"});
  CHECK(sink.failures.empty());
  CHECK(sink.bad_rows.empty());
  const std::vector<std::string> user_columns = csv_rows(kUsers)[0];
  CHECK(as_csv(*sink.find("users"), user_columns) == csv_as_rows(kUsers));
  CHECK(as_csv(*sink.find("orgs"), csv_rows(kOrgs)[0]) == csv_as_rows(kOrgs));
  CHECK(as_csv(*sink.find("enrollments"), csv_rows(kEnrollments)[0]) == csv_as_rows(kEnrollments));
  // 5 users, 2 a page: 2, 2, 1 (a short page ends the read).
  CHECK(site.api.page_requests("users") == 3);
  CHECK(site.api.token_requests() == 1);
}

TEST_CASE("oneroster_rest reads a page that changed during the read again and hands no row twice",
          "[oneroster_rest]") {
  Site site;
  // After the first page of users, the first user is deleted: every later user moves up one
  // place, and offset 2 skips the one that was third.
  site.api.on_page([](OneRosterApi& api, const std::string& collection, int page) {
    if (collection != "users" || page != 1) return;
    auto records = api.records("users");
    records.erase(records.begin());
    api.set_records("users", std::move(records));
  });
  const CollectingSink sink = site.read();
  const CollectedStream& users = *sink.find("users");
  CHECK(users.ended);
  std::set<std::string> ids;
  for (std::size_t r = 0; r < users.rows.size(); ++r) {
    CHECK(ids.insert(users.at(r, "sourcedId")).second);  // never twice
  }
  // All five: u1 as read before it was deleted (its delete comes with the next run), the others
  // from the second read.
  CHECK(ids == std::set<std::string>{"u1", "u2", "u3", "u4", "u5"});
  CHECK(site.api.page_requests("users") > 3);
}

TEST_CASE("oneroster_rest fails a stream that changes during every read and reads the others",
          "[oneroster_rest]") {
  Site site;
  site.api.on_page([](OneRosterApi& api, const std::string& collection, int) {
    if (collection != "users") return;
    auto records = api.records("users");
    boost::json::object added = records.front();
    added["sourcedId"] = "u" + std::to_string(records.size() + 100);
    records.push_back(added);
    api.set_records("users", std::move(records));
  });
  CollectingSink sink;
  auto state = site.source()->read({}, sink, {});
  REQUIRE(state);
  REQUIRE(sink.failures.size() == 1);
  CHECK(sink.failures[0].first == "users");
  CHECK(sink.failures[0].second.code == ErrorCode::kUnavailable);
  CHECK_THAT(sink.failures[0].second.message,
             Catch::Matchers::Contains("changed during each read") &&
                 Catch::Matchers::Contains("X-Total-Count") &&
                 Catch::Matchers::Contains("no deletes"));
  CHECK(sink.find("orgs")->ended);
  CHECK(sink.find("enrollments")->ended);
}

TEST_CASE("oneroster_rest goes on past pages a service caps below page_size", "[oneroster_rest]") {
  Site site;
  site.page_size(5);
  site.api.cap_page(2);
  const CollectingSink sink = site.read();
  CHECK(sink.find("users")->rows.size() == 5);
  CHECK(sink.failures.empty());
  CHECK(site.api.page_requests("users") == 3);  // 2, 2, 1: until X-Total-Count is reached
}

TEST_CASE("oneroster_rest stops a service that ignores offset instead of looping",
          "[oneroster_rest]") {
  Site site;
  site.api.ignore_offset(true);
  CollectingSink sink;
  REQUIRE(site.source()->read({}, sink, {}));
  bool users_failed = false;
  for (const auto& [stream, error] : sink.failures) {
    if (stream != "users") continue;
    users_failed = true;
    CHECK_THAT(error.message, Catch::Matchers::Contains("same page twice"));
  }
  CHECK(users_failed);
  std::multiset<std::string> ids;
  const CollectedStream& users = *sink.find("users");
  for (std::size_t r = 0; r < users.rows.size(); ++r) ids.insert(users.at(r, "sourcedId"));
  CHECK(ids == std::multiset<std::string>{"u1", "u2"});  // each once, over three reads
}

TEST_CASE("oneroster_rest follows Link headers to the next page", "[oneroster_rest]") {
  Site site;
  site.api.use_link_headers(true);
  const CollectingSink sink = site.read();
  CHECK(sink.find("users")->rows.size() == 5);
  std::vector<std::string> offsets;
  for (const HttpExchange& exchange : site.api.server().exchanges()) {
    if (exchange.path.ends_with("/users")) offsets.push_back(exchange.query.at("offset"));
  }
  CHECK(offsets == std::vector<std::string>{"0", "2", "4"});
}

TEST_CASE("oneroster_rest follows a relative Link on the API's own server", "[oneroster_rest]") {
  Site site;
  site.api.use_link_headers(true);
  const std::string origin = site.api.server().base_url();
  site.api.on_reply([origin](const HttpExchange&, HttpReply& reply) {
    for (auto& [name, value] : reply.headers) {
      if (name == "Link") value.replace(value.find(origin), origin.size(), "");  // "</ims/...>"
    }
  });
  const CollectingSink sink = site.read();
  CHECK(sink.find("users")->rows.size() == 5);
  CHECK(sink.failures.empty());
}

TEST_CASE("oneroster_rest refuses a Link to another server", "[oneroster_rest]") {
  Site site;
  site.api.on_reply([](const HttpExchange& exchange, HttpReply& reply) {
    if (exchange.path.ends_with("/users")) {
      reply.headers.emplace_back("Link", "<https://attacker.example/users?offset=2>; rel=\"next\"");
    }
  });
  CollectingSink sink;
  REQUIRE(site.source()->read({}, sink, {}));
  REQUIRE(sink.failures.size() == 1);
  CHECK(sink.failures[0].first == "users");
  CHECK_THAT(sink.failures[0].second.message, Catch::Matchers::Contains("another server"));
  for (const HttpExchange& exchange : site.api.server().exchanges()) {
    CHECK(exchange.headers.at("host").find("attacker") == std::string::npos);
  }
}

TEST_CASE("oneroster_rest reads a page again whose body was cut short and hands no row twice",
          "[oneroster_rest]") {
  Site site;
  site.page_size(5);
  int cut = 0;
  site.api.on_reply([&cut](const HttpExchange& exchange, HttpReply& reply) {
    if (exchange.path.ends_with("/users") && cut++ == 0) reply.fault = HttpReply::Fault::kTruncate;
  });
  const CollectingSink sink = site.read();
  const CollectedStream& users = *sink.find("users");
  CHECK(users.ended);
  std::multiset<std::string> ids;
  for (std::size_t r = 0; r < users.rows.size(); ++r) ids.insert(users.at(r, "sourcedId"));
  CHECK(ids == std::multiset<std::string>{"u1", "u2", "u3", "u4", "u5"});
  CHECK(site.api.page_requests("users") == 2);
}

TEST_CASE("oneroster_rest gets a new token once when the API refuses one mid-sync",
          "[oneroster_rest]") {
  Site site;
  site.api.on_page([](OneRosterApi& api, const std::string& collection, int page) {
    if (collection == "users" && page == 1) api.revoke_tokens();
  });
  const CollectingSink sink = site.read();
  CHECK(sink.find("users")->rows.size() == 5);
  CHECK(site.api.token_requests() == 2);
}

TEST_CASE("oneroster_rest says the client secret is wrong without showing it", "[oneroster_rest]") {
  Site site;
  std::get<config::OAuth2Auth>(site.settings.api->auth).client_secret = "wrong-secret-777";
  auto checked = site.source()->check();
  REQUIRE_FALSE(checked);
  CHECK(checked.error().code == ErrorCode::kAuth);
  CHECK_THAT(checked.error().message, Catch::Matchers::Contains("invalid_client") &&
                                          Catch::Matchers::Contains("client_secret") &&
                                          !Catch::Matchers::Contains("wrong-secret-777"));
  CollectingSink sink;
  auto read = site.source()->read({}, sink, {});
  REQUIRE_FALSE(read);
  CHECK(read.error().code == ErrorCode::kAuth);
  CHECK(sink.total_rows() == 0);
}

TEST_CASE("oneroster_rest check passes against a reachable service", "[oneroster_rest]") {
  Site site;
  auto checked = site.source()->check();
  INFO((checked ? "" : checked.error().message));
  CHECK(checked);
}

TEST_CASE("oneroster_rest fails only the collection the account may not read", "[oneroster_rest]") {
  Site site;
  site.api.on_reply([](const HttpExchange& exchange, HttpReply& reply) {
    if (exchange.path.ends_with("/demographics")) {
      reply.status = 403;
      reply.body = "{}";
    }
  });
  CollectingSink sink;
  REQUIRE(site.source()->read({}, sink, {}));
  REQUIRE(sink.failures.size() == 1);
  CHECK(sink.failures[0].first == "demographics");
  CHECK(sink.failures[0].second.code == ErrorCode::kPermission);
  CHECK(sink.find("users")->rows.size() == 5);
}

TEST_CASE("oneroster_rest waits out a 429 as Retry-After says", "[oneroster_rest]") {
  Site site;
  int limited = 0;
  site.api.on_reply([&limited](const HttpExchange& exchange, HttpReply& reply) {
    if (exchange.path.ends_with("/orgs") && limited++ == 0) {
      reply.status = 429;
      reply.body.clear();
      reply.headers.emplace_back("Retry-After", "1");
    }
  });
  const CollectingSink sink = site.read();
  CHECK(sink.find("orgs")->rows.size() == 3);
  CHECK(sink.failures.empty());
}

TEST_CASE("oneroster_rest takes a record to be deleted as absent", "[oneroster_rest]") {
  Site site;
  auto records = site.api.records("users");
  records[1]["status"] = "tobedeleted";
  site.api.set_records("users", records);
  const CollectingSink sink = site.read();
  const CollectedStream& users = *sink.find("users");
  CHECK(users.rows.size() == 4);
  for (std::size_t r = 0; r < users.rows.size(); ++r) CHECK(users.at(r, "sourcedId") != "u2");
}

TEST_CASE("oneroster_rest reports a record of the wrong shape by position without its values",
          "[oneroster_rest]") {
  Site site;
  auto records = site.api.records("users");
  records[2]["username"] = boost::json::object{{"secret-value", "alan-private"}};
  site.api.set_records("users", records);
  const CollectingSink sink = site.read();
  CHECK(sink.find("users")->rows.size() == 4);
  REQUIRE(sink.bad_rows.size() == 1);
  CHECK(sink.bad_rows[0].stream == "users");
  CHECK(sink.bad_rows[0].location == "users record 3");
  CHECK_THAT(sink.bad_rows[0].reason,
             Catch::Matchers::Contains("username") && !Catch::Matchers::Contains("alan-private"));
}

TEST_CASE("oneroster_rest reads only what changed between full reads when deltas are on",
          "[oneroster_rest]") {
  Site site;
  FakeClock clock(std::chrono::sys_days(std::chrono::year(2026) / 12 / 6) + std::chrono::hours(9));
  site.settings.options["deltas"] = config::OptionValue{true, {}};
  site.settings.options["full_read_every"] =
      config::OptionValue{config::Duration(std::chrono::hours(24)), {}};
  auto context = connectors::inspection_context(site.settings);
  context.clock = &clock;
  auto made = connectors::create_source(site.settings, context);
  REQUIRE(made);
  auto& source = **made;

  // First run: a full read, which leaves each stream a cursor.
  CollectingSink first;
  REQUIRE(source.read({}, first, {}));
  connectors::ResumeState state;
  for (const auto& stream : first.streams) {
    CHECK(stream.mode == connectors::StreamMode::kSnapshot);
    state.streams[stream.info.name] = stream.state;
  }
  const auto users_state = rest::parse_stream_state(state.stream("users"));
  CHECK(users_state.cursor == "2026-01-03");
  CHECK(users_state.full_at == "2026-12-06T09:00:00Z");

  // u2 changes, u3 is to be deleted; both after the cursor.
  auto records = site.api.records("users");
  records[1]["username"] = "grace.h";
  records[1]["dateLastModified"] = "2026-01-05";
  records[2]["status"] = "tobedeleted";
  records[2]["dateLastModified"] = "2026-01-05";
  site.api.set_records("users", records);
  clock.advance(std::chrono::hours(1));
  CollectingSink second;
  REQUIRE(source.read(state, second, {}));
  const CollectedStream& users = *second.find("users");
  CHECK(users.mode == connectors::StreamMode::kChanges);
  // u2 changed, u3 deleted, and u4 and u5 again: changed at the cursor's time, inside the overlap
  // (the agent finds them unchanged); u1 is older.
  std::map<std::string, std::pair<connectors::RowOp, std::string>> seen;
  for (std::size_t r = 0; r < users.rows.size(); ++r) {
    seen[users.at(r, "sourcedId")] = {users.ops[r], users.at(r, "username")};
  }
  REQUIRE(seen.size() == 4);
  CHECK(seen.at("u2") == std::pair(connectors::RowOp::kUpsert, std::string("grace.h")));
  CHECK(seen.at("u3").first == connectors::RowOp::kDelete);
  CHECK(seen.at("u4").first == connectors::RowOp::kUpsert);
  CHECK_FALSE(seen.contains("u1"));
  CHECK(rest::parse_stream_state(users.state).cursor == "2026-01-05");
  bool filtered = false;
  for (const HttpExchange& exchange : site.api.server().exchanges()) {
    if (exchange.path.ends_with("/users") && exchange.query.contains("filter")) {
      filtered = true;
      // The cursor, less the 5 minutes of overlap.
      CHECK(exchange.query.at("filter") == "dateLastModified>'2026-01-02T23:55:00Z'");
    }
  }
  CHECK(filtered);

  // A day after the first full read, the next run reads everything again.
  for (const auto& stream : second.streams) state.streams[stream.info.name] = stream.state;
  clock.advance(std::chrono::hours(24));
  CollectingSink third;
  REQUIRE(source.read(state, third, {}));
  CHECK(third.find("users")->mode == connectors::StreamMode::kSnapshot);
  CHECK(third.find("users")->rows.size() == 4);  // u3 is absent: deleted
}

TEST_CASE("oneroster_rest refuses a stream that is not a OneRoster collection",
          "[oneroster_rest]") {
  Site site;
  config::StreamSettings stream;
  stream.name = "results";
  stream.key = "sourcedId";
  site.settings.streams.push_back(stream);
  auto made =
      connectors::create_source(site.settings, connectors::inspection_context(site.settings));
  REQUIRE_FALSE(made);
  CHECK(made.error().code == ErrorCode::kConfig);
  CHECK_THAT(made.error().message, Catch::Matchers::Contains("no collection 'results'"));
}

TEST_CASE("oneroster_rest flattens the public OneRoster 1.2 sample as the CSV binding would",
          "[oneroster_rest][testdata]") {
  FERRY_REQUIRE_TESTDATA(sample, "oneroster-1.2-rest-json-jp/users.json");
  Site site;
  site.settings.options["version"] = config::OptionValue{std::string("1.2"), {}};
  std::ifstream in(sample);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<boost::json::object> records;
  const boost::json::value sample_json = boost::json::parse(text);
  for (const auto& record : sample_json.as_object().at("users").as_array()) {
    records.push_back(record.as_object());
  }
  site.api.set_records("users", records);
  const CollectingSink sink = site.read();
  const CollectedStream& users = *sink.find("users");
  REQUIRE(users.rows.size() == 1);
  CHECK(users.at(0, "sourcedId") == "fde2a968-1ac9-4c72-96bc-28bb20e3afb8");
  CHECK(users.at(0, "enabledUser") == "true");
  CHECK(users.at(0, "primaryOrgSourcedId") == "500bc782-3ff9-4fd8-9dc7-ba6abfb38d80");
  CHECK(users.at(0, "grades") == "P1");
  CHECK(users.at(0, "role") == "<no such column>");  // 1.2: in roles, not users
  CHECK(users.at(0, "userMasterIdentifier") == "3c6e8551-cb1d-4d2f-99c3-e74d58c10fc8");
}

}  // namespace
}  // namespace ferry::test
