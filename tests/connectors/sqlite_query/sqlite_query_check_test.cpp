// What the sqlite connector says when its configuration, its queries or its database are wrong;
// and that it never changes the database.
#include <filesystem>

#include <catch2/catch.hpp>

#include "connectors/sqlite_query/sqlite_query.hpp"
#include "tests/connectors/sqlite_query/test_database.hpp"
#include "tests/support/temp_dir.hpp"

using ferry::ErrorCode;
using ferry::config::OptionKind;
using ferry::connectors::sqlite_query::create;
using ferry::connectors::sqlite_query::spec;
using namespace ferry::test;

namespace {

constexpr const char* kPupilsQuery =
    "SELECT id, name, updated_at FROM pupils "
    "WHERE :cursor IS NULL OR updated_at >= :cursor ORDER BY updated_at, id";

void make_pupils(TestDatabase& db) {
  db.exec(
      "CREATE TABLE pupils(id INTEGER PRIMARY KEY, name TEXT, updated_at TEXT);"
      "INSERT INTO pupils VALUES (1, 'Ada', '2024-05-01 09:00:00')");
}

std::string create_error(const ferry::config::SourceSettings& settings) {
  auto source = create(settings, ferry::connectors::SourceContext{});
  REQUIRE_FALSE(source);
  CHECK(source.error().code == ErrorCode::kConfig);
  return source.error().message;
}

// The message of streams(), which prepares every query without running it.
std::string query_error(const std::filesystem::path& path, const std::string& query,
                        const std::string& cursor = "updated_at") {
  auto source = make_source(sqlite_source(path, {query_stream("pupils", "id", query, cursor)}));
  auto streams = source->streams();
  REQUIRE_FALSE(streams);
  CHECK(streams.error().code == ErrorCode::kConfig);
  // check() and read() refuse it with the same words.
  auto checked = source->check();
  REQUIRE_FALSE(checked);
  CHECK(checked.error().message == streams.error().message);
  return streams.error().message;
}

}  // namespace

TEST_CASE("the option table declares path, query and cursor as required and lookback as text") {
  const auto table = spec();
  CHECK(table.type == "sqlite");
  REQUIRE(table.options.size() == 3);
  CHECK(table.options[0].name == "path");
  CHECK(table.options[0].kind == OptionKind::kPath);
  CHECK(table.options[0].required);
  CHECK(table.options[1].name == "busy_timeout");
  CHECK(table.options[1].kind == OptionKind::kDuration);
  CHECK(table.options[2].name == "checkpoint_rows");
  CHECK(table.options[2].kind == OptionKind::kInteger);
  REQUIRE(table.stream_options.size() == 3);
  CHECK(table.stream_options[0].name == "query");
  CHECK(table.stream_options[0].required);
  CHECK(table.stream_options[1].name == "cursor");
  CHECK(table.stream_options[1].required);
  CHECK(table.stream_options[2].name == "lookback");
  CHECK(table.stream_options[2].kind == OptionKind::kString);
  CHECK_FALSE(table.stream_options[2].required);
}

TEST_CASE("create refuses a stream without key, query or cursor, naming source and stream") {
  CHECK(create_error(
            sqlite_source("/x.db", {query_stream("pupils", "", kPupilsQuery, "updated_at")})) ==
        "source 'db' stream 'pupils': no key (the sqlite connector needs the column that "
        "identifies a row): add key: <column, e.g. id> under streams.pupils");
  CHECK(create_error(sqlite_source("/x.db", {query_stream("pupils", "id", "", "updated_at")})) ==
        "source 'db' stream 'pupils': no query (the sqlite connector reads each stream with "
        "one): add query: \"SELECT ... FROM ... WHERE :cursor IS NULL OR updated_at >= :cursor "
        "ORDER BY updated_at, id\" under streams.pupils");
  CHECK(create_error(sqlite_source("/x.db", {query_stream("pupils", "id", kPupilsQuery, "")})) ==
        "source 'db' stream 'pupils': no cursor column: add cursor: <column compared with "
        ":cursor, e.g. updated_at> under streams.pupils");
  CHECK(create_error(sqlite_source("/x.db", {})) ==
        "source 'db' has no streams: add streams.<name> with query, cursor and key (one per table "
        "or view to read)");
  CHECK(create_error(sqlite_source(
            "/x.db", {query_stream("pupils", "id", kPupilsQuery, "updated_at", "a while")})) ==
        "source 'db' stream 'pupils': lookback 'a while' is neither a number (for integer or real "
        "cursors, e.g. 100) nor a duration (for ISO-8601 text cursors, e.g. 10m): fix lookback "
        "under streams.pupils");
  auto settings = sqlite_source("/x.db", {query_stream("p", "id", kPupilsQuery, "updated_at")});
  settings.options.emplace("checkpoint_rows", ferry::config::OptionValue{std::int64_t{0}, {}});
  CHECK(create_error(settings) ==
        "source 'db': checkpoint_rows must be a whole number of 1 or more");
}

TEST_CASE("streams lists each query's columns without running it") {
  TempDir dir;
  TestDatabase db(dir / "school.db");
  make_pupils(db);
  // abs() of the smallest integer fails only when the statement runs.
  auto source = make_source(sqlite_source(
      dir / "school.db",
      {query_stream("pupils", "id",
                    "SELECT id, name AS given_name, updated_at FROM pupils WHERE (:cursor IS NULL "
                    "OR updated_at >= :cursor) AND abs(-9223372036854775808) > 0 "
                    "ORDER BY updated_at, id",
                    "updated_at")}));
  auto streams = source->streams();
  REQUIRE(streams);
  REQUIRE(streams->size() == 1);
  CHECK((*streams)[0].name == "pupils");
  CHECK((*streams)[0].columns == std::vector<std::string>{"id", "given_name", "updated_at"});
  CHECK((*streams)[0].key == "id");
  CHECK(source->check());

  RecordingSink sink;
  CHECK(read_error(*source, "", sink).message ==
        "source 'db' stream 'pupils': the query failed while running (integer overflow): fix "
        "streams.pupils.query");
}

TEST_CASE("a query without :cursor is refused with the filter to add") {
  TempDir dir;
  TestDatabase db(dir / "school.db");
  make_pupils(db);
  CHECK(query_error(dir / "school.db", "SELECT id, updated_at FROM pupils ORDER BY updated_at") ==
        "source 'db' stream 'pupils': the query has no :cursor parameter, so every read would "
        "return the same rows: filter and order on it, e.g. WHERE :cursor IS NULL OR updated_at "
        ">= :cursor ORDER BY updated_at, id");
  CHECK(query_error(dir / "school.db",
                    "SELECT id, updated_at FROM pupils WHERE updated_at >= @cursor") ==
        "source 'db' stream 'pupils': the query has parameter '@cursor', which Ferry does not "
        "bind (it binds only :cursor): write it as :cursor");
  CHECK(query_error(dir / "school.db",
                    "SELECT id, updated_at FROM pupils WHERE updated_at >= :cursor AND id > ?") ==
        "source 'db' stream 'pupils': the query has parameter '?2', which Ferry does not bind (it "
        "binds only :cursor): replace it with a value, or with :cursor");
}

TEST_CASE("a query without the cursor or key column is refused with the columns it returns") {
  TempDir dir;
  TestDatabase db(dir / "school.db");
  make_pupils(db);
  CHECK(query_error(dir / "school.db", "SELECT id, name FROM pupils WHERE updated_at >= :cursor") ==
        "source 'db' stream 'pupils': the query returns no column 'updated_at' for the cursor (it "
        "returns id, name): add updated_at to the SELECT list, or fix cursor under "
        "streams.pupils");
  CHECK(query_error(dir / "school.db",
                    "SELECT name, updated_at FROM pupils WHERE updated_at >= :cursor") ==
        "source 'db' stream 'pupils': the query returns no column 'id' for the key (it returns "
        "name, updated_at): add id to the SELECT list, or fix key under streams.pupils");
  CHECK(query_error(dir / "school.db",
                    "SELECT id, name AS id, updated_at FROM pupils WHERE updated_at >= :cursor") ==
        "source 'db' stream 'pupils': the query returns two columns named 'id': rename one with "
        "AS");
}

TEST_CASE("SQL that does not prepare is reported with SQLite's words and where to fix it") {
  TempDir dir;
  TestDatabase db(dir / "school.db");
  make_pupils(db);
  CHECK(query_error(dir / "school.db", "SELECT id FROM pupil WHERE updated_at >= :cursor") ==
        "source 'db' stream 'pupils': the query does not prepare (no such table: pupil): fix "
        "streams.pupils.query");
  CHECK(query_error(dir / "school.db", "SELEC id FROM pupils") ==
        "source 'db' stream 'pupils': the query does not prepare (near \"SELEC\": syntax error): "
        "fix streams.pupils.query");
  CHECK(query_error(dir / "school.db", std::string(kPupilsQuery) + "; DELETE FROM pupils") ==
        "source 'db' stream 'pupils': the query does not prepare (it holds more than one "
        "statement; keep a single SELECT): fix streams.pupils.query");
  CHECK(query_error(dir / "school.db", "DELETE FROM pupils WHERE updated_at < :cursor") ==
        "source 'db' stream 'pupils': the query would change the database: write a SELECT (the "
        "database is opened read-only in any case)");
  CHECK(query_error(dir / "school.db", "ATTACH 'other.db' AS other") ==
        "source 'db' stream 'pupils': the query returns no columns: write a SELECT");
}

TEST_CASE("check says when the database file is missing, a folder, or not a database") {
  TempDir dir;
  const auto stream = query_stream("pupils", "id", kPupilsQuery, "updated_at");

  auto missing = make_source(sqlite_source(dir / "gone.db", {stream}))->check();
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == ErrorCode::kNotFound);
  CHECK(missing.error().message == "source 'db': database file " + (dir / "gone.db").string() +
                                       " does not exist: check path (or whether the file moved)");

  auto folder = make_source(sqlite_source(dir.path(), {stream}))->check();
  REQUIRE_FALSE(folder);
  CHECK(folder.error().message == "source 'db': " + dir.path().string() +
                                      " is a folder: path must name the database file "
                                      "itself");

  const auto text = dir.write("notes.txt", "this is not a database, just some text long enough");
  auto not_db = make_source(sqlite_source(text, {stream}))->check();
  REQUIRE_FALSE(not_db);
  CHECK(not_db.error().code == ErrorCode::kCorrupt);
  CHECK(not_db.error().message ==
        "source 'db': " + text.string() + " is not a SQLite database: check path");

  TestDatabase db(dir / "school.db");
  make_pupils(db);
  CHECK(make_source(sqlite_source(dir / "school.db", {stream}))->check());
}

TEST_CASE("a database locked by a writer is unavailable after busy_timeout, then readable") {
  TempDir dir;
  TestDatabase db(dir / "school.db");
  make_pupils(db);
  auto settings =
      sqlite_source(dir / "school.db", {query_stream("pupils", "id", kPupilsQuery, "updated_at")});
  settings.options.emplace("busy_timeout",
                           ferry::config::OptionValue{ferry::config::Duration(50), {}});
  auto source = make_source(settings);

  db.exec("BEGIN EXCLUSIVE; UPDATE pupils SET name = 'Ada L.'");
  RecordingSink sink;
  const ferry::Error error = read_error(*source, "", sink);
  CHECK(error.code == ErrorCode::kUnavailable);
  CHECK(error.message == "source 'db': database " + (dir / "school.db").string() +
                             " is locked by a writer (waited busy_timeout 50ms): the read is "
                             "retried at the next poll; raise busy_timeout if this keeps "
                             "happening");
  db.exec("COMMIT");
  read_ok(*source, "", sink);
  CHECK(column_of(sink.rows, 1) == std::vector<std::string>{"Ada L."});
}

TEST_CASE("reading leaves the database file's bytes and modification time unchanged") {
  const std::string journal_mode = GENERATE("delete", "wal");
  INFO("journal_mode=" << journal_mode);
  TempDir dir;
  const auto path = dir / "school.db";
  {
    TestDatabase db(path);
    db.exec("PRAGMA journal_mode=" + journal_mode);
    make_pupils(db);
  }
  const std::string bytes_before = read_file(path);
  const auto mtime_before = std::filesystem::last_write_time(path);
  std::vector<std::filesystem::path> files_before;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    files_before.push_back(entry.path());
  }

  auto source =
      make_source(sqlite_source(path, {query_stream("pupils", "id", kPupilsQuery, "updated_at")}));
  REQUIRE(source->check());
  REQUIRE(source->streams());
  RecordingSink sink;
  const std::string state = read_ok(*source, "", sink);
  read_ok(*source, state, sink);
  CHECK(sink.rows.size() == 2);

  CHECK(read_file(path) == bytes_before);
  CHECK(std::filesystem::last_write_time(path) == mtime_before);
  if (journal_mode == "delete") {
    std::vector<std::filesystem::path> files_after;
    for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
      files_after.push_back(entry.path());
    }
    CHECK(files_after == files_before);  // not even a journal beside it
  }
}
