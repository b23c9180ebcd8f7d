#include "agent/spool/spool.hpp"

#include <fstream>
#include <random>
#include <thread>

#include <catch2/catch.hpp>

#include "common/crypto/x25519.hpp"
#include "common/frame/frame.hpp"
#include "tests/support/skip.hpp"
#include "tests/support/system_checks.hpp"
#include "tests/support/temp_dir.hpp"

namespace ferry::spool {
namespace {

struct Fixture {
  test::TempDir dir;
  crypto::X25519KeyPair tenant = crypto::x25519_generate_keypair().value();

  Options options() const {
    Options o;
    o.path = dir / "spool.db";
    o.agent_id = "school-042";
    o.tenant_id = "district-7";
    o.tenant_public_key = tenant.public_key;
    return o;
  }

  std::unique_ptr<Spool> open(OpenReport& report) const {
    auto spool = Spool::open(options(), report);
    REQUIRE(spool);
    return std::move(*spool);
  }
};

NewBatch batch(std::string stream, std::string rows_text, std::uint64_t rows) {
  NewBatch b;
  b.source = "sis";
  b.stream = std::move(stream);
  b.rows = rows;
  b.key_version = 1;
  b.compressed = frame::zstd_compress(rows_text).value();
  return b;
}

// A commit of one source "sis" with one batch of stream "users".
Commit one_batch(std::string rows_text = "{}\n", std::uint64_t rows = 1) {
  Commit commit;
  commit.source = "sis";
  commit.batches = {batch("users", std::move(rows_text), rows)};
  return commit;
}

// Text that zstd cannot shrink, so a batch's size on disk is predictable.
std::string incompressible(std::size_t size) {
  std::mt19937 random(42);
  std::string text;
  for (std::size_t i = 0; i < size; ++i) text.push_back(static_cast<char>(random() & 0xff));
  return text;
}

TEST_CASE("a new spool gets a spool_id and keeps it across opens") {
  Fixture f;
  OpenReport first;
  const std::string id = f.open(first)->spool_id();
  CHECK(first.created);
  OpenReport second;
  CHECK(f.open(second)->spool_id() == id);
  CHECK_FALSE(second.created);
}

TEST_CASE("batches get gap-free seqs and are sealed with the full header") {
  Fixture f;
  OpenReport report;
  auto spool = f.open(report);
  Commit commit;
  commit.source = "sis";
  commit.batches = {batch("users", "{\"a\":1}\n", 1), batch("users", "{\"a\":2}\n", 1)};
  commit.state = "s1";
  CHECK(spool->commit(commit).value() == std::vector<std::uint64_t>{1, 2});
  commit.batches = {batch("enrollments", "{\"b\":1}\n", 1)};
  CHECK(spool->commit(commit).value() == std::vector<std::uint64_t>{3});
  CHECK(spool->source_state("sis").value() == "s1");

  auto pending = spool->pending(0, 10).value();
  REQUIRE(pending.size() == 3);
  auto opened = frame::open(pending[2].frame, f.tenant.private_key);
  REQUIRE(opened);
  CHECK(opened->header.seq == 3);
  CHECK(opened->header.spool_id == spool->spool_id());
  CHECK(opened->header.agent_id == "school-042");
  CHECK(opened->header.stream == "enrollments");
  CHECK(opened->plaintext == "{\"b\":1}\n");

  // Acked batches leave; seqs are never reused.
  REQUIRE(spool->ack(1));
  REQUIRE(spool->ack(2));
  REQUIRE(spool->ack(3));
  commit.batches = {batch("users", "{}\n", 1)};
  CHECK(spool->commit(commit).value() == std::vector<std::uint64_t>{4});
  auto stats = spool->stats().value();
  CHECK(stats.batches == 1);
  CHECK(stats.next_seq == 5);
}

TEST_CASE("a rejected batch stays in the spool but is no longer pending") {
  Fixture f;
  OpenReport report;
  auto spool = f.open(report);
  const Commit commit = one_batch();
  REQUIRE(spool->commit(commit));
  REQUIRE(spool->reject(1, "schema mismatch"));
  CHECK(spool->pending(0, 10).value().empty());
  auto stats = spool->stats().value();
  CHECK(stats.batches == 1);
  CHECK(stats.rejected == 1);
}

TEST_CASE("digests commit with their batch and vanish with deletes") {
  Fixture f;
  OpenReport report;
  auto spool = f.open(report);
  const std::array<std::uint8_t, 16> digest{1, 2, 3};
  Commit commit;
  commit.source = "sis";
  commit.run = 7;
  commit.digests = {{"users", "\"p1.a\"", digest}, {"users", "\"p1.b\"", digest}};
  REQUIRE(spool->commit(commit));
  // Journalled with the batch; readable once merged.
  CHECK(spool->count_keys("sis", "users").value() == 0);
  REQUIRE(spool->merge_digests("sis"));
  CHECK(spool->digest("sis", "users", "\"p1.a\"").value() == digest);
  CHECK_FALSE(spool->digest("sis", "users", "\"p1.zz\"").value());
  CHECK(spool->count_keys("sis", "users").value() == 2);

  REQUIRE(spool->mark_seen("sis", "users", {"\"p1.a\""}, 8));
  // Applied with the next merge, like the digests.
  REQUIRE(spool->merge_digests("sis"));
  CHECK(spool->keys_not_seen("sis", "users", 8, "", 100).value() ==
        std::vector<std::string>{"\"p1.b\""});

  commit.digests = {{"users", "\"p1.b\"", std::nullopt}};
  REQUIRE(spool->commit(commit));
  REQUIRE(spool->merge_digests("sis"));
  CHECK(spool->count_keys("sis", "users").value() == 1);
  REQUIRE(spool->reset_source("sis"));
  CHECK(spool->count_keys("sis", "users").value() == 0);
}

TEST_CASE("merging the digest journal keeps the order of updates to one key") {
  Fixture f;
  OpenReport report;
  auto spool = f.open(report);
  const std::array<std::uint8_t, 16> first{1};
  const std::array<std::uint8_t, 16> second{2};
  Commit commit;
  commit.source = "sis";
  commit.digests = {{"users", "\"p1.k\"", first}, {"users", "\"p1.k\"", std::nullopt}};
  REQUIRE(spool->commit(commit));
  commit.digests = {{"users", "\"p1.k\"", second},
                    {"users", "\"p1.gone\"", first},
                    {"users", "\"p1.gone\"", std::nullopt}};
  REQUIRE(spool->commit(commit));
  REQUIRE(spool->merge_digests("sis"));
  CHECK(spool->digest("sis", "users", "\"p1.k\"").value() == second);
  CHECK_FALSE(spool->digest("sis", "users", "\"p1.gone\"").value());
  CHECK(spool->count_keys("sis", "users").value() == 1);
  // Merged once: a second merge changes nothing.
  REQUIRE(spool->merge_digests("sis"));
  CHECK(spool->count_keys("sis", "users").value() == 1);
}

TEST_CASE("a full spool with when_full pause refuses new batches and keeps everything") {
  Fixture f;
  auto options = f.options();
  options.max_bytes = 3000;
  OpenReport report;
  auto spool = std::move(Spool::open(options, report).value());
  Commit commit;
  commit.source = "sis";
  commit.state = "after";
  commit.batches = {batch("users", incompressible(1500), 1)};
  REQUIRE(spool->commit(commit));
  auto full = spool->commit(commit);
  REQUIRE_FALSE(full);
  CHECK(full.error().code == ErrorCode::kFull);
  CHECK_THAT(full.error().message, Catch::Contains("spool full"));
  CHECK(spool->stats().value().batches == 1);
  CHECK(spool->gaps().value().empty());
}

TEST_CASE("a full spool with drop_oldest drops the oldest batch and records the gap") {
  Fixture f;
  auto options = f.options();
  options.max_bytes = 3000;
  options.when_full = config::WhenFull::kDropOldest;
  OpenReport report;
  auto spool = std::move(Spool::open(options, report).value());
  const Commit commit = one_batch(incompressible(1500), 3);
  REQUIRE(spool->commit(commit));
  REQUIRE(spool->commit(commit));
  const auto stats = spool->stats().value();
  CHECK(stats.batches == 1);
  CHECK(stats.dropped_batches == 1);
  const auto gaps = spool->gaps().value();
  REQUIRE(gaps.size() == 1);
  CHECK(gaps[0].from_seq == 1);
  CHECK(gaps[0].to_seq == 1);
  CHECK(gaps[0].rows == 3);
  CHECK(spool->pending(0, 10).value().front().seq == 2);
}

TEST_CASE("drop_oldest leaves batches on their way to the tenant and drops the next ones") {
  Fixture f;
  auto options = f.options();
  options.max_bytes = 5000;
  options.when_full = config::WhenFull::kDropOldest;
  OpenReport report;
  auto spool = std::move(Spool::open(options, report).value());
  const Commit commit = one_batch(incompressible(1500), 3);
  REQUIRE(spool->commit(commit));  // seq 1: on the wire
  REQUIRE(spool->commit(commit));  // seq 2: waiting
  spool->protect_through(1);
  REQUIRE(spool->commit(commit));  // seq 3: room is made by dropping seq 2, not seq 1
  auto gaps = spool->gaps().value();
  REQUIRE(gaps.size() == 1);
  CHECK(gaps[0].from_seq == 2);
  CHECK(gaps[0].to_seq == 2);
  auto pending = spool->pending(0, 10).value();
  REQUIRE(pending.size() == 2);
  CHECK(pending[0].seq == 1);
  CHECK(pending[1].seq == 3);
  // Everything left is on its way: the spool is full and says so instead of reporting a loss.
  spool->protect_through(3);
  spool->protect_through(2);  // never lowered
  auto full = spool->commit(commit);
  REQUIRE_FALSE(full);
  CHECK(full.error().code == ErrorCode::kFull);
  CHECK(spool->gaps().value().size() == 1);
}

TEST_CASE("a file that is not a spool is refused and left untouched") {
  Fixture f;
  const auto path = f.dir.write("spool.db", "these are somebody's notes, not a database");
  OpenReport report;
  auto spool = Spool::open(f.options(), report);
  REQUIRE_FALSE(spool);
  CHECK_THAT(spool.error().message, Catch::Contains("is not a Ferry spool"));
  CHECK(test::read_file(path) == "these are somebody's notes, not a database");
}

TEST_CASE("another SQLite database is refused and left untouched") {
  Fixture f;
  {
    auto db = sqlite::Database::open(f.dir / "spool.db", sqlite::Database::Mode::kReadWriteCreate);
    REQUIRE(db->exec("CREATE TABLE grades(x); INSERT INTO grades VALUES (1);"));
  }
  const std::string before = test::read_file(f.dir / "spool.db");
  OpenReport report;
  auto spool = Spool::open(f.options(), report);
  REQUIRE_FALSE(spool);
  CHECK_THAT(spool.error().message, Catch::Contains("not a Ferry spool"));
  CHECK(test::read_file(f.dir / "spool.db") == before);
}

TEST_CASE("a spool whose creation was cut off before its schema is created again in place") {
  Fixture f;
  SECTION("an empty file") { f.dir.write("spool.db", ""); }
  SECTION("an SQLite database without tables") {
    auto db = sqlite::Database::open(f.dir / "spool.db", sqlite::Database::Mode::kReadWriteCreate);
    REQUIRE(db->exec("PRAGMA journal_mode=WAL; PRAGMA user_version=0;"));
  }
  OpenReport report;
  auto spool = Spool::open(f.options(), report);
  REQUIRE(spool);
  CHECK(report.created);
  CHECK_FALSE(report.corrupt_moved_to);
  CHECK((*spool)->stats().value().next_seq == 1);
}

TEST_CASE("a new spool file is readable by its owner only") {
  Fixture f;
  OpenReport report;
  auto spool = f.open(report);
  const Commit commit = one_batch();
  REQUIRE(spool->commit(commit));
  // The files exist before they are made private (SQLite makes them): a list set afterwards.
  if (auto why = test::permissions_unchecked()) FERRY_SKIP(*why);
  for (const char* name : {"spool.db", "spool.db-wal"}) {
    INFO(name);
    CHECK(test::owner_only(f.dir / name));
  }
}

TEST_CASE("a spool briefly locked by another connection is waited for, never moved aside") {
  Fixture f;
  std::string spool_id;
  {
    OpenReport report;
    spool_id = f.open(report)->spool_id();
  }
  auto other = sqlite::Database::open(f.dir / "spool.db", sqlite::Database::Mode::kReadWrite);
  REQUIRE(other);
  REQUIRE(other->exec("BEGIN EXCLUSIVE"));
  // The other tool holds its lock for a while (the scenario's duration, not a wait for anything)
  // while the spool opens. Catch's assertions are not thread-safe: the result is checked here.
  bool committed = false;
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    committed = static_cast<bool>(other->exec("COMMIT"));
  });
  OpenReport report;
  auto spool = Spool::open(f.options(), report);
  release.join();
  CHECK(committed);
  REQUIRE(spool);
  CHECK_FALSE(report.corrupt_moved_to);
  CHECK((*spool)->spool_id() == spool_id);
}

// Makes a spool with two batches in it, then overwrites its third page with garbage, keeping the
// SQLite header (page 1). The page size is in the header, bytes 16-17, big-endian. Returns the
// spool's id.
std::string make_damaged_spool(const Fixture& f) {
  std::string old_id;
  {
    OpenReport report;
    auto spool = f.open(report);
    old_id = spool->spool_id();
    Commit commit;
    commit.source = "sis";
    commit.batches = {batch("users", std::string(20000, 'x'), 1)};
    REQUIRE(spool->commit(commit));
    REQUIRE(spool->commit(commit));
  }
  std::fstream file(f.dir / "spool.db", std::ios::in | std::ios::out | std::ios::binary);
  unsigned char header[18] = {};
  file.read(reinterpret_cast<char*>(header), sizeof header);
  const std::size_t page_size = (std::size_t{header[16]} << 8) | header[17];
  REQUIRE(page_size >= 512);
  REQUIRE(std::filesystem::file_size(f.dir / "spool.db") >= 3 * page_size);
  file.seekp(static_cast<std::streamoff>(page_size * 2));
  const std::string garbage(page_size, '\x5a');
  file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  return old_id;
}

TEST_CASE("a corrupt spool is moved aside and a new one with a new spool_id starts") {
  Fixture f;
  const std::string old_id = make_damaged_spool(f);
  OpenReport report;
  auto spool = f.open(report);
  CHECK(report.created);
  REQUIRE(report.corrupt_moved_to);
  CHECK(std::filesystem::exists(*report.corrupt_moved_to));
  CHECK(spool->spool_id() != old_id);
  CHECK(spool->stats().value().next_seq == 1);
}

// A disk on which nothing can be renamed (full, or a folder the agent may not write).
class NoRenames final : public env::RealFileSystem {
 public:
  Result<void> rename(const std::filesystem::path& from,
                      const std::filesystem::path&) const override {
    return make_error(ErrorCode::kIo, "cannot rename {}: No space left on device", from.string());
  }
};

TEST_CASE("a corrupt spool that cannot be moved aside is left as it is, and the start says why") {
  Fixture f;
  make_damaged_spool(f);
  const std::string before = test::read_file(f.dir / "spool.db");
  NoRenames no_renames;
  Options options = f.options();
  options.file_system = &no_renames;
  OpenReport report;
  auto spool = Spool::open(options, report);
  REQUIRE_FALSE(spool);
  CHECK(spool.error().code == ErrorCode::kIo);
  CHECK_THAT(spool.error().message, Catch::Contains("is damaged and cannot be moved aside") &&
                                        Catch::Contains("No space left on device") &&
                                        Catch::Contains("nothing was changed"));
  CHECK_FALSE(report.created);
  CHECK(test::read_file(f.dir / "spool.db") == before);
}

}  // namespace
}  // namespace ferry::spool
