// BatchStore on its own: seqs and sealing, room (pause, drop_oldest, protect_through), delivery
// state (pending, ack, ack_through, reject, stats) and gaps.
#include "agent/spool/batch_store.hpp"

#include <random>

#include <catch2/catch.hpp>

#include "tests/agent/spool/spool_db.hpp"

namespace ferry::spool {
namespace {

using test::new_batch;
using test::SpoolDb;

// Text that zstd cannot shrink, so that batches have a size on disk.
std::string incompressible(std::size_t size, unsigned seed) {
  std::mt19937 random(seed);
  std::string text;
  for (std::size_t i = 0; i < size; ++i) text.push_back(static_cast<char>(random() & 0xff));
  return text;
}

std::vector<std::uint64_t> insert(sqlite::Database& db, BatchStore& store,
                                  const std::vector<NewBatch>& batches) {
  auto txn = sqlite::Transaction::begin(db).value();
  auto seqs = store.insert(batches, "");
  REQUIRE(seqs);
  REQUIRE(txn.commit());
  return *seqs;
}

std::vector<std::uint64_t> pending_seqs(BatchStore& store) {
  std::vector<std::uint64_t> seqs;
  const auto pending = store.pending(0, 100).value();
  for (const StoredBatch& batch : pending) seqs.push_back(batch.seq);
  return seqs;
}

TEST_CASE("batch store numbers batches from next_seq, and a rolled-back insert takes no seq") {
  SpoolDb site;
  BatchStore store(site.db, site.options(), site.spool_id);
  CHECK(insert(site.db, store, {new_batch("sis", "{}\n"), new_batch("sis", "{}\n")}) ==
        std::vector<std::uint64_t>{1, 2});
  {
    auto txn = sqlite::Transaction::begin(site.db).value();
    CHECK(store.insert({new_batch("sis", "{}\n")}, "").value() == std::vector<std::uint64_t>{3});
  }  // rolled back
  CHECK(store.stats().value().next_seq == 3);
  CHECK(pending_seqs(store) == std::vector<std::uint64_t>{1, 2});
  CHECK(insert(site.db, store, {new_batch("sis", "{}\n")}) == std::vector<std::uint64_t>{3});
}

TEST_CASE("batch store seals each batch to the tenant, a commit's source overrides the batch's") {
  SpoolDb site;
  BatchStore store(site.db, site.options(), site.spool_id);
  auto txn = sqlite::Transaction::begin(site.db).value();
  REQUIRE(store.insert({new_batch("lms", "{\"a\":1}\n", 1)}, "sis"));
  REQUIRE(store.insert({new_batch("lms", "{\"b\":1}\n", 1, "erase")}, ""));
  REQUIRE(txn.commit());
  const auto pending = store.pending(0, 10).value();
  REQUIRE(pending.size() == 2);
  CHECK(pending[0].source == "sis");
  CHECK(pending[1].source == "lms");
  CHECK(pending[1].kind == "erase");
  auto opened = frame::open(pending[0].frame, site.tenant.private_key);
  REQUIRE(opened);
  CHECK(opened->header.seq == 1);
  CHECK(opened->header.batch_id == pending[0].batch_id);
  CHECK(opened->header.spool_id == site.spool_id);
  CHECK(opened->header.agent_id == "school-042");
  CHECK(opened->header.tenant_id == "district-7");
  CHECK(opened->header.source == "sis");
  CHECK(opened->header.key_version == 1);
  CHECK(opened->plaintext == "{\"a\":1}\n");
}

TEST_CASE("with when_full pause, a batch that does not fit is refused and nothing changes") {
  SpoolDb site;
  BatchStore store(site.db, site.options(3000), site.spool_id);
  insert(site.db, store, {new_batch("sis", incompressible(1500, 1))});
  auto txn = sqlite::Transaction::begin(site.db).value();
  CHECK(store.make_room_for({new_batch("sis", "{}\n")}));  // small enough
  auto full = store.make_room_for({new_batch("sis", incompressible(1500, 2))});
  REQUIRE_FALSE(full);
  CHECK(full.error().code == ErrorCode::kFull);
  CHECK_THAT(full.error().message, Catch::Contains("nothing is lost"));
  CHECK(pending_seqs(store) == std::vector<std::uint64_t>{1});
  CHECK(store.stats().value().dropped_batches == 0);
  CHECK(store.gaps().value().empty());
}

TEST_CASE("drop_oldest drops the oldest unsent row batches, never protected, rejected or erase") {
  SpoolDb site;
  // seq 1 rows (on the wire), 2 erase, 3 rows (rejected), 4 rows, 5 rows, 6 rows.
  BatchStore filler(site.db, site.options(), site.spool_id);
  std::vector<NewBatch> batches;
  for (unsigned i = 1; i <= 6; ++i) {
    batches.push_back(new_batch("sis", incompressible(1000, i), i, i == 2 ? "erase" : "rows"));
  }
  insert(site.db, filler, batches);
  REQUIRE(filler.reject(3, "schema mismatch"));
  const auto stored = filler.pending(0, 10).value();
  const std::uint64_t used = filler.stats().value().bytes;
  const std::uint64_t seq4_bytes = stored[2].frame.size();
  const std::vector<NewBatch> next = {new_batch("sis", incompressible(1000, 7))};
  const std::uint64_t needed = next[0].compressed.size() + 512;

  // Room for the new batch once seq 4 and seq 5 are gone, not after seq 4 alone.
  BatchStore store(site.db,
                   site.options(used + needed - seq4_bytes - 1, config::WhenFull::kDropOldest),
                   site.spool_id);
  store.protect_through(1);
  store.protect_through(0);  // never lowered
  {
    auto txn = sqlite::Transaction::begin(site.db).value();
    REQUIRE(store.make_room_for(next));
    REQUIRE(txn.commit());
  }
  CHECK(pending_seqs(store) == std::vector<std::uint64_t>{1, 2, 6});
  const auto gaps = store.gaps().value();
  REQUIRE(gaps.size() == 2);
  CHECK(gaps[0].from_seq == 4);
  CHECK(gaps[0].to_seq == 4);
  CHECK(gaps[0].rows == 4);
  CHECK(gaps[0].reason == kDroppedReason);
  CHECK(gaps[1].from_seq == 5);
  CHECK(gaps[1].rows == 5);
  const auto stats = store.stats().value();
  CHECK(stats.dropped_batches == 2);
  CHECK(stats.batches == 4);
  CHECK(stats.rejected == 1);

  // Left: the protected batch, the erase batch, the rejected one and seq 6, protected next.
  store.protect_through(6);
  auto txn = sqlite::Transaction::begin(site.db).value();
  auto full = store.make_room_for({new_batch("sis", incompressible(5000, 8))});
  REQUIRE_FALSE(full);
  CHECK(full.error().code == ErrorCode::kFull);
  CHECK_THAT(full.error().message, Catch::Contains("nothing left to drop"));
}

TEST_CASE("acks remove batches, ack_through leaves the rejected ones, stats count what is left") {
  SpoolDb site;
  BatchStore store(site.db, site.options(), site.spool_id);
  insert(site.db, store,
         {new_batch("sis", "{}\n", 2), new_batch("sis", "{}\n", 2), new_batch("sis", "{}\n", 2),
          new_batch("sis", "{}\n", 2), new_batch("sis", "{}\n", 2)});
  REQUIRE(store.reject(2, "schema mismatch"));
  CHECK(pending_seqs(store) == std::vector<std::uint64_t>{1, 3, 4, 5});
  CHECK(store.pending(3, 1).value().front().seq == 4);
  REQUIRE(store.ack_through(3));
  CHECK(pending_seqs(store) == std::vector<std::uint64_t>{4, 5});
  REQUIRE(store.ack(5));
  const auto stats = store.stats().value();
  CHECK(stats.batches == 2);  // seq 2 (rejected) and seq 4
  CHECK(stats.rejected == 1);
  CHECK(stats.bytes > 0);
  CHECK(stats.oldest_created_unix > 0);
  CHECK(stats.next_seq == 6);
  REQUIRE(store.ack(2));
  REQUIRE(store.ack(4));
  CHECK(store.stats().value().oldest_created_unix == 0);
}

TEST_CASE("unsent row batches can be removed as a gap, which is kept until settled") {
  SpoolDb site;
  BatchStore store(site.db, site.options(), site.spool_id);
  insert(site.db, store,
         {new_batch("sis", "{}\n", 1), new_batch("lms", "{}\n", 2),
          new_batch("sis", "{}\n", 1, "erase"), new_batch("sis", "{}\n", 3),
          new_batch("sis", "{}\n", 4)});
  REQUIRE(store.reject(4, "schema mismatch"));
  const auto unsent = store.unsent_rows_after(1).value();
  REQUIRE(unsent.size() == 2);
  CHECK(unsent[0].seq == 2);
  CHECK(unsent[0].rows == 2);
  CHECK(unsent[0].source == "lms");
  CHECK(unsent[1].seq == 5);

  auto txn = sqlite::Transaction::begin(site.db).value();
  REQUIRE(store.remove_as_gap(1, 2, 3, kWithheldReason));
  REQUIRE(store.remove_as_gap(5, 5, 4, kDroppedReason));
  REQUIRE(txn.commit());
  CHECK(pending_seqs(store) == std::vector<std::uint64_t>{3});
  auto gaps = store.gaps().value();
  REQUIRE(gaps.size() == 2);
  CHECK(gaps[0].from_seq == 1);
  CHECK(gaps[0].to_seq == 2);
  CHECK(gaps[0].rows == 3);
  CHECK(gaps[0].reason == kWithheldReason);
  REQUIRE(store.settle_gaps(4));
  CHECK(store.gaps().value().size() == 1);
  REQUIRE(store.settle_gaps(5));
  CHECK(store.gaps().value().empty());
}

TEST_CASE("a gaps table made before gaps had a reason gets one, defaulting to a drop") {
  SpoolDb site;
  REQUIRE(site.db.exec(
      "DROP TABLE gaps; CREATE TABLE gaps(from_seq INTEGER NOT NULL, to_seq INTEGER NOT NULL, "
      "rows INTEGER NOT NULL, created_unix INTEGER NOT NULL); "
      "INSERT INTO gaps VALUES (3, 4, 10, 0);"));
  REQUIRE(BatchStore::migrate(site.db));
  REQUIRE(BatchStore::migrate(site.db));  // a no-op the second time
  BatchStore store(site.db, site.options(), site.spool_id);
  const auto gaps = store.gaps().value();
  REQUIRE(gaps.size() == 1);
  CHECK(gaps[0].rows == 10);
  CHECK(gaps[0].reason == kDroppedReason);
}

}  // namespace
}  // namespace ferry::spool
