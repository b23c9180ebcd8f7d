// `preset: moodle` on real servers: the project's synthetic Moodle schema (moodle_schema.sql) on
// MariaDB and PostgreSQL, a table prefix of the site's own, and the OEA sample of Moodle's tables
// (../shared/testdata/moodle-oea-db-tables-csv) where present. Also: docs/connectors/moodle.md
// lists every stream's columns with their policy, as the code has them.
#include "connectors/sql/moodle.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <catch2/catch.hpp>

#include "connectors/sql/sql.hpp"
#include "tests/connectors/sql/db_server.hpp"
#include "tests/connectors/sqlite_query/test_database.hpp"
#include "tests/support/column_doc.hpp"
#include "tests/support/skip.hpp"
#include "tests/support/testdata.hpp"

namespace ferry::test {
namespace {

namespace sql = connectors::sql;
using Kind = DbServer::Kind;

const std::filesystem::path kSourceDir(FERRY_SOURCE_DIR);

std::string schema(std::string_view prefix) {
  return sql::with_table_prefix(read_text(kSourceDir / "tests/connectors/sql/moodle_schema.sql"),
                                prefix);
}

config::SourceSettings moodle_source(const DbServer& server, std::string prefix = "") {
  config::SourceSettings source;
  source.name = "moodle";
  source.type = "sql";
  source.preset = "moodle";
  source.options.emplace("connection", text_value(server.connection_string()));
  source.options.emplace("password", text_value(DbServer::kReaderPassword));
  if (!prefix.empty()) source.options.emplace("table_prefix", text_value(std::move(prefix)));
  return source;
}

std::unique_ptr<connectors::Source> make(const config::SourceSettings& settings) {
  auto source = sql::create(settings, connectors::SourceContext{});
  INFO((source ? std::string("created") : source.error().message));
  REQUIRE(source);
  return std::move(*source);
}

std::map<std::string, std::vector<RecordedRow>> by_stream(const std::vector<RecordedRow>& rows) {
  std::map<std::string, std::vector<RecordedRow>> out;
  for (const RecordedRow& row : rows) out[row.stream].push_back(row);
  return out;
}

// The synthetic database read whole: every stream, with exactly the preset's columns (the names,
// passwords and addresses in the tables are never selected).
void synthetic_read(Kind kind, const std::string& prefix) {
  DbServer server(kind);
  server.admin_sql(schema(prefix));
  auto source = make(moodle_source(server, prefix == "mdl_" ? "" : prefix));
  REQUIRE(source->check());
  auto streams = source->streams();
  REQUIRE(streams);
  REQUIRE(streams->size() == sql::moodle_streams().size());
  for (std::size_t i = 0; i < streams->size(); ++i) {
    const sql::MoodleStream& expected = sql::moodle_streams()[i];
    INFO(expected.stream);
    CHECK((*streams)[i].name == expected.stream);
    std::vector<std::string> names;
    for (const auto& column : expected.columns) names.push_back(column.name);
    CHECK((*streams)[i].columns == names);
  }

  RecordingSink sink;
  const std::string first = read_ok(*source, "", sink);
  auto rows = by_stream(sink.rows);
  CHECK(rows["users"].size() == 4);
  CHECK(rows["courses"].size() == 2);
  CHECK(rows["course_categories"].size() == 2);
  CHECK(rows["enrol"].size() == 1);
  CHECK(rows["user_enrolments"].size() == 2);
  CHECK(rows["roles"].size() == 2);
  CHECK(rows["role_assignments"].size() == 3);
  CHECK(rows["cohorts"].size() == 1);
  CHECK(rows["cohort_members"].size() == 2);
  CHECK(rows["assignments"].size() == 1);
  CHECK(rows["assign_grades"].size() == 2);
  CHECK(rows["grade_items"].size() == 1);
  CHECK(rows["grade_grades"].size() == 2);
  CHECK(rows["log"].size() == 2);
  // A role assignment carries its course: context level 50, instance 10.
  const RecordedRow& assignment = rows["role_assignments"].front();
  CHECK(assignment[3] == "50");
  CHECK(assignment[4] == "10");
  // A grade never edited has its creation time as timemodified.
  CHECK(rows["grade_grades"].back()[8] == "1695100001");
  CHECK(rows["assign_grades"].front()[4] == "87.50000");
  // Nothing of what the preset leaves out reached the sink.
  for (const RecordedRow& row : sink.rows) {
    for (const std::string& text : row.texts) {
      CHECK_THAT(text, !Catch::Contains("Testfirst") && !Catch::Contains("Synthetic Way") &&
                           !Catch::Contains("192.0.2.") && !Catch::Contains("$2y$") &&
                           !Catch::Contains("enrolkey"));
    }
  }

  // A second read: only what changed (one user edited), the rest left to change detection.
  server.admin_sql("UPDATE " + prefix +
                   "user SET suspended = 1, timemodified = 1700000500 WHERE id = 4;");
  sink.next_poll();
  read_ok(*source, first, sink);
  REQUIRE(sink.forwarded.size() == 1);
  CHECK(sink.forwarded.front().stream == "users");
  CHECK(sink.forwarded.front()[0] == "4");
}

TEST_CASE("mariadb: the moodle preset reads every stream of a synthetic Moodle", "[moodle]") {
  if (auto why = DbServer::unavailable(Kind::kMariadb)) FERRY_SKIP(*why);
  synthetic_read(Kind::kMariadb, "mdl_");
}

TEST_CASE("postgres: the moodle preset reads every stream of a synthetic Moodle", "[moodle]") {
  if (auto why = DbServer::unavailable(Kind::kPostgres)) FERRY_SKIP(*why);
  synthetic_read(Kind::kPostgres, "mdl_");
}

TEST_CASE("mariadb: table_prefix names the site's own prefix", "[moodle]") {
  if (auto why = DbServer::unavailable(Kind::kMariadb)) FERRY_SKIP(*why);
  synthetic_read(Kind::kMariadb, "school7_");
}

TEST_CASE("a table_prefix that is not a plain name is refused", "[moodle]") {
  config::SourceSettings source;
  source.name = "moodle";
  source.type = "sql";
  source.preset = "moodle";
  source.options.emplace("connection", text_value("Driver=MariaDB Unicode;Server=db"));
  source.options.emplace("table_prefix", text_value("mdl_; DROP TABLE x; --"));
  auto made = sql::create(source, connectors::SourceContext{});
  REQUIRE_FALSE(made);
  CHECK(made.error().code == ErrorCode::kConfig);
  CHECK_THAT(made.error().message, Catch::Contains("table_prefix"));
}

TEST_CASE("a stream written over the preset changes only what it names", "[moodle]") {
  config::SourceSettings source;
  source.name = "moodle";
  source.type = "sql";
  source.preset = "moodle";
  source.options.emplace("connection", text_value("Driver=MariaDB Unicode;Server=db"));
  config::StreamSettings log;
  log.name = "log";
  log.extends_preset = true;
  log.options.emplace("lookback", text_value("50"));
  source.streams.push_back(log);
  CHECK(sql::create(source, connectors::SourceContext{}));
}

// The records of a CSV file (RFC 4180: quoted fields with "" inside, line breaks in quotes).
std::vector<std::vector<std::string>> csv_records(const std::filesystem::path& file) {
  const std::string text = read_text(file);
  std::vector<std::vector<std::string>> records(1);
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      records.back().push_back(std::move(field));
      field.clear();
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      records.back().push_back(std::move(field));
      field.clear();
      records.emplace_back();
    } else {
      field += c;
    }
  }
  if (!field.empty() || !records.back().empty()) {
    records.back().push_back(std::move(field));
  } else {
    records.pop_back();
  }
  return records;
}

// A MariaDB string literal of `text`.
std::string literal(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'' || c == '\\') out += c;
    out += c;
  }
  return out + "'";
}

// Loads one OEA CSV into a table of text columns named as its header; the number of records.
std::size_t load_csv(const DbServer& server, const std::filesystem::path& file,
                     const std::string& table) {
  auto records = csv_records(file);
  REQUIRE_FALSE(records.empty());
  std::string columns;
  int unnamed = 0;
  for (std::string name : records.front()) {
    if (name.empty()) name = "unnamed" + std::to_string(unnamed++);
    if (!columns.empty()) columns += ", ";
    columns += "`" + name + "` TEXT";
  }
  server.admin_sql("CREATE TABLE " + table + " (" + columns + ");");
  // In statements of up to 64 KiB: the client takes the SQL as an argument.
  std::string insert;
  for (std::size_t r = 1; r < records.size(); ++r) {
    REQUIRE(records[r].size() == records.front().size());
    insert += insert.empty() ? "INSERT INTO " + table + " VALUES " : ", ";
    std::string values;
    for (const std::string& value : records[r]) {
      values += (values.empty() ? "" : ", ") + literal(value);
    }
    insert += "(" + values + ")";
    if (insert.size() > 64 * 1024 || r + 1 == records.size()) {
      server.admin_sql(insert + ";");
      insert.clear();
    }
  }
  return records.size() - 1;
}

// OEA's sample has Moodle's tables with UUIDs for ids and ISO 8601 text for times (real Moodle
// keeps numbers): the preset's queries run on it as they are; only the lookback, a number of
// seconds in the preset, is written as a duration for the streams with text times.
TEST_CASE("mariadb: the moodle preset reads the OEA sample of Moodle's tables", "[moodle]") {
  FERRY_REQUIRE_TESTDATA(folder, "moodle-oea-db-tables-csv");
  if (auto why = DbServer::unavailable(Kind::kMariadb)) FERRY_SKIP(*why);
  DbServer server(Kind::kMariadb);
  const std::map<std::string, std::string> tables = {{"user", "users"},
                                                     {"course", "courses"},
                                                     {"course_categories", "course_categories"},
                                                     {"enrol", "enrol"},
                                                     {"user_enrolments", "user_enrolments"},
                                                     {"role", "roles"},
                                                     {"role_assignments", "role_assignments"},
                                                     {"cohort", "cohorts"},
                                                     {"assign", "assignments"},
                                                     {"assign_grades", "assign_grades"}};
  std::map<std::string, std::size_t> loaded;
  for (const auto& [table, stream] : tables) {
    loaded[table] = load_csv(server, folder / (table + ".csv"), "mdl_" + table);
  }
  // Tables the sample lacks, empty.
  server.admin_sql(
      "CREATE TABLE mdl_context (id TEXT, contextlevel TEXT, instanceid TEXT);"
      "CREATE TABLE mdl_cohort_members (id TEXT, cohortid TEXT, userid TEXT, timeadded TEXT);"
      "CREATE TABLE mdl_grade_items (id TEXT, courseid TEXT, itemname TEXT, itemtype TEXT, "
      "itemmodule TEXT, iteminstance TEXT, grademax TEXT, grademin TEXT, timecreated TEXT, "
      "timemodified TEXT);"
      "CREATE TABLE mdl_grade_grades (id TEXT, itemid TEXT, userid TEXT, rawgrade TEXT, "
      "finalgrade TEXT, rawgrademax TEXT, overridden TEXT, timecreated TEXT, timemodified TEXT);"
      "CREATE TABLE mdl_logstore_standard_log (id TEXT, eventname TEXT, component TEXT, action "
      "TEXT, target TEXT, objecttable TEXT, objectid TEXT, crud TEXT, edulevel TEXT, contextid "
      "TEXT, contextlevel TEXT, contextinstanceid TEXT, userid TEXT, courseid TEXT, relateduserid "
      "TEXT, realuserid TEXT, origin TEXT, timecreated TEXT);");
  // The sample has no context table: one context per context its role assignments name.
  server.admin_sql(
      "INSERT INTO mdl_context SELECT DISTINCT contextid, '50', '0' FROM mdl_role_assignments;");
  // Its users and courses have 0 for timemodified, as a number would be: kept a number.
  server.admin_sql(
      "ALTER TABLE mdl_user MODIFY timemodified BIGINT;"
      "ALTER TABLE mdl_course MODIFY timemodified BIGINT;");
  auto settings = moodle_source(server);
  for (const char* text_times : {"course_categories", "enrol", "user_enrolments",
                                 "role_assignments", "cohorts", "assignments", "assign_grades"}) {
    const std::string stream = text_times;
    config::StreamSettings written;
    written.name = stream;
    written.extends_preset = true;
    written.options.emplace("lookback", text_value("5m"));
    settings.streams.push_back(written);
  }
  auto source = make(settings);
  RecordingSink sink;
  read_ok(*source, "", sink);
  auto rows = by_stream(sink.rows);
  for (const auto& [table, stream] : tables) {
    INFO(table);
    CHECK(rows[stream].size() == loaded[table]);
    CHECK_FALSE(rows[stream].empty());
  }
  CHECK(sink.bad_rows.empty());
}

TEST_CASE("moodle.md lists every column of every stream with its preset policy", "[moodle][docs]") {
  const auto doc_path = kSourceDir / "docs/connectors/moodle.md";
  INFO("document: " << doc_path.string());
  REQUIRE(std::filesystem::exists(doc_path));
  const std::string doc = read_text(doc_path);
  for (const sql::MoodleStream& stream : sql::moodle_streams()) {
    const std::string heading = "### " + stream.stream;
    INFO(heading);
    std::vector<DocumentedColumn> code;
    for (const sql::MoodleColumn& column : stream.columns) {
      code.push_back({column.name, column.source, preset_text(column.policy)});
    }
    CHECK(documented_columns(doc, heading) == code);
  }
  for (const std::string& heading : column_table_headings(doc)) {
    INFO(heading);
    const bool known =
        std::any_of(sql::moodle_streams().begin(), sql::moodle_streams().end(),
                    [&](const sql::MoodleStream& s) { return heading == "### " + s.stream; });
    CHECK(known);
  }
}

}  // namespace
}  // namespace ferry::test
