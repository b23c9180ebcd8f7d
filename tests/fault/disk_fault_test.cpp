// A full disk and failing writes and syncs under the spool, through the fault VFS
// (tests/support/fault_vfs.hpp), with the spool-level oracle (spool_ledger.hpp): the operation
// that meets the fault fails with the reason, nothing the spool acknowledged before is lost, and
// once the fault is gone the same spool goes on (and a reopened one holds the same).
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <sqlite3.h>

#include "agent/spool/spool.hpp"
#include "common/crypto/x25519.hpp"
#include "tests/fault/spool_ledger.hpp"
#include "tests/support/fault_vfs.hpp"
#include "tests/support/temp_dir.hpp"

namespace ferry {
namespace {

using test::FaultVfs;

struct DiskSite {
  test::TempDir dir;
  crypto::X25519KeyPair tenant = crypto::x25519_generate_keypair().value();
  test::FaultVfs vfs{dir.path()};
  test::SpoolLedger ledger{tenant.private_key};
  int checkpoint_pages = 4096;

  std::unique_ptr<spool::Spool> open() const {
    spool::Options o = test::ledger_spool_options(dir.path(), tenant.public_key);
    o.checkpoint_pages = checkpoint_pages;
    spool::OpenReport report;
    auto spool = spool::Spool::open(o, report);
    REQUIRE(spool);
    CHECK_FALSE(report.corrupt_moved_to);
    return std::move(*spool);
  }

  std::string integrity() const { return test::integrity_of(dir / "spool.db"); }

  // What the spool holds matches the ledger, on this connection and on a new one.
  void check_and_reopen(std::unique_ptr<spool::Spool>& spool) {
    const auto problems = ledger.check(*spool);
    INFO(fmt::format("{}", fmt::join(problems, "\n")));
    CHECK(problems.empty());
    spool.reset();
    CHECK(integrity() == "ok");
    spool = open();
    const auto again = ledger.check(*spool);
    INFO(fmt::format("{}", fmt::join(again, "\n")));
    CHECK(again.empty());
  }
};

// How many writes one more commit makes (its WAL frames), measured on the spool as it is.
std::uint64_t writes_per_commit(DiskSite& site, spool::Spool& spool) {
  const std::uint64_t before = site.vfs.operations();
  REQUIRE(site.ledger.write(spool, 1));
  return site.vfs.operations() - before - 1;  // less the commit's sync
}

TEST_CASE("a full disk fails the commit it meets, loses nothing, and the spool goes on") {
  DiskSite site;
  auto spool = site.open();
  REQUIRE(site.ledger.write(*spool, 7));
  const std::uint64_t frames = writes_per_commit(site, *spool);
  REQUIRE(frames >= 2);

  SECTION("at the insert: the transaction's first write") {
    site.vfs.fail(FaultVfs::Op::kWrite, FaultVfs::File::kWal, SQLITE_FULL);
  }
  SECTION("at the commit: the transaction's last write") {
    site.vfs.fail(FaultVfs::Op::kWrite, FaultVfs::File::kWal, SQLITE_FULL, frames);
  }
  for (int attempt = 0; attempt < 3; ++attempt) {
    CHECK_FALSE(site.ledger.write(*spool, 1));
    CHECK_THAT(site.ledger.last_error(),
               Catch::Contains("spool.db") && Catch::Contains("disk is full"));
  }
  CHECK(site.vfs.faults_returned() >= 3);
  site.vfs.clear_faults();
  site.check_and_reopen(spool);
  CHECK(site.ledger.write(*spool, 5));
  site.check_and_reopen(spool);
}

TEST_CASE("a full disk fails an ack, which deletes nothing, and the ack succeeds later") {
  DiskSite site;
  auto spool = site.open();
  REQUIRE(site.ledger.write(*spool, 4));
  const auto before = spool->stats().value();
  site.vfs.fail(FaultVfs::Op::kWrite, FaultVfs::File::kWal, SQLITE_FULL);
  CHECK_FALSE(site.ledger.ack_oldest(*spool));
  CHECK(spool->stats().value().batches == before.batches);
  site.vfs.clear_faults();
  site.check_and_reopen(spool);
  CHECK(site.ledger.ack_oldest(*spool));
  CHECK(spool->stats().value().batches == before.batches - 1);
  site.check_and_reopen(spool);
}

TEST_CASE("a full disk at checkpoints leaves commits working, and the WAL is folded in later") {
  DiskSite site;
  site.checkpoint_pages = 8;  // a checkpoint after nearly every commit
  auto spool = site.open();
  REQUIRE(site.ledger.write(*spool, 3));
  site.vfs.fail(FaultVfs::Op::kWrite, FaultVfs::File::kDatabase, SQLITE_FULL);
  CHECK(site.ledger.write(*spool, 20));  // the WAL holds them; the checkpoints fail quietly
  CHECK(site.vfs.faults_returned() > 0);
  const auto wal_full = std::filesystem::file_size(site.dir / "spool.db-wal");
  site.vfs.clear_faults();
  CHECK(site.ledger.write(*spool, 12));
  site.check_and_reopen(spool);
  // Folded in: the WAL was restarted from its beginning, so it did not grow beyond its size at
  // the fault's end.
  CHECK(std::filesystem::file_size(site.dir / "spool.db-wal") <= wal_full);
}

TEST_CASE(
    "an I/O error on a write or a sync fails the commit, and reopened, nothing committed is lost") {
  DiskSite site;
  auto spool = site.open();
  REQUIRE(site.ledger.write(*spool, 5));
  SECTION("on a write") {
    site.vfs.fail(FaultVfs::Op::kWrite, FaultVfs::File::kWal, SQLITE_IOERR_WRITE);
  }
  SECTION("on the commit's sync") {
    site.vfs.fail(FaultVfs::Op::kSync, FaultVfs::File::kWal, SQLITE_IOERR_FSYNC);
  }
  CHECK_FALSE(spool->storage_failed());
  CHECK_FALSE(site.ledger.write(*spool, 1));
  CHECK_THAT(site.ledger.last_error(),
             Catch::Contains("spool.db") && Catch::Contains("disk I/O error"));
  site.vfs.clear_faults();
  // This connection no longer knows what the disk holds: it writes nothing more, though the
  // disk works again (the agent exits and its service manager starts it again).
  CHECK(spool->storage_failed());
  CHECK_FALSE(site.ledger.write(*spool, 1));
  CHECK_THAT(site.ledger.last_error(),
             Catch::Contains("not written: an earlier read, write or sync of it failed"));
  // Reopened, the failed commit is all there or not at all (a sync that failed may follow a
  // write that reached the disk); the ledger allows both, and nothing else.
  spool.reset();
  CHECK(site.integrity() == "ok");
  spool = site.open();
  CHECK_FALSE(spool->storage_failed());
  site.check_and_reopen(spool);
  CHECK(site.ledger.write(*spool, 4));
  site.check_and_reopen(spool);
}

}  // namespace
}  // namespace ferry
