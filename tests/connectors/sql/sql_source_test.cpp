// The sql connector (type: sql) against real PostgreSQL and MariaDB servers started by the tests
// (db_server.hpp), through Debian's ODBC drivers: no mock database. Each case runs on both.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "connectors/sql/sql.hpp"
#include "connectors/sqlite_query/cursor_state.hpp"
#include "tests/connectors/sql/db_server.hpp"
#include "tests/connectors/sqlite_query/test_database.hpp"
#include "tests/support/skip.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/unprivileged.hpp"

using ferry::ErrorCode;
using ferry::connectors::ValueType;
using ferry::connectors::sqlite_query::CursorValue;
using ferry::connectors::sqlite_query::decode_state;
using namespace ferry::test;
namespace config = ferry::config;

namespace {

using Ids = std::vector<std::string>;
using Kind = DbServer::Kind;

config::SourceSettings sql_source(const DbServer& server,
                                  std::vector<config::StreamSettings> streams,
                                  std::string password = DbServer::kReaderPassword) {
  config::SourceSettings source;
  source.name = "sis";
  source.type = "sql";
  source.options.emplace("connection", text_value(server.connection_string()));
  source.options.emplace("password", text_value(std::move(password)));
  source.streams = std::move(streams);
  return source;
}

std::unique_ptr<ferry::connectors::Source> make_sql_source(const config::SourceSettings& settings) {
  auto source = ferry::connectors::sql::create(settings, ferry::connectors::SourceContext{});
  INFO((source ? std::string("created") : source.error().message));
  REQUIRE(source);
  return std::move(*source);
}

CursorValue cursor_in(const std::string& state, const std::string& stream) {
  auto decoded = decode_state(state);
  REQUIRE(decoded);
  auto it = decoded->find(stream);
  return it == decoded->end() ? CursorValue::null() : it->second.value;
}

constexpr const char* kPupilsQuery =
    "SELECT id, name, updated_at FROM pupils "
    "WHERE :cursor IS NULL OR updated_at >= :cursor ORDER BY updated_at, id";

// updated_at is a time without a zone on both: TIMESTAMP on PostgreSQL, DATETIME on MariaDB
// (whose TIMESTAMP is kept in UTC, and sent with a Z).
void make_pupils(const DbServer& server) {
  server.admin_sql(
      std::string("CREATE TABLE pupils(id INTEGER PRIMARY KEY, name VARCHAR(40), updated_at ") +
      (server.kind() == Kind::kPostgres ? "TIMESTAMP(3)" : "DATETIME(3)") +
      " NULL);"
      "INSERT INTO pupils VALUES (3, 'Cy', '2024-05-01 10:00:00'), "
      "(1, 'Ada', '2024-05-01 09:00:00'), (2, 'Bo', '2024-05-01 09:00:00');");
}

// The cursor rule on a real server: everything first, then what changed, a tie re-read, the
// stored cursor moved to the last row's.
void cursor_read(Kind kind) {
  DbServer server(kind);
  make_pupils(server);
  auto source = make_sql_source(
      sql_source(server, {query_stream("pupils", "id", kPupilsQuery, "updated_at")}));
  RecordingSink sink;
  const std::string first = read_ok(*source, "", sink);
  CHECK(column_of(sink.rows, 0) == Ids{"1", "2", "3"});
  CHECK(column_of(sink.rows, 1) == Ids{"Ada", "Bo", "Cy"});
  CHECK(column_of(sink.rows, 2) ==
        Ids{"2024-05-01T09:00:00.000", "2024-05-01T09:00:00.000", "2024-05-01T10:00:00.000"});
  CHECK(cursor_in(first, "pupils") == CursorValue::text("2024-05-01T10:00:00.000"));

  // A late commit with the last cursor value (a tie) and a newer row: both are read; the row at
  // the stored cursor is read again and left to change detection.
  server.admin_sql(
      "INSERT INTO pupils VALUES (4, 'Di', '2024-05-01 10:00:00'), "
      "(5, 'Ed', '2024-05-02 08:30:00.250');");
  sink.next_poll();
  const std::string second = read_ok(*source, first, sink);
  CHECK(column_of(sink.rows, 0) == Ids{"3", "4", "5"});
  CHECK(column_of(sink.forwarded, 0) == Ids{"4", "5"});
  CHECK(cursor_in(second, "pupils") == CursorValue::text("2024-05-02T08:30:00.250"));

  // Nothing newer: the state comes back as it was.
  sink.next_poll();
  CHECK(read_ok(*source, second, sink) == second);
  CHECK(column_of(sink.rows, 0) == Ids{"5"});
}

// A lookback re-reads rows committed late with an older cursor value.
void lookback_read(Kind kind) {
  DbServer server(kind);
  make_pupils(server);
  auto source = make_sql_source(
      sql_source(server, {query_stream("pupils", "id", kPupilsQuery, "updated_at", "2h")}));
  RecordingSink sink;
  const std::string first = read_ok(*source, "", sink);
  server.admin_sql("INSERT INTO pupils VALUES (6, 'Fay', '2024-05-01 08:30:00');");
  sink.next_poll();
  read_ok(*source, first, sink);
  CHECK(column_of(sink.forwarded, 0) == Ids{"6"});
}

// 2,500 rows in `items`, and a source reading them by `version` in blocks of 100.
config::SourceSettings many_items(const DbServer& server) {
  server.admin_sql(server.kind() == Kind::kPostgres
                       ? "CREATE TABLE items(id BIGINT PRIMARY KEY, label TEXT, version BIGINT);"
                         "INSERT INTO items SELECT g, 'item ' || g, g FROM generate_series(1, "
                         "2500) g;"
                       : "CREATE TABLE items(id BIGINT PRIMARY KEY, label TEXT, version BIGINT);"
                         "INSERT INTO items SELECT seq, CONCAT('item ', seq), seq FROM "
                         "seq_1_to_2500;");
  auto settings = sql_source(
      server, {query_stream("items", "id",
                            "SELECT id, label, version FROM items WHERE :cursor IS NULL OR "
                            "version >= :cursor ORDER BY version, id",
                            "version")});
  settings.options.emplace("fetch_rows", config::OptionValue{{std::int64_t{100}}, {}});
  return settings;
}

void integer_cursor_many_rows(Kind kind) {
  DbServer server(kind);
  auto settings = many_items(server);
  auto source = make_sql_source(settings);
  RecordingSink sink;
  const std::string state = read_ok(*source, "", sink);
  REQUIRE(sink.rows.size() == 2500);
  CHECK(sink.rows.front()[1] == "item 1");
  CHECK(sink.rows.back()[1] == "item 2500");
  CHECK(cursor_in(state, "items") == CursorValue::integer(2500));
}

// A stop request in the middle of a read over many blocks (on PostgreSQL, while the next block
// is being fetched on the source's second thread) ends the read between rows; the connection,
// kept open, serves the next read whole.
void stopped_mid_read(Kind kind) {
  DbServer server(kind);
  auto settings = many_items(server);
  settings.options.emplace("keep_open", config::OptionValue{{true}, {}});
  auto source = make_sql_source(settings);
  RecordingSink stopped;
  stopped.stop_after_rows = 150;
  const ferry::Error error = read_error(*source, "", stopped);
  CHECK(error.code == ErrorCode::kUnavailable);
  CHECK_THAT(error.message, Catch::Contains("stopped on request"));
  CHECK(stopped.rows.size() == 150);

  RecordingSink sink;
  const std::string state = read_ok(*source, "", sink);
  REQUIRE(sink.rows.size() == 2500);
  CHECK(sink.rows.back()[1] == "item 2500");
  CHECK(cursor_in(state, "items") == CursorValue::integer(2500));
}

void wrong_password(Kind kind) {
  DbServer server(kind);
  make_pupils(server);
  auto source = make_sql_source(
      sql_source(server, {query_stream("pupils", "id", kPupilsQuery, "updated_at")}, "not-it"));
  RecordingSink sink;
  const auto error = read_error(*source, "", sink);
  CHECK(error.code == ErrorCode::kPermission);
  CHECK_THAT(error.message, Catch::Contains("source 'sis'") &&
                                Catch::Contains("refused the login") && !Catch::Contains("not-it"));
  CHECK(sink.rows.empty());
  auto checked = source->check();
  REQUIRE_FALSE(checked);
  CHECK(checked.error().code == ErrorCode::kPermission);
}

// The read-only session is the server's: a statement that writes is refused by the server even
// where its text looks like a read.
void write_refused(Kind kind) {
  DbServer server(kind);
  make_pupils(server);
  // A function that deletes, called from a SELECT.
  server.admin_sql(kind == Kind::kPostgres
                       ? "CREATE FUNCTION wipe() RETURNS INT LANGUAGE sql AS "
                         "'DELETE FROM pupils; SELECT 1';"
                       : "DELIMITER //\nCREATE FUNCTION wipe() RETURNS INT MODIFIES SQL DATA "
                         "BEGIN DELETE FROM pupils; RETURN 1; END//\nDELIMITER ;\n");
  const std::string query =
      "SELECT id, wipe() AS stamp FROM pupils WHERE :cursor IS NULL OR id >= :cursor ORDER BY id";
  // The reader may write, for this test: only the session stops it.
  server.admin_sql(kind == Kind::kPostgres
                       ? "GRANT DELETE ON pupils TO ferry_reader;"
                       : "GRANT DELETE ON ferry_test.* TO 'ferry_reader'@'127.0.0.1';");
  auto source = make_sql_source(sql_source(server, {query_stream("pupils", "id", query, "id")}));
  RecordingSink sink;
  const auto error = read_error(*source, "", sink);
  CHECK(error.code == ErrorCode::kConfig);
  CHECK_THAT(error.message, Catch::Contains("read-only session"));
  CHECK(server.admin_sql("SELECT COUNT(*) FROM pupils;") == "3");
}

// A statement whose text is not a read is refused before it reaches the server.
void not_a_select(Kind kind) {
  DbServer server(kind);
  make_pupils(server);
  auto source = make_sql_source(sql_source(
      server, {query_stream("pupils", "id", "DELETE FROM pupils WHERE id >= :cursor", "id")}));
  auto checked = source->check();
  REQUIRE_FALSE(checked);
  CHECK(checked.error().code == ErrorCode::kConfig);
  CHECK_THAT(checked.error().message, Catch::Contains("would change the database"));
}

void query_error(Kind kind) {
  DbServer server(kind);
  make_pupils(server);
  auto source = make_sql_source(sql_source(
      server, {query_stream("pupils", "id",
                            "SELECT id, nme, updated_at FROM pupils WHERE :cursor IS NULL OR "
                            "updated_at >= :cursor ORDER BY updated_at, id",
                            "updated_at")}));
  RecordingSink sink;
  const auto error = read_error(*source, "", sink);
  CHECK(error.code == ErrorCode::kConfig);
  CHECK_THAT(error.message, Catch::Contains("stream 'pupils'") && Catch::Contains("nme"));
}

// Every type maps the same on both servers (docs/connectors/sql.md, "Types").
void types_read(Kind kind) {
  DbServer server(kind);
  if (kind == Kind::kPostgres) {
    server.admin_sql(
        "CREATE TABLE kinds(id INTEGER PRIMARY KEY, small SMALLINT, big BIGINT, big2 BIGINT, "
        "amount NUMERIC(30,10), ratio DOUBLE PRECISION, flag BOOLEAN, born DATE, "
        "seen TIMESTAMP(0), stamp TIMESTAMPTZ(3), photo BYTEA, name TEXT, other TEXT, "
        "missing TEXT);"
        "INSERT INTO kinds VALUES (1, -7, 9007199254740993, -9223372036854775808, "
        "'12345678901234567890.0123456789', 0.5, true, '2010-02-28', '2024-05-01 09:00:00', "
        "'2024-05-01 11:00:00.250+02', '\\x00ff10', 'Zo\u00eb \u65e5\u672c', "
        "'caf\u00e9', NULL);");
  } else {
    server.admin_sql(
        "CREATE TABLE kinds(id INTEGER PRIMARY KEY, small TINYINT, big BIGINT, "
        "big2 BIGINT UNSIGNED, amount DECIMAL(30,10), ratio DOUBLE, flag BIT(1), born DATE, "
        "seen DATETIME, stamp TIMESTAMP(3) NULL, photo VARBINARY(16), "
        "name VARCHAR(40) CHARACTER SET utf8mb4, other VARCHAR(40) CHARACTER SET latin1, "
        "missing TEXT) DEFAULT CHARSET=utf8mb4;"
        "SET time_zone = '+02:00';"
        "INSERT INTO kinds VALUES (1, -7, 9007199254740993, 18446744073709551615, "
        "'12345678901234567890.0123456789', 0.5, b'1', '2010-02-28', '2024-05-01 09:00:00', "
        "'2024-05-01 11:00:00.250', x'00ff10', _utf8mb4'Zo\u00eb \u65e5\u672c', "
        "_utf8mb4'caf\u00e9', NULL);");
  }
  auto source = make_sql_source(sql_source(
      server, {query_stream("kinds", "id",
                            "SELECT * FROM kinds WHERE :cursor IS NULL OR id >= :cursor ORDER BY "
                            "id",
                            "id")}));
  RecordingSink sink;
  read_ok(*source, "", sink);
  REQUIRE(sink.rows.size() == 1);
  const RecordedRow& row = sink.rows[0];
  CHECK(row[1] == "-7");
  CHECK(row.types[1] == ValueType::kNumber);
  CHECK(row[2] == "9007199254740993");
  CHECK(row[3] == (kind == Kind::kPostgres ? "-9223372036854775808" : "18446744073709551615"));
  CHECK(row.types[3] == ValueType::kNumber);
  CHECK(row[4] == "12345678901234567890.0123456789");
  CHECK(row.types[4] == ValueType::kNumber);
  CHECK(row[5] == "0.5");
  CHECK(row[6] == "true");
  CHECK(row.types[6] == ValueType::kBool);
  CHECK(row[7] == "2010-02-28");
  CHECK(row[8] == "2024-05-01T09:00:00");
  CHECK(row[9] == "2024-05-01T09:00:00.250Z");
  CHECK(row[10] == "AP8Q");
  CHECK(row[11] == "Zo\u00eb \u65e5\u672c");
  CHECK(row[12] == "caf\u00e9");
  CHECK(row.types[13] == ValueType::kNull);
  CHECK(sink.bad_rows.empty());
}

// Stops the server after `at` rows, as a server restarted in the middle of a read.
class StoppingSink : public RecordingSink {
 public:
  StoppingSink(DbServer& server, std::size_t at) : server_(server), at_(at) {}
  ferry::Result<void> row(ferry::connectors::RowView values, ferry::connectors::RowOp op) override {
    auto taken = RecordingSink::row(values, op);
    if (rows.size() == at_) {
      at_ = 0;  // once
      server_.stop();
    }
    return taken;
  }

 private:
  DbServer& server_;
  std::size_t at_;
};

// A server that goes away mid-read fails the run with the rows up to the last checkpoint kept;
// the next run, from that checkpoint, once the server is back, hands over the rest: every row
// exactly once past change detection. PostgreSQL's driver fetches `fetch_rows` at a time, so the
// stop breaks the first stream; MariaDB's (Connector/ODBC 3.1.15) has the whole result of a query
// once it runs, so the first stream ends and the second finds the connection gone. Either way the
// run fails as a whole.
void server_restarted_mid_read(Kind kind) {
  constexpr std::size_t kRows = 20000;
  constexpr std::size_t kExtras = 100;
  DbServer server(kind);
  server.admin_sql(
      kind == Kind::kPostgres
          ? "CREATE TABLE items(id BIGINT PRIMARY KEY, label TEXT, version BIGINT);"
            "INSERT INTO items SELECT g, repeat('x', 200) || g, g FROM generate_series(1, 20000) g;"
            "CREATE TABLE extras AS SELECT * FROM items WHERE id <= 100;"
          : "CREATE TABLE items(id BIGINT PRIMARY KEY, label TEXT, version BIGINT);"
            "INSERT INTO items SELECT seq, CONCAT(REPEAT('x', 200), seq), seq FROM "
            "seq_1_to_20000;"
            "CREATE TABLE extras AS SELECT * FROM items WHERE id <= 100;");
  auto stream = [](const std::string& table) {
    return query_stream(table, "id",
                        "SELECT id, label, version FROM " + table +
                            " WHERE :cursor IS NULL OR version >= :cursor ORDER BY version, id",
                        "version");
  };
  auto settings = sql_source(server, {stream("items"), stream("extras")});
  settings.options.emplace("fetch_rows", config::OptionValue{{std::int64_t{200}}, {}});
  settings.options.emplace("checkpoint_rows", config::OptionValue{{std::int64_t{1000}}, {}});
  auto source = make_sql_source(settings);

  StoppingSink sink(server, 5000);
  auto failed = source->read(ferry::connectors::ResumeState{"", {}}, sink, sink.stop.get_token());
  REQUIRE_FALSE(failed);
  INFO("mid-read: " << failed.error().message);
  CHECK(failed.error().code == ErrorCode::kUnavailable);
  CHECK(sink.failures.empty());  // the read failed as a whole, not stream by stream
  REQUIRE_FALSE(sink.checkpoints.empty());
  const std::string saved = sink.checkpoints.back();

  // While the server is down, a run fails at connecting.
  RecordingSink down;
  const auto down_error = read_error(*source, saved, down);
  INFO("while down: " << down_error.message);
  CHECK(down_error.code == ErrorCode::kUnavailable);
  CHECK(down.rows.empty());

  server.start();
  std::set<std::string> forwarded;
  auto count = [&] {
    for (const RecordedRow& row : sink.forwarded) {
      CHECK(forwarded.insert(row.stream + "/" + row[0]).second);
    }
  };
  count();
  sink.next_poll();
  read_ok(*source, saved, sink);
  count();
  CHECK(forwarded.size() == kRows + kExtras);
}

// A connection string naming a database the server lacks.
void unknown_database(Kind kind) {
  DbServer server(kind);
  auto settings = sql_source(server, {query_stream("pupils", "id", kPupilsQuery, "updated_at")});
  std::string connection = server.connection_string();
  const auto at = connection.find(DbServer::kDatabase);
  REQUIRE(at != std::string::npos);
  connection.replace(at, std::string_view(DbServer::kDatabase).size(), "no_such_db");
  settings.options.insert_or_assign("connection", text_value(connection));
  auto checked = make_sql_source(settings)->check();
  REQUIRE_FALSE(checked);
  INFO(checked.error().message);
  CHECK(checked.error().code != ErrorCode::kInternal);
  CHECK_THAT(checked.error().message,
             Catch::Contains("source 'sis'") && Catch::Contains("no_such_db"));
}

// A query that runs past statement_timeout is given up by the server; the run keeps its state.
void statement_timeout(Kind kind) {
  DbServer server(kind);
  make_pupils(server);
  const std::string query =
      kind == Kind::kPostgres
          ? "SELECT id, updated_at FROM pupils, pg_sleep(5) WHERE :cursor IS NULL OR updated_at "
            ">= :cursor ORDER BY updated_at, id"
          : "SELECT id, updated_at FROM pupils WHERE SLEEP(5) = 0 AND (:cursor IS NULL OR "
            "updated_at >= :cursor) ORDER BY updated_at, id";
  auto settings = sql_source(server, {query_stream("pupils", "id", query, "updated_at")});
  settings.options.emplace("statement_timeout",
                           config::OptionValue{{config::Duration(std::chrono::seconds(1))}, {}});
  auto source = make_sql_source(settings);
  RecordingSink sink;
  const auto error = read_error(*source, "", sink);
  INFO(error.message);
  CHECK(error.code == ErrorCode::kUnavailable);
  CHECK_THAT(error.message, Catch::Contains("statement_timeout 1s"));
  CHECK(sink.rows.empty());
}

// Without keep_open the run's connection is closed when it ends; with it, kept for the next.
void keep_open(Kind kind) {
  DbServer server(kind);
  make_pupils(server);
  const std::string sessions =
      kind == Kind::kPostgres
          ? "SELECT COUNT(*) FROM pg_stat_activity WHERE usename = 'ferry_reader';"
          : "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = 'ferry_reader';";
  for (const bool keep : {false, true}) {
    INFO("keep_open " << keep);
    auto settings = sql_source(server, {query_stream("pupils", "id", kPupilsQuery, "updated_at")});
    settings.options.emplace("keep_open", config::OptionValue{{keep}, {}});
    auto source = make_sql_source(settings);
    RecordingSink sink;
    const std::string first = read_ok(*source, "", sink);
    // A closed session may take a moment to leave the server's list: wait for it, bounded.
    const std::string expected = keep ? "1" : "0";
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (server.admin_sql(sessions) != expected && std::chrono::steady_clock::now() < deadline) {
    }
    CHECK(server.admin_sql(sessions) == expected);
    sink.next_poll();
    read_ok(*source, first, sink);
    CHECK(column_of(sink.rows, 0) == Ids{"3"});
  }
}

// Values longer than a block holds (4,000 characters) are read whole, in pieces, in the middle
// of a block as at its end.
void long_values(Kind kind) {
  DbServer server(kind);
  server.admin_sql(
      kind == Kind::kPostgres
          ? "CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT, data BYTEA);"
            "INSERT INTO notes SELECT g, CASE WHEN g % 2 = 0 THEN repeat('\u00e9', 70000) || g "
            "ELSE 'short ' || g END, CASE WHEN g % 3 = 0 THEN decode(repeat('00ff', 5000), "
            "'hex') END FROM generate_series(1, 9) g;"
          : "CREATE TABLE notes(id INTEGER PRIMARY KEY, body LONGTEXT, data LONGBLOB) "
            "DEFAULT CHARSET=utf8mb4;"
            "INSERT INTO notes SELECT seq, CASE WHEN seq % 2 = 0 THEN CONCAT(REPEAT(_utf8mb4 "
            "x'c3a9', 70000), seq) ELSE CONCAT('short ', seq) END, CASE WHEN seq % 3 = 0 THEN "
            "REPEAT(x'00ff', 5000) END FROM seq_1_to_9;");
  auto source = make_sql_source(sql_source(
      server, {query_stream("notes", "id",
                            "SELECT id, body, data FROM notes WHERE :cursor IS NULL OR id >= "
                            ":cursor ORDER BY id",
                            "id")}));
  RecordingSink sink;
  read_ok(*source, "", sink);
  REQUIRE(sink.rows.size() == 9);
  std::string accents;
  for (int i = 0; i < 70000; ++i) accents += "\u00e9";
  for (const RecordedRow& row : sink.rows) {
    const int id = std::stoi(row[0]);
    INFO("row " << id);
    if (id % 2 == 0) {
      CHECK(row[1].size() == accents.size() + 1);
      CHECK(row[1] == accents + std::to_string(id));
    } else {
      CHECK(row[1] == "short " + std::to_string(id));
    }
    if (id % 3 == 0) {
      // 10,000 bytes of 00 ff: base64 of each 3 bytes "00 ff 00" / "ff 00 ff" alternates.
      CHECK(row[2].size() == (10000 + 2) / 3 * 4);
      CHECK(row[2].starts_with("AP8A/wD/AP8A"));
    } else {
      CHECK(row.types[2] == ValueType::kNull);
    }
  }
  CHECK(sink.bad_rows.empty());
}

// The FETCH sizes psqlODBC asked the server for, in the order of the server's log (log_statement
// = all for the reader).
std::vector<int> fetch_sizes(const DbServer& server) {
  const std::string log = server.log();
  const std::regex fetch("fetch ([0-9]+) in \"");
  std::vector<int> sizes;
  for (auto it = std::sregex_iterator(log.begin(), log.end(), fetch); it != std::sregex_iterator();
       ++it) {
    sizes.push_back(std::stoi((*it)[1].str()));
  }
  return sizes;
}

}  // namespace

// psqlODBC asks the server for as many rows at a time as a block of Ferry's holds: fetch_rows for
// narrow rows, fewer for wide ones, so that the driver never holds more rows than the buffers'
// budget allows. Only PostgreSQL: MariaDB's driver reads the whole result.
TEST_CASE("postgres: the driver fetches no more rows at a time than a block holds") {
  if (auto why = DbServer::unavailable(Kind::kPostgres)) FERRY_SKIP(*why);
  DbServer server(Kind::kPostgres);
  server.admin_sql("ALTER ROLE ferry_reader SET log_statement = 'all';");

  auto narrow = many_items(server);  // fetch_rows 100, three short columns
  auto narrow_source = make_sql_source(narrow);
  RecordingSink narrow_sink;
  read_ok(*narrow_source, "", narrow_sink);
  CHECK(narrow_sink.rows.size() == 2500);
  std::vector<int> sizes = fetch_sizes(server);
  REQUIRE(sizes.size() >= 25);
  CHECK(std::all_of(sizes.begin(), sizes.end(), [](int size) { return size == 100; }));

  // Six columns of up to 4,000 characters: a block of 8 MiB / 2 holds some 87 rows of them,
  // whatever fetch_rows (1000 here, the connector's default being larger still).
  server.admin_sql(
      "CREATE TABLE wide(id INTEGER PRIMARY KEY, a VARCHAR(4000), b VARCHAR(4000), "
      "c VARCHAR(4000), d VARCHAR(4000), e VARCHAR(4000), f VARCHAR(4000));"
      "INSERT INTO wide SELECT g, 'a' || g, 'b', 'c', 'd', 'e', 'f' FROM "
      "generate_series(1, 300) g;");
  auto wide = sql_source(server, {query_stream("wide", "id",
                                               "SELECT id, a, b, c, d, e, f FROM wide WHERE "
                                               ":cursor IS NULL OR id >= :cursor ORDER BY id",
                                               "id")});
  wide.options.emplace("fetch_rows", config::OptionValue{{std::int64_t{1000}}, {}});
  auto wide_source = make_sql_source(wide);
  RecordingSink wide_sink;
  read_ok(*wide_source, "", wide_sink);
  REQUIRE(wide_sink.rows.size() == 300);
  CHECK(wide_sink.rows.back()[1] == "a300");
  const std::vector<int> all = fetch_sizes(server);
  const std::vector<int> wide_sizes(all.begin() + static_cast<std::ptrdiff_t>(sizes.size()),
                                    all.end());
  INFO("FETCH sizes of the wide read: " << Catch::Detail::stringify(wide_sizes));
  REQUIRE(wide_sizes.size() >= 3);  // 300 rows in blocks of fewer than 100
  CHECK(std::all_of(wide_sizes.begin(), wide_sizes.end(),
                    [](int size) { return size > 1 && size < 100; }));
}

TEST_CASE("a driver that is not installed is named in a config error") {
  config::SourceSettings settings;
  settings.name = "sis";
  settings.type = "sql";
  settings.options.emplace("connection", text_value("Driver=No Such Driver;Server=127.0.0.1"));
  settings.streams = {query_stream("pupils", "id", kPupilsQuery, "updated_at")};
  auto checked = make_sql_source(settings)->check();
  REQUIRE_FALSE(checked);
  INFO(checked.error().message);
  CHECK(checked.error().code == ErrorCode::kConfig);
  CHECK_THAT(checked.error().message, Catch::Contains("odbcinst -q -d"));
}

TEST_CASE("a password file that others may read is refused when the source is made") {
  FERRY_RUN_UNPRIVILEGED();  // the file's owner and mode are checked as the agent's user
  TempDir dir;
  const auto file = dir.write("db_password", "hunter2-synthetic\n");
  std::filesystem::permissions(file, std::filesystem::perms(0644));
  config::SourceSettings settings;
  settings.name = "sis";
  settings.type = "sql";
  settings.options.emplace("connection", text_value("Driver=PostgreSQL Unicode;Server=127.0.0.1"));
  settings.options.emplace("password_file", text_value(file.string()));
  settings.streams = {query_stream("pupils", "id", kPupilsQuery, "updated_at")};
  auto made = ferry::connectors::sql::create(settings, ferry::connectors::SourceContext{});
  REQUIRE_FALSE(made);
  INFO(made.error().message);
  CHECK(made.error().code == ErrorCode::kPermission);
  CHECK_THAT(made.error().message, Catch::Contains("password_file") && Catch::Contains("chmod") &&
                                       !Catch::Contains("hunter2"));
  std::filesystem::permissions(file, std::filesystem::perms(0600));
  CHECK(ferry::connectors::sql::create(settings, ferry::connectors::SourceContext{}));
}

#define FERRY_ON_BOTH_SERVERS(title, body)                                   \
  TEST_CASE("postgres: " title) {                                            \
    if (auto why = DbServer::unavailable(Kind::kPostgres)) FERRY_SKIP(*why); \
    body(Kind::kPostgres);                                                   \
  }                                                                          \
  TEST_CASE("mariadb: " title) {                                             \
    if (auto why = DbServer::unavailable(Kind::kMariadb)) FERRY_SKIP(*why);  \
    body(Kind::kMariadb);                                                    \
  }

FERRY_ON_BOTH_SERVERS("a cursor read hands over every row then only what changed", cursor_read)
FERRY_ON_BOTH_SERVERS("a lookback reads rows committed late with an older cursor", lookback_read)
FERRY_ON_BOTH_SERVERS("an integer cursor over many blocks of rows", integer_cursor_many_rows)
FERRY_ON_BOTH_SERVERS("every column type maps to the same JSON value", types_read)
FERRY_ON_BOTH_SERVERS("a server restarted mid-read loses and repeats no row",
                      server_restarted_mid_read)
FERRY_ON_BOTH_SERVERS("an unknown database fails check naming it", unknown_database)
FERRY_ON_BOTH_SERVERS("a query past statement_timeout is given up by the server", statement_timeout)
FERRY_ON_BOTH_SERVERS("keep_open keeps the connection between runs and only then", keep_open)
FERRY_ON_BOTH_SERVERS("values longer than a block holds are read whole", long_values)
FERRY_ON_BOTH_SERVERS("a stop request mid-read ends it and the kept connection reads again",
                      stopped_mid_read)
FERRY_ON_BOTH_SERVERS("a wrong password fails the read as a refused login", wrong_password)
FERRY_ON_BOTH_SERVERS("a query that writes is refused by the read-only session", write_refused)
FERRY_ON_BOTH_SERVERS("a statement that is not a read is refused at check", not_a_select)
FERRY_ON_BOTH_SERVERS("a query error fails its stream with the server's message", query_error)
