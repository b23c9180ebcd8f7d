// The cursor rule of the sqlite connector, end to end on real database files: what each read
// hands over, what state it returns, and where it checkpoints.
#include <set>

#include <catch2/catch.hpp>

#include "connectors/sqlite_query/cursor_state.hpp"
#include "connectors/sqlite_query/sqlite_query.hpp"
#include "tests/connectors/sqlite_query/test_database.hpp"
#include "tests/support/temp_dir.hpp"

using ferry::ErrorCode;
using ferry::connectors::RowOp;
using ferry::connectors::StreamMode;
using ferry::connectors::sqlite_query::CursorValue;
using ferry::connectors::sqlite_query::decode_state;
using namespace ferry::test;

namespace {

using Ids = std::vector<std::string>;

constexpr const char* kPupilsQuery =
    "SELECT id, name, updated_at FROM pupils "
    "WHERE :cursor IS NULL OR updated_at >= :cursor ORDER BY updated_at, id";

constexpr const char* kItemsQuery =
    "SELECT id, label, version FROM items "
    "WHERE :cursor IS NULL OR version >= :cursor ORDER BY version, id";

// The cursor a state holds for `stream`.
CursorValue cursor_in(const std::string& state, const std::string& stream) {
  auto decoded = decode_state(state);
  REQUIRE(decoded);
  auto it = decoded->find(stream);
  return it == decoded->end() ? CursorValue::null() : it->second.value;
}

// items(id, label, version) with ids 1..count and version = id.
void make_items(TestDatabase& db, int count) {
  db.exec("CREATE TABLE items(id INTEGER PRIMARY KEY, label TEXT, version INTEGER)");
  for (int id = 1; id <= count; ++id) {
    db.exec("INSERT INTO items VALUES (" + std::to_string(id) + ", 'item " + std::to_string(id) +
            "', " + std::to_string(id) + ")");
  }
}

}  // namespace

TEST_CASE("a first read with no state delivers every row and returns the last cursor value") {
  TempDir dir;
  TestDatabase db(dir / "school.db");
  db.exec(
      "CREATE TABLE pupils(id INTEGER PRIMARY KEY, name TEXT, updated_at TEXT);"
      "INSERT INTO pupils VALUES (3, 'Cy', '2024-05-01 10:00:00'), (1, 'Ada', '2024-05-01 "
      "09:00:00'), (2, 'Bo', '2024-05-01 09:00:00')");
  auto source = make_source(
      sqlite_source(dir / "school.db", {query_stream("pupils", "id", kPupilsQuery, "updated_at")}));
  RecordingSink sink;
  const std::string state = read_ok(*source, "", sink);

  CHECK(column_of(sink.rows, 0) == Ids{"1", "2", "3"});
  CHECK(column_of(sink.rows, 1) == Ids{"Ada", "Bo", "Cy"});
  CHECK(sink.rows[0].op == RowOp::kUpsert);
  CHECK(sink.modes == std::vector<StreamMode>{StreamMode::kChanges});
  CHECK(sink.begun == 1);
  CHECK(sink.ended == 1);
  CHECK(cursor_in(state, "pupils") == CursorValue::text("2024-05-01 10:00:00"));
  CHECK(decode_state(state)->at("pupils").column == "updated_at");
}

TEST_CASE("a second read delivers new and updated rows and re-reads the last cursor value") {
  TempDir dir;
  TestDatabase db(dir / "school.db");
  make_items(db, 5);
  auto source = make_source(
      sqlite_source(dir / "school.db", {query_stream("items", "id", kItemsQuery, "version")}));
  RecordingSink sink;
  const std::string first = read_ok(*source, "", sink);
  CHECK(cursor_in(first, "items") == CursorValue::integer(5));

  db.exec("UPDATE items SET label = 'changed', version = 6 WHERE id = 2");
  db.exec("INSERT INTO items VALUES (7, 'new', 7)");
  sink.next_poll();
  const std::string second = read_ok(*source, first, sink);

  // Inclusive: version 5 again (the overlap), then the two changes.
  CHECK(column_of(sink.rows, 0) == Ids{"5", "2", "7"});
  CHECK(column_of(sink.forwarded, 0) == Ids{"2", "7"});
  CHECK(cursor_in(second, "items") == CursorValue::integer(7));
}

TEST_CASE("with a lookback a read starts that far before the last cursor value") {
  TempDir dir;
  TestDatabase db(dir / "school.db");
  make_items(db, 5);
  auto source = make_source(
      sqlite_source(dir / "school.db", {query_stream("items", "id", kItemsQuery, "version", "2")}));
  RecordingSink sink;
  const std::string first = read_ok(*source, "", sink);
  db.exec("UPDATE items SET label = 'changed', version = 6 WHERE id = 2");
  db.exec("INSERT INTO items VALUES (7, 'new', 7)");
  sink.next_poll();
  const std::string second = read_ok(*source, first, sink);

  CHECK(column_of(sink.rows, 0) == Ids{"3", "4", "5", "2", "7"});  // from version 5 - 2
  CHECK(column_of(sink.forwarded, 0) == Ids{"2", "7"});
  CHECK(cursor_in(second, "items") == CursorValue::integer(7));
}

TEST_CASE("a row committed late with an older cursor inside the lookback window is delivered") {
  TempDir dir;
  TestDatabase db(dir / "school.db");
  db.exec(
      "CREATE TABLE pupils(id INTEGER PRIMARY KEY, name TEXT, updated_at TEXT);"
      "INSERT INTO pupils VALUES (1, 'a', '2024-05-01 10:00:00'), (2, 'b', '2024-05-01 "
      "10:00:30'), (3, 'c', '2024-05-01 10:01:00')");
  auto source = make_source(sqlite_source(
      dir / "school.db", {query_stream("pupils", "id", kPupilsQuery, "updated_at", "1m")}));
  RecordingSink sink;
  const std::string first = read_ok(*source, "", sink);
  CHECK(cursor_in(first, "pupils") == CursorValue::text("2024-05-01 10:01:00"));

  // Stamped when its transaction began, committed after the first read: older than the cursor.
  db.exec("INSERT INTO pupils VALUES (4, 'late', '2024-05-01 10:00:20')");
  // Older than the window (10:01:00 - 1m): the documented limit of the rule.
  db.exec("INSERT INTO pupils VALUES (5, 'too late', '2024-05-01 09:59:59')");
  sink.next_poll();
  const std::string second = read_ok(*source, first, sink);

  CHECK(column_of(sink.rows, 0) == Ids{"1", "4", "2", "3"});  // from 10:00:00
  CHECK(column_of(sink.forwarded, 0) == Ids{"4"});
  CHECK(second == first);  // nothing beyond the cursor: the state as it came
}

TEST_CASE("checkpoints come only where the cursor value changes, after everything before it") {
  TempDir dir;
  TestDatabase db(dir / "school.db");
  db.exec("CREATE TABLE items(id INTEGER PRIMARY KEY, label TEXT, version INTEGER)");
  // Groups of 1, 7, 2, 12, 1 and 5 rows sharing a version: several larger than checkpoint_rows.
  const std::vector<int> group_sizes = {1, 7, 2, 12, 1, 5};
  std::map<std::string, std::int64_t> version_of;
  int id = 0;
  for (std::size_t g = 0; g < group_sizes.size(); ++g) {
    for (int i = 0; i < group_sizes[g]; ++i) {
      ++id;
      const auto version = static_cast<std::int64_t>(10 * (g + 1));
      version_of[std::to_string(id)] = version;
      db.exec("INSERT INTO items VALUES (" + std::to_string(id) + ", 'x', " +
              std::to_string(version) + ")");
    }
  }
  auto settings =
      sqlite_source(dir / "school.db", {query_stream("items", "id", kItemsQuery, "version")});
  settings.options.emplace("checkpoint_rows", ferry::config::OptionValue{std::int64_t{4}, {}});
  auto source = make_source(settings);
  RecordingSink sink;
  const std::string state = read_ok(*source, "", sink);

  REQUIRE(sink.rows.size() == 28);
  REQUIRE_FALSE(sink.checkpoints.empty());
  for (std::size_t c = 0; c < sink.checkpoints.size(); ++c) {
    const CursorValue cursor = cursor_in(sink.checkpoints[c], "items");
    const auto* checkpoint_value = cursor.as_integer();
    REQUIRE(checkpoint_value != nullptr);
    // Every row at or below the checkpoint's cursor was handed over before the checkpoint.
    std::set<std::string> handed;
    for (std::size_t r = 0; r < sink.rows_at_checkpoint[c]; ++r) handed.insert(sink.rows[r][0]);
    for (const auto& [row_id, version] : version_of) {
      if (version <= *checkpoint_value) CHECK(handed.count(row_id) == 1);
    }
  }
  CHECK(cursor_in(state, "items") == CursorValue::integer(60));
}

TEST_CASE(
    "rows sharing one cursor value split across a checkpoint are all delivered after a crash") {
  TempDir dir;
  TestDatabase db(dir / "school.db");
  db.exec("CREATE TABLE items(id INTEGER PRIMARY KEY, label TEXT, version INTEGER)");
  for (int id = 1; id <= 15; ++id) {
    const int version = id <= 4 ? 1 : (id <= 14 ? 2 : 3);  // ten rows share version 2
    db.exec("INSERT INTO items VALUES (" + std::to_string(id) + ", 'x', " +
            std::to_string(version) + ")");
  }
  auto settings =
      sqlite_source(dir / "school.db", {query_stream("items", "id", kItemsQuery, "version")});
  settings.options.emplace("checkpoint_rows", ferry::config::OptionValue{std::int64_t{3}, {}});
  auto source = make_source(settings);

  // The agent stores rows and checkpoints as they come; the read dies in the middle of version 2.
  RecordingSink sink;
  sink.fail_at_row = 9;
  const ferry::Error error = read_error(*source, "", sink);
  CHECK(error.message == "sink failed on purpose");
  REQUIRE(sink.checkpoints.size() == 1);
  CHECK(sink.rows_at_checkpoint[0] == 4);
  CHECK(cursor_in(sink.checkpoints[0], "items") == CursorValue::integer(1));
  Ids delivered = column_of(sink.forwarded, 0);

  // Resume from the last checkpoint, as the agent does after a crash.
  const std::string resume_from = sink.checkpoints.back();
  sink.next_poll();
  sink.fail_at_row.reset();
  const std::string state = read_ok(*source, resume_from, sink);
  for (const std::string& id : column_of(sink.forwarded, 0)) delivered.push_back(id);

  std::set<int> ids;
  for (const std::string& id : delivered) ids.insert(std::stoi(id));
  CHECK(ids.size() == 15);
  CHECK(delivered.size() == 15);  // and none twice past change detection
  CHECK(cursor_in(state, "items") == CursorValue::integer(3));
}

TEST_CASE("ten polls of an unchanged table forward each row once and keep the same state") {
  TempDir dir;
  TestDatabase db(dir / "school.db");
  db.exec("CREATE TABLE items(id INTEGER PRIMARY KEY, label TEXT, version INTEGER)");
  for (int id = 1; id <= 30; ++id) {
    const int version = id <= 20 ? id : 20;  // the last eleven rows share the highest version
    db.exec("INSERT INTO items VALUES (" + std::to_string(id) + ", 'x', " +
            std::to_string(version) + ")");
  }
  auto source = make_source(
      sqlite_source(dir / "school.db", {query_stream("items", "id", kItemsQuery, "version", "3")}));
  RecordingSink sink;
  std::string state = read_ok(*source, "", sink);
  CHECK(sink.forwarded.size() == 30);
  const std::string after_first = state;

  for (int poll = 2; poll <= 10; ++poll) {
    sink.next_poll();
    state = read_ok(*source, state, sink);
    INFO("poll " << poll);
    CHECK(sink.forwarded.empty());
    CHECK(sink.rows.size() == 14);  // versions 17..20 only: the overlap, not the table
    CHECK(state == after_first);
  }
}

TEST_CASE("a query that returns no rows leaves the state unchanged and does not call the sink") {
  TempDir dir;
  TestDatabase db(dir / "school.db");
  make_items(db, 0);
  auto source = make_source(
      sqlite_source(dir / "school.db", {query_stream("items", "id", kItemsQuery, "version")}));
  RecordingSink sink;
  CHECK(read_ok(*source, "", sink).empty());
  CHECK(sink.begun == 0);

  db.exec("INSERT INTO items VALUES (1, 'a', 1)");
  const std::string state = read_ok(*source, "", sink);
  db.exec("DELETE FROM items");
  sink.next_poll();
  CHECK(read_ok(*source, state, sink) == state);
  CHECK(sink.begun == 0);
  CHECK(sink.checkpoints.empty());
}

TEST_CASE("two streams keep their own cursors, each ending with its own state") {
  TempDir dir;
  TestDatabase db(dir / "school.db");
  make_items(db, 3);
  db.exec(
      "CREATE TABLE pupils(id INTEGER PRIMARY KEY, name TEXT, updated_at TEXT);"
      "INSERT INTO pupils VALUES (1, 'a', '2024-05-01 10:00:00')");
  auto source = make_source(
      sqlite_source(dir / "school.db", {query_stream("items", "id", kItemsQuery, "version"),
                                        query_stream("pupils", "id", kPupilsQuery, "updated_at")}));
  RecordingSink sink;
  const std::string first = read_ok(*source, "", sink);
  CHECK(sink.begun == 2);
  // Each stream's end carries that stream's cursor alone, kept apart by the agent.
  CHECK(sink.checkpoints.empty());
  CHECK(cursor_in(sink.stream_states["items"], "items") == CursorValue::integer(3));
  CHECK(cursor_in(sink.stream_states["items"], "pupils") == CursorValue::null());
  CHECK(cursor_in(sink.stream_states["pupils"], "pupils") ==
        CursorValue::text("2024-05-01 10:00:00"));
  db.exec("INSERT INTO pupils VALUES (2, 'b', '2024-05-02 08:00:00')");
  sink.next_poll();
  const std::string second = read_ok(*source, first, sink);
  CHECK(column_of(sink.forwarded, 1) == Ids{"b"});
  CHECK(cursor_in(second, "items") == CursorValue::integer(3));
  CHECK(cursor_in(second, "pupils") == CursorValue::text("2024-05-02 08:00:00"));
}

TEST_CASE("a stream's own state overrides the source-wide one, and a failing query fails its stream "
          "only") {
  TempDir dir;
  TestDatabase db(dir / "school.db");
  make_items(db, 3);
  auto source = make_source(sqlite_source(
      dir / "school.db", {query_stream("missing", "id", "SELECT id, version FROM no_such_table "
                                                        "WHERE version >= :cursor ORDER BY version",
                                       "version"),
                          query_stream("items", "id", kItemsQuery, "version")}));
  RecordingSink sink;
  // The source-wide state says items was read to 1; the stream's own state says 2.
  ferry::connectors::ResumeState state;
  state.source = R"({"format":"ferry-sql-cursor-1","streams":{"items":{"column":"version",)"
                 R"("type":"integer","value":1}}})";
  state.streams["items"] = R"({"format":"ferry-sql-cursor-1","streams":{"items":{"column":)"
                           R"("version","type":"integer","value":2}}})";
  auto read = source->read(state, sink, sink.stop.get_token());
  REQUIRE(read);
  REQUIRE(sink.failures.size() == 1);
  CHECK(sink.failures[0].first == "missing");
  CHECK(sink.failures[0].second.code == ErrorCode::kConfig);
  // items went on from 2 (inclusive): rows 2 and 3.
  CHECK(column_of(sink.rows, 0) == Ids{"2", "3"});
  CHECK(cursor_in(sink.stream_states["items"], "items") == CursorValue::integer(3));
}

TEST_CASE("a stop request ends the read between rows with kUnavailable") {
  TempDir dir;
  TestDatabase db(dir / "school.db");
  make_items(db, 50);
  auto source = make_source(
      sqlite_source(dir / "school.db", {query_stream("items", "id", kItemsQuery, "version")}));
  RecordingSink sink;
  sink.stop_after_rows = 3;
  const ferry::Error error = read_error(*source, "", sink);
  CHECK(error.code == ErrorCode::kUnavailable);
  CHECK(error.message == "source 'db' stream 'items': read stopped on request");
  CHECK(sink.rows.size() == 3);
  CHECK(sink.ended == 0);
}

TEST_CASE("a state of another connector or another cursor column reads from the beginning") {
  TempDir dir;
  TestDatabase db(dir / "school.db");
  make_items(db, 4);
  auto by_version = make_source(
      sqlite_source(dir / "school.db", {query_stream("items", "id", kItemsQuery, "version")}));
  RecordingSink sink;
  const std::string state = read_ok(*by_version, R"({"users.csv":"3f2a"})", sink);
  CHECK(sink.rows.size() == 4);

  auto by_id = make_source(sqlite_source(
      dir / "school.db",
      {query_stream(
          "items", "id",
          "SELECT id, label FROM items WHERE :cursor IS NULL OR id >= :cursor ORDER BY id",
          "id")}));
  sink.next_poll();
  const std::string next = read_ok(*by_id, state, sink);
  CHECK(sink.rows.size() == 4);
  CHECK(decode_state(next)->at("items").column == "id");
}

TEST_CASE("a damaged state of this connector is reported as corrupt") {
  TempDir dir;
  TestDatabase db(dir / "school.db");
  make_items(db, 1);
  auto source = make_source(
      sqlite_source(dir / "school.db", {query_stream("items", "id", kItemsQuery, "version")}));
  RecordingSink sink;
  const ferry::Error error = read_error(
      *source, R"({"format":"ferry-sql-cursor-1","streams":{"items":{"column":"version"}}})", sink);
  CHECK(error.code == ErrorCode::kCorrupt);
  CHECK(error.message ==
        "source 'db': saved read position of stream 'items' is damaged (no type or value): the "
        "agent cannot resume from it; clear the source's state to read it again from the "
        "beginning");
}

TEST_CASE("rows out of cursor order are refused with the ORDER BY to add") {
  TempDir dir;
  TestDatabase db(dir / "school.db");
  make_items(db, 3);
  auto source = make_source(sqlite_source(
      dir / "school.db",
      {query_stream("items", "id",
                    "SELECT id, label, version FROM items WHERE :cursor IS NULL OR version >= "
                    ":cursor ORDER BY version DESC",
                    "version")}));
  RecordingSink sink;
  const ferry::Error error = read_error(*source, "", sink);
  CHECK(error.code == ErrorCode::kConfig);
  CHECK(error.message ==
        "source 'db' stream 'items': the query returns rows out of cursor order (query row 2 has "
        "a smaller version than the row before): end it with ORDER BY version, id");
}
