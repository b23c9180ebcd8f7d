// What the sql connector does to a query's text and to the connection string before a driver sees
// them; no server needed.
#include "connectors/sql/sql_text.hpp"

#include <string>

#include <catch2/catch.hpp>

#include "connectors/sql/odbc_engine.hpp"
#include "connectors/sql/odbc_text.hpp"

using ferry::connectors::sql::full_connection_string;
using ferry::connectors::sql::make_odbc_engine;
using ferry::connectors::sql::OdbcOptions;
using ferry::connectors::sql::scan_sql;
using ferry::connectors::sql::to_utf8;
using ferry::connectors::sql::to_wide;
using ferry::connectors::sql::WideString;

TEST_CASE("every :cursor becomes a marker and other parameters are listed") {
  const auto scanned =
      scan_sql("SELECT id FROM t WHERE :cursor IS NULL OR stamp >= :cursor AND x = :other");
  CHECK(scanned.odbc_text == "SELECT id FROM t WHERE ? IS NULL OR stamp >= ? AND x = :other");
  CHECK(scanned.cursor_markers == 2);
  CHECK(scanned.parameters == std::vector<std::string>{":cursor", ":other"});
  CHECK(scanned.starts_as_read);
}

TEST_CASE("strings comments quoted names and casts are not parameters") {
  const auto scanned = scan_sql(
      "-- :cursor in a comment\nSELECT ':cursor', \"a:cursor\", `b:c`, [d:e], x::text, "
      "$$ :cursor $$, $tag$ ? $tag$ /* ? */ FROM t WHERE y >= :cursor");
  CHECK(scanned.cursor_markers == 1);
  CHECK(scanned.parameters == std::vector<std::string>{":cursor"});
  CHECK(scanned.odbc_text.ends_with("WHERE y >= ?"));
  CHECK(scanned.starts_as_read);
}

TEST_CASE("a question mark outside strings is a parameter Ferry does not bind") {
  const auto scanned = scan_sql("SELECT id FROM t WHERE id > ? AND s = 'it''s ?'");
  CHECK(scanned.parameters == std::vector<std::string>{"?"});
  CHECK(scanned.cursor_markers == 0);
}

TEST_CASE("only SELECT WITH VALUES and TABLE start as a read") {
  CHECK(scan_sql("  /* x */ (select 1)").starts_as_read);
  CHECK(scan_sql("with a as (select 1) select * from a").starts_as_read);
  CHECK_FALSE(scan_sql("DELETE FROM t").starts_as_read);
  CHECK_FALSE(scan_sql("update t set a = 1").starts_as_read);
  CHECK_FALSE(scan_sql("CALL p()").starts_as_read);
  CHECK_FALSE(scan_sql("").starts_as_read);
}

TEST_CASE("driver options are added where the connection string leaves them out") {
  const std::string password = "s3cret;}x";
  const auto postgres = full_connection_string(
      "Driver=PostgreSQL Unicode;Server=db;Database=sis;Uid=ferry;Fetch=50;", 1000, &password);
  CHECK(postgres ==
        "Driver=PostgreSQL Unicode;Server=db;Database=sis;Uid=ferry;Fetch=50;UseDeclareFetch=1;"
        "UseServerSidePrepare=0;BoolsAsChar=0;CommLog=0;Debug=0;PWD={s3cret;}}x}");
  CHECK(full_connection_string("DRIVER={MariaDB Unicode};SERVER=db;no_cache=0;charset=utf8", 1000,
                               nullptr) ==
        "DRIVER={MariaDB Unicode};SERVER=db;no_cache=0;charset=utf8");
  CHECK(full_connection_string("Driver={MariaDB Unicode};Server=db", 1000, nullptr) ==
        "Driver={MariaDB Unicode};Server=db;NO_CACHE=1;CHARSET=utf8mb4");
  CHECK(full_connection_string("DSN=sis", 1000, nullptr) == "DSN=sis");
}

TEST_CASE("a password inside the connection string is refused") {
  OdbcOptions options;
  options.connection = "Driver=PostgreSQL Unicode;Server=db;Uid=ferry;PWD=hunter2";
  auto engine = make_odbc_engine(options);
  REQUIRE_FALSE(engine);
  CHECK(engine.error().code == ferry::ErrorCode::kConfig);
  CHECK_THAT(engine.error().message,
             Catch::Contains("password_file") && !Catch::Contains("hunter2"));
  options.connection = "Driver={x;Password=y};Server=db";  // inside braces: part of a value
  CHECK(make_odbc_engine(options));
}

TEST_CASE("text crosses the ODBC boundary as UTF-16 and comes back as the same UTF-8") {
  // ASCII runs, two- three- and four-byte characters, at the start, middle and end.
  for (const std::string text :
       {"", "a", "plain ASCII text", "\u00e9cole", "Ren\u00e9e", "\u00e9", "\u65e5\u672c\u8a9e",
        "x\U0001F600y", "\U0001F600", "mixed \u00fc \u20ac \U00010348 end"}) {
    const WideString wide = to_wide(text);
    CHECK(to_utf8(wide.data(), wide.size()) == text);
  }
  // An invalid byte becomes U+FFFD on the way in.
  const WideString replaced = to_wide(std::string{'a', '\xff', 'b'});
  CHECK(replaced == WideString{u'a', 0xfffd, u'b'});
  // An unpaired surrogate becomes the byte 0xFF, which no UTF-8 text holds, so the row is refused
  // instead of carrying a guess; the text around it is kept.
  const WideString lone_high{u'a', 0xd800, u'b'};
  CHECK(to_utf8(lone_high.data(), lone_high.size()) == std::string{'a', '\xff', 'b'});
  const WideString lone_low{0xdc00, u'z'};
  CHECK(to_utf8(lone_low.data(), lone_low.size()) == std::string{'\xff', 'z'});
  const WideString high_at_end{u'q', 0xdbff};
  CHECK(to_utf8(high_at_end.data(), high_at_end.size()) == "q\xff");
}
