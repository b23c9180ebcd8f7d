// Power cuts under the spool, through the fault VFS (tests/support/fault_vfs.hpp): at a chosen
// write, sync or truncation the power goes off, every write no completed sync covered is undone,
// and the spool is opened again and compared with what it acknowledged (spool_ledger.hpp).
//
// FERRY_POWER_LOSS_INSTANTS sets the number of instants (default 100); the extended suite's
// reliability part runs more.
#include <cstdlib>
#include <random>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "agent/spool/spool.hpp"
#include "common/crypto/x25519.hpp"
#include "tests/fault/spool_ledger.hpp"
#include "tests/support/fault_vfs.hpp"
#include "tests/support/temp_dir.hpp"

namespace ferry {
namespace {

int instants() {
  const char* text = std::getenv("FERRY_POWER_LOSS_INSTANTS");
  return text != nullptr ? std::max(1, std::atoi(text)) : 100;
}

struct PowerCutSite {
  test::TempDir dir;
  crypto::X25519KeyPair tenant = crypto::x25519_generate_keypair().value();
  test::FaultVfs vfs{dir.path()};
  test::SpoolLedger ledger{tenant.private_key};
  std::mt19937 random{20261207};

  spool::Options options(bool synchronous_full) const {
    spool::Options o = test::ledger_spool_options(dir.path(), tenant.public_key);
    o.synchronous_full = synchronous_full;
    o.checkpoint_pages = 24;  // a checkpoint every few commits, so cuts land in them too
    return o;
  }

  // The database as a power cut left it, before the spool judges it.
  std::string integrity() const { return test::integrity_of(dir / "spool.db"); }
};

struct CutReport {
  int instants = 0;
  int cuts = 0;  // instants at which the power did go off mid-work
  std::vector<std::string> problems;
};

// Opens, checks, writes until the power goes off at a random operation, closes, restores.
CutReport cut_power(PowerCutSite& site, bool synchronous_full, int count) {
  CutReport report;
  {
    spool::OpenReport opened;
    auto spool = spool::Spool::open(site.options(synchronous_full), opened).value();
    REQUIRE(site.ledger.write(*spool, 6));  // no fault yet: a spool with batches to lose
  }
  for (int instant = 0; instant < count; ++instant) {
    ++report.instants;
    const std::string integrity = site.integrity();
    if (integrity != "ok") {
      report.problems.push_back(fmt::format("instant {}: integrity_check: {}", instant, integrity));
    }
    spool::OpenReport opened;
    auto spool = spool::Spool::open(site.options(synchronous_full), opened);
    if (!spool) {
      report.problems.push_back(
          fmt::format("instant {}: the spool does not open: {}", instant, spool.error().message));
      break;
    }
    if (opened.created || opened.corrupt_moved_to) {
      report.problems.push_back(fmt::format("instant {}: the spool was started anew ({})", instant,
                                            opened.corrupt_reason));
    }
    for (auto& problem : site.ledger.check(**spool)) {
      report.problems.push_back(fmt::format("instant {}: {}", instant, problem));
    }
    site.vfs.power_loss_at(std::uniform_int_distribution<std::uint64_t>(1, 160)(site.random));
    site.ledger.write(**spool, 40);
    if (site.vfs.powered_off()) ++report.cuts;
    spool->reset();  // the process is gone: nothing more reaches the disk
    site.vfs.restore_synced_state();
  }
  return report;
}

TEST_CASE("power cuts at random writes and syncs lose nothing the spool acknowledged") {
  PowerCutSite site;
  const CutReport report = cut_power(site, true, instants());
  INFO(fmt::format("{}", fmt::join(report.problems, "\n")));
  CHECK(report.problems.empty());
  CHECK(report.cuts > report.instants / 2);  // most instants cut the power mid-work
  CHECK(site.ledger.commits_acknowledged() > 100);
}

TEST_CASE("negative control: with synchronous=NORMAL the oracle sees what a power cut loses") {
  // Proof that the test above has teeth: without a sync at each commit, a cut loses commits that
  // had returned, and the same oracle says so.
  PowerCutSite site;
  const CutReport report = cut_power(site, false, std::min(instants(), 30));
  INFO(fmt::format("{}", fmt::join(report.problems, "\n")));
  CHECK(report.cuts > 0);
  CHECK_FALSE(report.problems.empty());
  bool lost = false;
  for (const auto& problem : report.problems) {
    lost = lost || problem.find("was lost") != std::string::npos ||
           problem.find("given twice") != std::string::npos;
  }
  CHECK(lost);
}

}  // namespace
}  // namespace ferry
