// The change-detection store: the run encoding, the k-way merge of runs, and the paged store
// behind Spool::digest()/keys_not_seen()/count_keys(), checked against a plain std::map model
// through many random commits, merges (with a small fan-in, so runs are compacted first), erasures
// and a spool written by the earlier one-row-per-key layout.
#include "agent/spool/digest_store.hpp"

#include <map>
#include <random>
#include <set>

#include <catch2/catch.hpp>

#include "agent/spool/digest_runs.hpp"
#include "agent/spool/spool.hpp"
#include "common/crypto/x25519.hpp"
#include "common/frame/frame.hpp"
#include "common/sqlite/database.hpp"
#include "tests/support/temp_dir.hpp"

namespace ferry::spool {
namespace {

using Digest = std::array<std::uint8_t, 16>;

runs::Entry entry(runs::Op op, std::string_view stream, std::string_view key, std::int64_t run,
                  std::uint8_t digest_byte = 0) {
  runs::Entry e;
  e.op = op;
  e.stream = stream;
  e.key = key;
  e.run = run;
  e.digest = Digest{digest_byte};
  return e;
}

// A database holding a digest_runs table, for the reader.
struct RunTable {
  test::TempDir dir;
  sqlite::Database db =
      sqlite::Database::open(dir / "runs.db", sqlite::Database::Mode::kReadWriteCreate).value();

  RunTable() {
    REQUIRE(
        db.exec("CREATE TABLE digest_runs(id INTEGER PRIMARY KEY, source TEXT, ord INTEGER, "
                "entries INTEGER, data BLOB)"));
  }

  std::int64_t insert(const std::vector<std::uint8_t>& data) {
    auto insert = db.prepare(
                        "INSERT INTO digest_runs(source, ord, entries, data) "
                        "VALUES ('sis', 1, 0, ?)")
                      .value();
    REQUIRE(insert.bind_blob(1, data).run());
    return sqlite3_last_insert_rowid(db.handle());
  }
};

std::vector<std::string> read_all(runs::Reader& reader) {
  std::vector<std::string> seen;
  for (;;) {
    auto more = reader.next();
    REQUIRE(more);
    if (!*more) break;
    const runs::Entry& e = reader.entry();
    seen.push_back(std::string(e.stream) + "/" + std::string(e.key) + "/" +
                   std::to_string(static_cast<int>(e.op)) + "/" + std::to_string(e.run) + "/" +
                   std::to_string(e.digest[0]));
  }
  return seen;
}

TEST_CASE("a run is sorted by stream and key, stably, and reads back the same in small pieces") {
  const std::string long_key(300, 'k');
  std::vector<runs::Entry> entries = {
      entry(runs::Op::kUpsert, "users", "\"p1.b\"", 7, 1),
      entry(runs::Op::kDelete, "enrollments", "\"p1.z\"", 7),
      entry(runs::Op::kUpsert, "users", "\"p1.a\"", 7, 2),
      entry(runs::Op::kSeen, "users", "\"p1.b\"", 300000),  // same key: stays after the upsert
      entry(runs::Op::kUpsert, "users", long_key, 7, 3),
  };
  const auto data = runs::encode_sorted(entries);

  std::vector<runs::Entry> decoded;
  REQUIRE(runs::decode_all(data, decoded));
  REQUIRE(decoded.size() == 5);
  CHECK(decoded[0].stream == "enrollments");
  CHECK(decoded[0].op == runs::Op::kDelete);
  CHECK(decoded[1].key == "\"p1.a\"");
  CHECK(decoded[2].key == "\"p1.b\"");
  CHECK(decoded[2].op == runs::Op::kUpsert);
  CHECK(decoded[3].op == runs::Op::kSeen);
  CHECK(decoded[3].run == 300000);
  CHECK(decoded[4].key == long_key);
  CHECK(decoded[4].digest == Digest{3});

  // The same entries split over two parts, read through a 7-byte buffer (every field straddles
  // a refill somewhere; the 300-byte key grows the buffer).
  RunTable table;
  std::vector<runs::Entry> first(entries.begin(), entries.begin() + 3);
  std::vector<runs::Entry> second(entries.begin() + 3, entries.end());
  const auto a = table.insert(runs::encode_sorted(first));
  const auto b = table.insert(runs::encode_sorted(second));
  auto reader = runs::Reader::open(table.db.handle(), {a, b}, 7);
  const auto seen = read_all(reader);
  CHECK(seen == std::vector<std::string>{"enrollments/\"p1.z\"/1/7/0", "users/\"p1.a\"/0/7/2",
                                         "users/\"p1.b\"/0/7/1", "users/\"p1.b\"/2/300000/0",
                                         "users/" + long_key + "/0/7/3"});
}

TEST_CASE("damaged change-detection data is reported as corrupt, never trusted") {
  std::vector<runs::Entry> entries = {entry(runs::Op::kUpsert, "users", "\"p1.a\"", 7, 1)};
  const auto data = runs::encode_sorted(entries);
  std::vector<runs::Entry> decoded;
  SECTION("truncated") {
    const std::vector<std::uint8_t> cut(data.begin(), data.end() - 3);
    auto result = runs::decode_all(cut, decoded);
    REQUIRE_FALSE(result);
    CHECK(result.error().code == ErrorCode::kCorrupt);
  }
  SECTION("unknown flags") {
    auto bad = data;
    bad[0] = 0x43;
    auto result = runs::decode_all(bad, decoded);
    REQUIRE_FALSE(result);
    CHECK(result.error().code == ErrorCode::kCorrupt);
  }
  SECTION("through the reader") {
    RunTable table;
    const std::vector<std::uint8_t> cut(data.begin(), data.end() - 3);
    auto reader = runs::Reader::open(table.db.handle(), {table.insert(cut)}, 64);
    auto more = reader.next();
    REQUIRE_FALSE(more);
    CHECK(more.error().code == ErrorCode::kCorrupt);
  }
}

TEST_CASE("the merger yields keys in order, the older run first among equal keys") {
  RunTable table;
  std::vector<runs::Entry> older = {entry(runs::Op::kUpsert, "users", "b", 1, 1),
                                    entry(runs::Op::kUpsert, "users", "d", 1, 1)};
  std::vector<runs::Entry> newer = {entry(runs::Op::kDelete, "users", "b", 2),
                                    entry(runs::Op::kUpsert, "users", "a", 2, 2),
                                    entry(runs::Op::kUpsert, "classes", "z", 2, 2)};
  const auto a = table.insert(runs::encode_sorted(older));
  const auto b = table.insert(runs::encode_sorted(newer));
  std::vector<runs::Reader> readers;
  readers.push_back(runs::Reader::open(table.db.handle(), {a}, 16));
  readers.push_back(runs::Reader::open(table.db.handle(), {b}, 16));
  runs::Merger merger(std::move(readers));
  REQUIRE(merger.start());
  std::vector<std::string> order;
  for (;;) {
    auto next = merger.next();
    REQUIRE(next);
    if (*next == nullptr) break;
    order.push_back(std::string((*next)->stream) + "/" + std::string((*next)->key) + "/" +
                    std::to_string((*next)->run));
  }
  CHECK(order == std::vector<std::string>{"classes/z/2", "users/a/2", "users/b/1", "users/b/2",
                                          "users/d/1"});
}

struct Site {
  test::TempDir dir;
  crypto::X25519KeyPair tenant = crypto::x25519_generate_keypair().value();

  Options options(std::size_t fan_in) const {
    Options o;
    o.path = dir / "spool.db";
    o.agent_id = "school-042";
    o.tenant_id = "district-7";
    o.tenant_public_key = tenant.public_key;
    o.merge_fan_in = fan_in;
    return o;
  }

  std::unique_ptr<Spool> open(std::size_t fan_in = 512) const {
    OpenReport report;
    auto spool = Spool::open(options(fan_in), report);
    REQUIRE(spool);
    return std::move(*spool);
  }
};

// What the store should hold: per (source, stream), key -> (digest, seen run).
using Model = std::map<std::pair<std::string, std::string>,
                       std::map<std::string, std::pair<Digest, std::int64_t>>>;

void check_against(Spool& spool, const Model& model, std::int64_t run) {
  for (const auto& [where, keys] : model) {
    const auto& [source, stream] = where;
    INFO(source << "/" << stream);
    CHECK(spool.count_keys(source, stream).value() == keys.size());
    CHECK(spool.has_keys(source, stream).value() == !keys.empty());
    for (const auto& [key, stored] : keys) {
      INFO(key);
      REQUIRE(spool.digest(source, stream, key).value() == std::optional<Digest>(stored.first));
    }
    // Keys not seen in `run`, page by page with a small limit.
    std::vector<std::string> expected;
    for (const auto& [key, stored] : keys) {
      if (stored.second < run) expected.push_back(key);
    }
    std::vector<std::string> found;
    for (std::string after;;) {
      auto page = spool.keys_not_seen(source, stream, run, after, 37).value();
      if (page.empty()) break;
      found.insert(found.end(), page.begin(), page.end());
      after = page.back();
    }
    CHECK(found == expected);
  }
}

TEST_CASE("the paged store matches a plain model through random commits, merges and erasures") {
  Site site;
  // A fan-in of 3 makes almost every merge compact runs first.
  auto spool = site.open(3);
  std::mt19937 random(20261202);
  const auto pick = [&](std::size_t n) { return static_cast<std::size_t>(random() % n); };
  // Keys of varied length, so pages split at many places; some repeat across streams.
  std::vector<std::string> pool;
  for (int i = 0; i < 2500; ++i) {
    pool.push_back("\"p1." + std::string(1 + pick(60), static_cast<char>('a' + pick(26))) +
                   std::to_string(i) + "\"");
  }
  const std::string sources[] = {"sis", "lms"};
  const std::string streams[] = {"users", "enrollments"};
  Model model;
  // Entries committed but not merged yet, per source, in order.
  struct Pending {
    std::string stream, key;
    runs::Op op;
    Digest digest;
    std::int64_t run;
  };
  std::map<std::string, std::vector<Pending>> pending;
  const auto merge = [&](const std::string& source) {
    REQUIRE(spool->merge_digests(source));
    for (const Pending& p : pending[source]) {
      auto& keys = model[{source, p.stream}];
      switch (p.op) {
        case runs::Op::kUpsert:
          keys[p.key] = {p.digest, p.run};
          break;
        case runs::Op::kDelete:
          keys.erase(p.key);
          break;
        case runs::Op::kSeen:
          if (auto found = keys.find(p.key); found != keys.end()) found->second.second = p.run;
          break;
      }
    }
    pending[source].clear();
  };

  std::int64_t run = 1;
  for (int round = 0; round < 60; ++round) {
    const std::string& source = sources[pick(2)];
    const std::string& stream = streams[pick(2)];
    if (round % 10 == 0) ++run;
    Commit commit;
    commit.source = source;
    commit.run = run;
    // The first rounds load many keys (several pages per stream); later ones touch fewer.
    const std::size_t count = round < 6 ? 800 : 1 + pick(120);
    for (std::size_t i = 0; i < count; ++i) {
      const std::string& key = pool[pick(pool.size())];
      if (pick(5) == 0) {
        commit.digests.push_back({stream, key, std::nullopt});
        pending[source].push_back({stream, key, runs::Op::kDelete, {}, run});
      } else {
        const Digest digest{static_cast<std::uint8_t>(pick(256)), static_cast<std::uint8_t>(round)};
        commit.digests.push_back({stream, key, digest});
        pending[source].push_back({stream, key, runs::Op::kUpsert, digest, run});
      }
    }
    REQUIRE(spool->commit(commit));
    if (pick(3) == 0) {
      std::vector<std::string> seen;
      for (int i = 0; i < 40; ++i) seen.push_back(pool[pick(pool.size())]);
      REQUIRE(spool->mark_seen(source, stream, seen, run));
      for (const auto& key : seen)
        pending[source].push_back({stream, key, runs::Op::kSeen, {}, run});
    }
    if (pick(4) == 0) {
      merge(source);
      check_against(*spool, model, run);
    }
  }
  for (const auto& source : sources) merge(source);
  check_against(*spool, model, run);

  // An erasure takes keys out of every source and stream, wherever their pages are, including
  // keys still waiting in runs.
  std::set<std::string> erased;
  for (int i = 0; i < 150; ++i) erased.insert(pool[pick(pool.size())]);
  Commit late;
  late.source = "sis";
  late.run = run;
  late.digests.push_back({"users", *erased.begin(), Digest{9}});
  REQUIRE(spool->commit(late));
  std::uint64_t expected_removed = 0;
  for (auto& [where, keys] : model) {
    if (where.first == "sis" && where.second == "users") keys[*erased.begin()] = {Digest{9}, run};
    for (const auto& key : erased) expected_removed += keys.erase(key);
  }
  Erasure erasure;
  erasure.keys.assign(erased.begin(), erased.end());
  erasure.withhold_after = 1000;
  erasure.batch.kind = "erase";
  erasure.batch.rows = 1;
  erasure.batch.key_version = 1;
  erasure.batch.compressed = frame::zstd_compress("{}\n").value();
  auto report = spool->erase(erasure);
  REQUIRE(report);
  CHECK(report->digests_removed == expected_removed);
  check_against(*spool, model, run);

  // And it all survives closing and opening the spool.
  spool.reset();
  spool = site.open(3);
  check_against(*spool, model, run);

  // Every key of the pool, stored or not, looked up both ways: through the page index kept in
  // memory, and through SQLite's (for a stream with too many pages to keep theirs).
  spool.reset();
  auto db =
      sqlite::Database::open(site.dir / "spool.db", sqlite::Database::Mode::kReadOnly).value();
  DigestStore unindexed(db, 1);
  DigestStore indexed(db);
  for (const auto& [where, keys] : model) {
    for (const auto& key : pool) {
      const auto stored = keys.find(key);
      const auto expected = stored == keys.end() ? std::optional<Digest>()
                                                 : std::optional<Digest>(stored->second.first);
      REQUIRE(unindexed.find(where.first, where.second, key).value() == expected);
      REQUIRE(indexed.find(where.first, where.second, key).value() == expected);
    }
  }
}

TEST_CASE("a spool of the one-row-per-key layout is carried over when opened") {
  Site site;
  site.open().reset();
  {
    // What an earlier version left: merged rows, and a journal a run cut short did not merge.
    auto db =
        sqlite::Database::open(site.dir / "spool.db", sqlite::Database::Mode::kReadWrite).value();
    REQUIRE(db.exec(R"sql(
      UPDATE meta SET value = 'ferry-spool-1' WHERE key = 'format';
      DROP TABLE digest_pages;
      CREATE TABLE row_digests(source TEXT NOT NULL, stream TEXT NOT NULL, key TEXT NOT NULL,
        digest BLOB NOT NULL, seen_run INTEGER NOT NULL,
        PRIMARY KEY(source, stream, key)) WITHOUT ROWID;
      CREATE TABLE digest_journal(id INTEGER PRIMARY KEY, source TEXT NOT NULL,
        stream TEXT NOT NULL, key TEXT NOT NULL, digest BLOB, seen_run INTEGER NOT NULL);
      INSERT INTO row_digests VALUES ('sis', 'users', '"p1.kept"', x'01000000000000000000000000000000', 4),
                                     ('sis', 'users', '"p1.deleted"', x'01000000000000000000000000000000', 4),
                                     ('sis', 'users', '"p1.changed"', x'01000000000000000000000000000000', 4),
                                     ('lms', 'users', '"p1.kept"', x'05000000000000000000000000000000', 3);
      INSERT INTO digest_journal(source, stream, key, digest, seen_run) VALUES
        ('sis', 'users', '"p1.deleted"', NULL, 5),
        ('sis', 'users', '"p1.changed"', x'02000000000000000000000000000000', 5),
        ('sis', 'users', '"p1.new"', x'03000000000000000000000000000000', 5);
    )sql"));
  }
  auto spool = site.open();
  CHECK(spool->count_keys("sis", "users").value() == 3);
  CHECK(spool->digest("sis", "users", "\"p1.kept\"").value() == std::optional<Digest>(Digest{1}));
  CHECK(spool->digest("sis", "users", "\"p1.changed\"").value() ==
        std::optional<Digest>(Digest{2}));
  CHECK(spool->digest("sis", "users", "\"p1.new\"").value() == std::optional<Digest>(Digest{3}));
  CHECK_FALSE(spool->digest("sis", "users", "\"p1.deleted\"").value());
  CHECK(spool->digest("lms", "users", "\"p1.kept\"").value() == std::optional<Digest>(Digest{5}));
  CHECK(spool->keys_not_seen("sis", "users", 5, "", 10).value() ==
        std::vector<std::string>{"\"p1.kept\""});
  // The old tables are gone and the spool is marked with the current format; a second opening
  // has nothing left to carry over.
  spool.reset();
  {
    auto db =
        sqlite::Database::open(site.dir / "spool.db", sqlite::Database::Mode::kReadOnly).value();
    auto format = db.prepare("SELECT value FROM meta WHERE key = 'format'").value();
    REQUIRE(format.step().value());
    CHECK(format.column_text(0) == kSpoolFormat);
    auto tables = db.prepare(
                        "SELECT count(*) FROM sqlite_schema WHERE name IN "
                        "('row_digests', 'digest_journal')")
                      .value();
    REQUIRE(tables.step().value());
    CHECK(tables.column_int(0) == 0);
  }
  spool = site.open();
  CHECK(spool->count_keys("sis", "users").value() == 3);
}

TEST_CASE("the sources of a spool with unkeyed digests are marked when it is opened") {
  Site site;
  {
    auto spool = site.open();
    Commit commit;
    commit.source = "sis";
    commit.digests.push_back({"users", "\"p1.a\"", Digest{1}});
    REQUIRE(spool->commit(commit));
    REQUIRE(spool->merge_digests("sis"));
    commit.source = "lms";  // waiting in a run, not merged
    REQUIRE(spool->commit(commit));
  }
  {
    // What ferry-spool-2 left: no key_state, no keys_version.
    auto db =
        sqlite::Database::open(site.dir / "spool.db", sqlite::Database::Mode::kReadWrite).value();
    REQUIRE(db.exec("DROP TABLE key_state; DELETE FROM meta WHERE key = 'keys_version'; "
                    "UPDATE meta SET value = 'ferry-spool-2' WHERE key = 'format';"));
  }
  auto spool = site.open();
  CHECK(spool->source_key_state("sis").value().legacy_digests);
  CHECK(spool->source_key_state("lms").value().legacy_digests);
  CHECK_FALSE(spool->source_key_state("other").value().legacy_digests);
  CHECK(spool->keys_version().value() == 0);
  // A new spool has nothing to convert.
  Site fresh;
  auto made = fresh.open();
  CHECK_FALSE(made->source_key_state("sis").value().legacy_digests);
}

TEST_CASE("a spool of a newer format is refused and left untouched") {
  Site site;
  site.open().reset();
  {
    auto db =
        sqlite::Database::open(site.dir / "spool.db", sqlite::Database::Mode::kReadWrite).value();
    REQUIRE(db.exec("UPDATE meta SET value = 'ferry-spool-9' WHERE key = 'format'"));
  }
  const auto before = test::read_file(site.dir / "spool.db");
  OpenReport report;
  auto spool = Spool::open(site.options(512), report);
  REQUIRE_FALSE(spool);
  CHECK(spool.error().code == ErrorCode::kInvalidArgument);
  CHECK_THAT(spool.error().message, Catch::Contains("newer version") &&
                                        Catch::Contains("ferry-spool-9") &&
                                        Catch::Contains("left untouched"));
  CHECK_FALSE(report.corrupt_moved_to);
  CHECK(test::read_file(site.dir / "spool.db") == before);
}

}  // namespace
}  // namespace ferry::spool
