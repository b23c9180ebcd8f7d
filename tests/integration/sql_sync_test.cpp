// The real `ferry` with a `type: sql` source on real PostgreSQL and MariaDB servers
// (tests/connectors/sql/db_server.hpp), read through Debian's ODBC drivers: `ferry check` passes,
// `ferry sync` spools a table with its field policies (pseudonym and hash tokens, a kept number,
// a birth date cut to its year, a name dropped), the next sync spools only the rows that changed,
// nothing the agent writes holds the password or a personal value, and a wrong password fails
// `ferry check` with a message that names the source and not the password. And a synthetic Moodle
// read by `preset: moodle` into the spool.
#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "tests/connectors/sql/db_server.hpp"
#include "tests/integration/pipeline_site.hpp"
#include "tests/integration/spool_reader.hpp"
#include "tests/support/skip.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/testdata.hpp"

namespace ferry::test {
namespace {

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using Kind = DbServer::Kind;

// A synthetic student (no real person).
struct Student {
  std::string id;
  std::string first_name;
  std::string email;
  int grade_level;
  std::string born;
  std::string updated_at;
};

const std::vector<Student> kFirst = {
    {"STU-7701", "Testname1", "t1@example.invalid", 9, "2010-03-14", "2024-05-01 09:00:00"},
    {"STU-7702", "Testname2", "t2@example.invalid", 10, "2009-11-02", "2024-05-01 09:00:00.250"},
    {"STU-7703", "Testname3", "t3@example.invalid", 11, "2008-07-30", "2024-05-01 10:00:00"},
};
// Added before the second sync.
const Student kAdded = {"STU-7704", "Testname4",  "t4@example.invalid",
                        12,         "2007-01-05", "2024-05-02 08:00:00"};
// Set on STU-7701 before the second sync.
constexpr int kChangedGrade = 10;
constexpr const char* kChangedAt = "2024-05-02 09:00:00";

constexpr const char* kWrongPassword = "not-the-reader-password-8";

std::string values_of(const Student& s) {
  return fmt::format("('{}', '{}', '{}', {}, '{}', '{}')", s.id, s.first_name, s.email,
                     s.grade_level, s.born, s.updated_at);
}

// updated_at is a time without a zone on both: TIMESTAMP on PostgreSQL, DATETIME on MariaDB.
void make_students(const DbServer& server) {
  std::string rows;
  for (const Student& s : kFirst) rows += (rows.empty() ? "" : ", ") + values_of(s);
  server.admin_sql(fmt::format(
      "CREATE TABLE students(student_id VARCHAR(20) PRIMARY KEY, first_name VARCHAR(40), "
      "email VARCHAR(80), grade_level INTEGER, born DATE, updated_at {});"
      "INSERT INTO students VALUES {};",
      server.kind() == Kind::kPostgres ? "TIMESTAMP(3)" : "DATETIME(3)", rows));
}

// The source "sis_db": table students through ODBC, with the password in `password_file`.
std::string sql_source(const DbServer& server, const fs::path& password_file) {
  return fmt::format(
      "  - name: sis_db\n"
      "    type: sql\n"
      "    connection: \"{}\"\n"
      "    password_file: {}\n"
      "    connect_timeout: 20s\n"
      "    streams:\n"
      "      students:\n"
      "        key: student_id\n"
      "        query: \"SELECT student_id, first_name, email, grade_level, born, updated_at "
      "FROM students WHERE :cursor IS NULL OR updated_at >= :cursor "
      "ORDER BY updated_at, student_id\"\n"
      "        cursor: updated_at\n"
      "        fields:\n"
      "          student_id: {{transform: pseudonymize, domain: student}}\n"
      "          email: {{transform: hash, domain: email}}\n"
      "          grade_level: keep\n"
      "          born: {{transform: generalize, to: year}}\n",
      server.connection_string(), password_file.string());
}

// The token ferry makes of `value` in `domain` (`hash`: the hash token), with the site's key.
std::string token_of(const PipelineSite& site, const std::string& domain, const std::string& value,
                     bool hash = false) {
  std::vector<std::string> args = {"pseudonymize", "--domain", domain};
  if (hash) args.push_back("--hash");
  args.push_back(value);
  const auto made = site.ferry(args);
  INFO(made.out << made.err);
  REQUIRE(made.exit_code == 0);
  return made.out.substr(0, made.out.find('\n'));
}

// The students rows of source sis_db in the spool, in spool order.
std::vector<SpooledRow> spooled_students(const PipelineSite& site) {
  return rows_by_stream(read_spool(site.spool_db(), site.tenant().private_key),
                        "sis_db")["students"];
}

// `text` with every run of white space (line breaks of wrapped output) made one space.
std::string one_line(const std::string& text) {
  std::string out;
  for (const char c : text) {
    const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
    if (!space) {
      out += c;
    } else if (!out.empty() && out.back() != ' ') {
      out += ' ';
    }
  }
  return out;
}

// Every file the agent wrote: everything under its data_dir and its log folder, and any log
// psqlODBC may have written for a `ferry` process in the temporary folder (Debian's odbcinst.ini
// turns psqlODBC's CommLog on; Ferry turns it off).
std::vector<fs::path> agent_files(const PipelineSite& site) {
  std::vector<fs::path> files;
  for (const fs::path& folder : {site.data_dir(), site.log_file().parent_path()}) {
    if (!fs::exists(folder)) continue;
    for (const auto& entry : fs::recursive_directory_iterator(folder)) {
      if (entry.is_regular_file()) files.push_back(entry.path());
    }
  }
  // psqlODBC writes its logs to /tmp unless told otherwise; look in $TMPDIR too.
  for (const fs::path& folder : std::set<fs::path>{"/tmp", fs::temp_directory_path()}) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(folder, ec)) {
      const std::string name = entry.path().filename().string();
      if ((name.starts_with("psqlodbc_ferry") || name.starts_with("mylog_ferry")) &&
          entry.is_regular_file()) {
        files.push_back(entry.path());
      }
    }
  }
  return files;
}

void sync_through_odbc(Kind kind) {
  DbServer server(kind);
  make_students(server);
  TempDir secrets;
  const fs::path password_file =
      secrets.write_private("db-password", std::string(DbServer::kReaderPassword) + "\n");
  PipelineSite site({}, sql_source(server, password_file));
  REQUIRE(site.generate({"--users", "5", "--seed", "21"}).exit_code == 0);
  REQUIRE(site.ferry({"keys", "init"}).exit_code == 0);
  std::vector<ProcessResult> runs;  // everything ferry printed, checked for leaks at the end

  // ferry check logs in and prepares the query.
  runs.push_back(site.ferry({"check"}));
  {
    const auto& checked = runs.back();
    INFO(checked.out << checked.err);
    CHECK(checked.exit_code == 0);
    CHECK_THAT(checked.out, Contains("OK    source sis_db"));
  }

  // The first sync: every row, with the field policies applied.
  runs.push_back(site.ferry({"sync", "--source", "sis_db"}));
  {
    const auto& synced = runs.back();
    INFO(synced.out << synced.err);
    REQUIRE(synced.exit_code == 0);
  }
  auto rows = spooled_students(site);
  REQUIRE(rows.size() == kFirst.size());
  const std::uint64_t first_seq = rows.back().seq;
  for (std::size_t i = 0; i < kFirst.size(); ++i) {
    const Student& s = kFirst[i];
    const SpooledRow& row = rows[i];  // in cursor order, as the query returns them
    INFO("student " << s.id);
    CHECK(row.op == "upsert");
    const std::string token = text_of(row, "student_id");
    CHECK(token.starts_with("p1."));
    CHECK(token == token_of(site, "student", s.id));
    const std::string email = text_of(row, "email");
    CHECK(email.starts_with("h1."));
    CHECK(email == token_of(site, "email", s.email, /*hash=*/true));
    const auto* grade = row.fields.if_contains("grade_level");
    REQUIRE(grade != nullptr);
    REQUIRE(grade->is_int64());
    CHECK(grade->as_int64() == s.grade_level);
    CHECK(text_of(row, "born") == s.born.substr(0, 4));
    CHECK_FALSE(row.fields.contains("first_name"));
    CHECK_FALSE(row.fields.contains("updated_at"));  // not listed: dropped too
    CHECK(row.fields.size() == 4);
  }

  // One row added, one changed: the next sync spools exactly those two. STU-7703, read again at
  // the stored cursor, is unchanged and left out by change detection.
  server.admin_sql("INSERT INTO students VALUES " + values_of(kAdded) + ";" +
                   fmt::format("UPDATE students SET grade_level = {}, updated_at = '{}' WHERE "
                               "student_id = '{}';",
                               kChangedGrade, kChangedAt, kFirst[0].id));
  runs.push_back(site.ferry({"sync", "--source", "sis_db"}));
  {
    const auto& synced = runs.back();
    INFO(synced.out << synced.err);
    REQUIRE(synced.exit_code == 0);
  }
  rows = spooled_students(site);
  std::vector<const SpooledRow*> second;
  for (const SpooledRow& row : rows) {
    if (row.seq > first_seq) second.push_back(&row);
  }
  REQUIRE(rows.size() == kFirst.size() + 2);
  REQUIRE(second.size() == 2);
  // In cursor order: the added row (08:00), then the changed one (09:00).
  CHECK(second[0]->op == "upsert");
  CHECK(text_of(*second[0], "student_id") == token_of(site, "student", kAdded.id));
  CHECK(text_of(*second[0], "born") == kAdded.born.substr(0, 4));
  CHECK(second[1]->op == "upsert");
  CHECK(text_of(*second[1], "student_id") == token_of(site, "student", kFirst[0].id));
  const auto* grade = second[1]->fields.if_contains("grade_level");
  REQUIRE(grade != nullptr);
  CHECK(grade->is_int64());
  CHECK(grade->to_number<std::int64_t>() == kChangedGrade);

  // A third sync with nothing changed spools nothing.
  runs.push_back(site.ferry({"sync", "--source", "sis_db"}));
  {
    const auto& synced = runs.back();
    INFO(synced.out << synced.err);
    REQUIRE(synced.exit_code == 0);
  }
  CHECK(spooled_students(site).size() == kFirst.size() + 2);

  // A password the server refuses: ferry check names the source and the refusal, not the password.
  secrets.write_private("db-password", std::string(kWrongPassword) + "\n");
  runs.push_back(site.ferry({"check"}));
  {
    const auto& refused = runs.back();
    INFO(refused.out << refused.err);
    CHECK(refused.exit_code == 1);
    CHECK_THAT(refused.out, Contains("FAIL  source sis_db"));
    // One line per check, wrapped for the terminal: read it unwrapped.
    CHECK_THAT(one_line(refused.out + refused.err),
               Contains("FAIL source sis_db: connecting to the database: the server refused the "
                        "login") &&
                   Contains("check Uid in connection and the password (password_file)"));
    CHECK_THAT(refused.out + refused.err, !Contains(kWrongPassword));
  }

  // Neither password nor any personal value is in a file the agent wrote, or in what it printed.
  std::set<std::string> secret = {DbServer::kReaderPassword, kWrongPassword};
  std::vector<Student> all = kFirst;
  all.push_back(kAdded);
  for (const Student& s : all) {
    secret.insert({s.id, s.first_name, s.email, s.born});
  }
  const auto files = agent_files(site);
  REQUIRE(files.size() >= 3);  // at least keyring.json, spool.db and the log
  for (const fs::path& file : files) {
    const std::string content = read_file(file);
    for (const std::string& value : secret) {
      INFO("file " << file.string() << " holds " << value);
      CHECK(content.find(value) == std::string::npos);
    }
  }
  for (const ProcessResult& run : runs) {
    for (const std::string& value : secret) {
      INFO("ferry printed " << value);
      CHECK((run.out + run.err).find(value) == std::string::npos);
    }
  }
}

// A synthetic Moodle (tests/connectors/sql/moodle_schema.sql) read by `preset: moodle` into the
// spool: the preset's tokens, and none of the names, addresses, IP addresses or passwords the
// tables hold in any file the agent writes.
void moodle_through_preset(Kind kind) {
  DbServer server(kind);
  std::string schema = read_file(source_dir() / "tests/connectors/sql/moodle_schema.sql");
  for (auto at = schema.find("{prefix}"); at != std::string::npos; at = schema.find("{prefix}")) {
    schema.replace(at, 8, "mdl_");
  }
  server.admin_sql(schema);
  TempDir secrets;
  const fs::path password_file =
      secrets.write_private("db-password", std::string(DbServer::kReaderPassword) + "\n");
  PipelineSite site({}, fmt::format("  - name: lms_db\n"
                                    "    type: sql\n"
                                    "    connection: \"{}\"\n"
                                    "    password_file: {}\n"
                                    "    preset: moodle\n",
                                    server.connection_string(), password_file.string()));
  REQUIRE(site.generate({"--users", "5", "--seed", "22"}).exit_code == 0);
  REQUIRE(site.ferry({"keys", "init"}).exit_code == 0);
  const auto checked = site.ferry({"check"});
  INFO(checked.out << checked.err);
  CHECK_THAT(checked.out, Contains("OK    source lms_db"));
  const auto synced = site.ferry({"sync", "--source", "lms_db"});
  INFO(synced.out << synced.err);
  REQUIRE(synced.exit_code == 0);

  auto streams = rows_by_stream(read_spool(site.spool_db(), site.tenant().private_key), "lms_db");
  REQUIRE(streams["users"].size() == 4);
  REQUIRE(streams["user_enrolments"].size() == 2);
  REQUIRE(streams["log"].size() == 2);
  for (const SpooledRow& row : streams["users"]) {
    CHECK(text_of(row, "id").starts_with("p1."));
    CHECK(text_of(row, "email").starts_with("h1."));
    CHECK_FALSE(row.fields.contains("firstname"));
    CHECK_FALSE(row.fields.contains("lastip"));
  }
  // The student with Moodle id 3 and SIS id S-1001: tokens the tenant can join on.
  const std::string moodle_user = token_of(site, "moodle_user", "3");
  const std::string sis_user = token_of(site, "user", "S-1001");
  bool found = false;
  for (const SpooledRow& row : streams["users"]) {
    if (text_of(row, "id") == moodle_user) {
      found = true;
      CHECK(text_of(row, "idnumber") == sis_user);
      CHECK(text_of(row, "email") ==
            token_of(site, "email", "stu.one@example.invalid", /*hash=*/true));
    }
  }
  CHECK(found);
  CHECK(text_of(streams["user_enrolments"].front(), "userid") == moodle_user);

  const std::set<std::string> secret = {DbServer::kReaderPassword,
                                        "Testfirst",
                                        "Testlast",
                                        "Synthetic Way",
                                        "555-01",
                                        "192.0.2.",
                                        "$2y$",
                                        "enrolkey-synthetic",
                                        "Likes maths",
                                        "S-1001"};
  for (const fs::path& file : agent_files(site)) {
    const std::string content = read_file(file);
    for (const std::string& value : secret) {
      INFO("file " << file.string() << " holds " << value);
      CHECK(content.find(value) == std::string::npos);
    }
  }
}

}  // namespace

TEST_CASE("ferry syncs a Moodle database on MariaDB through preset moodle",
          "[integration][sql][mariadb]") {
  if (auto why = DbServer::unavailable(Kind::kMariadb)) FERRY_SKIP(*why);
  moodle_through_preset(Kind::kMariadb);
}

TEST_CASE("ferry syncs a PostgreSQL table through type sql with tokens and then only changes",
          "[integration][sql][postgres]") {
  if (auto why = DbServer::unavailable(Kind::kPostgres)) FERRY_SKIP(*why);
  sync_through_odbc(Kind::kPostgres);
}

TEST_CASE("ferry syncs a MariaDB table through type sql with tokens and then only changes",
          "[integration][sql][mariadb]") {
  if (auto why = DbServer::unavailable(Kind::kMariadb)) FERRY_SKIP(*why);
  sync_through_odbc(Kind::kMariadb);
}

}  // namespace ferry::test
