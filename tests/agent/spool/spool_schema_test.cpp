// Opening the spool file: the tables a new spool gets (its on-disk format, ferry-spool-3, which
// the parts' own schemas must keep exactly), its meta rows, and an earlier spool brought up to
// date. Refusing, moving aside and re-creating files is in spool_test.cpp.
#include "agent/spool/spool_schema.hpp"

#include <catch2/catch.hpp>

#include "tests/agent/spool/spool_db.hpp"

namespace ferry::spool {
namespace {

// (type, name, sql) of every schema object, in creation order.
std::vector<std::string> schema_of(sqlite::Database& db) {
  auto select = db.prepare(
                      "SELECT type || ' ' || name || ': ' || coalesce(sql, '') FROM sqlite_schema "
                      "ORDER BY rowid")
                    .value();
  std::vector<std::string> objects;
  while (select.step().value()) objects.emplace_back(select.column_text(0));
  return objects;
}

std::string meta_value(sqlite::Database& db, std::string_view key) {
  auto select = db.prepare("SELECT value FROM meta WHERE key = ?").value();
  REQUIRE(select.bind(1, key).step().value());
  return std::string(select.column_text(0));
}

TEST_CASE("a new spool has exactly the tables of format ferry-spool-3") {
  test::SpoolDb site;
  const std::vector<std::string> expected = {
      "table meta: CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)",
      "index sqlite_autoindex_meta_1: ",
      "table batches: CREATE TABLE batches(\n  seq INTEGER PRIMARY KEY,\n  batch_id TEXT NOT "
      "NULL UNIQUE,\n  kind TEXT NOT NULL,\n  source TEXT NOT NULL,\n  stream TEXT NOT NULL,\n  "
      "rows INTEGER NOT NULL,\n  bytes INTEGER NOT NULL,\n  created_unix INTEGER NOT NULL,\n  "
      "rejected TEXT,\n  frame BLOB NOT NULL)",
      "index sqlite_autoindex_batches_1: ",
      "table gaps: CREATE TABLE gaps(\n  from_seq INTEGER NOT NULL,\n  to_seq INTEGER NOT "
      "NULL,\n  rows INTEGER NOT NULL,\n  created_unix INTEGER NOT NULL,\n  reason TEXT NOT NULL "
      "DEFAULT 'spool full (when_full: drop_oldest)')",
      "table source_state: CREATE TABLE source_state(source TEXT PRIMARY KEY, state TEXT NOT "
      "NULL, updated_unix INTEGER NOT NULL)",
      "index sqlite_autoindex_source_state_1: ",
      "table digest_runs: CREATE TABLE digest_runs(\n  id INTEGER PRIMARY KEY,\n  source TEXT "
      "NOT NULL,\n  ord INTEGER NOT NULL,\n  entries INTEGER NOT NULL,\n  data BLOB NOT NULL)",
      "table digest_pages: CREATE TABLE digest_pages(\n  id INTEGER PRIMARY KEY,\n  source TEXT "
      "NOT NULL,\n  stream TEXT NOT NULL,\n  first_key TEXT NOT NULL,\n  entries INTEGER NOT "
      "NULL,\n  data BLOB NOT NULL)",
      "index digest_pages_by_key: CREATE UNIQUE INDEX digest_pages_by_key ON "
      "digest_pages(source, stream, first_key)",
      "table key_state: CREATE TABLE key_state(\n  source TEXT PRIMARY KEY,\n  legacy_digests "
      "INTEGER NOT NULL DEFAULT 0,\n  hash_maps_from INTEGER NOT NULL DEFAULT 0)",
      "index sqlite_autoindex_key_state_1: ",
      "table source_activity: CREATE TABLE source_activity(source TEXT PRIMARY KEY, "
      "first_success_unix INTEGER, last_change_unix INTEGER, rows_last_change INTEGER NOT NULL "
      "DEFAULT 0)",
      "index sqlite_autoindex_source_activity_1: "};
  CHECK(schema_of(site.db) == expected);
  CHECK(meta_value(site.db, "format") == kSpoolFormat);
  CHECK(meta_value(site.db, "spool_id") == site.spool_id);
  CHECK(site.spool_id.size() == 36);
  for (const char* counter : {"next_seq", "next_run"}) CHECK(meta_value(site.db, counter) == "1");
  for (const char* counter : {"dropped_batches", "erasures", "keys_version"}) {
    CHECK(meta_value(site.db, counter) == "0");
  }
  CHECK(site.number("SELECT count(*) FROM meta") == 8);  // with created_at
}

TEST_CASE("a spool of an earlier version gets what it lacks when opened, and nothing else") {
  test::SpoolDb site;
  const auto current = schema_of(site.db);
  // What the first version left: no change-detection tables of this kind, gaps without a
  // reason, no erasures counter, no record of when sources last changed, format ferry-spool-1.
  REQUIRE(
      site.db.exec("DROP TABLE digest_runs; DROP TABLE digest_pages; DROP TABLE gaps; "
                   "DROP TABLE source_activity; "
                   "CREATE TABLE gaps(from_seq INTEGER NOT NULL, to_seq INTEGER NOT NULL, "
                   "rows INTEGER NOT NULL, created_unix INTEGER NOT NULL); "
                   "DROP TABLE key_state; "
                   "DELETE FROM meta WHERE key IN ('erasures', 'keys_version'); "
                   "UPDATE meta SET value = 'ferry-spool-1' WHERE key = 'format';"));
  const auto path = site.dir / "spool.db";
  site.db = sqlite::Database::open(":memory:", sqlite::Database::Mode::kReadWriteCreate).value();

  OpenReport report;
  Options options;
  options.path = path;
  auto opened = schema::open(options, report);
  REQUIRE(opened);
  CHECK_FALSE(report.created);
  CHECK(opened->spool_id == site.spool_id);
  CHECK(meta_value(opened->db, "format") == kSpoolFormat);
  CHECK(meta_value(opened->db, "erasures") == "0");
  CHECK(meta_value(opened->db, "keys_version") == "0");
  auto reason = opened->db.prepare("SELECT reason FROM gaps").value();
  CHECK_FALSE(reason.step().value());  // the column is there
  CHECK(opened->db.has_table("source_activity").value());
  CHECK(schema_of(opened->db).size() == current.size());
}

}  // namespace
}  // namespace ferry::spool
