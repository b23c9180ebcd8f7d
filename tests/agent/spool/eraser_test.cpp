// Eraser on its own, over real parts: the erasures count and the commit check, what one erasure
// writes (digests, withheld batches as gaps, source resets, the erase batch), and source resets.
// Spool-level behaviour (erase batches never dropped, refused commits) is in spool_erase_test.cpp.
#include "agent/spool/eraser.hpp"

#include <catch2/catch.hpp>

#include "tests/agent/spool/spool_db.hpp"

namespace ferry::spool {
namespace {

using test::new_batch;

struct Site {
  test::SpoolDb spool;
  BatchStore batches{spool.db, spool.options(), spool.spool_id};
  ChangeStore changes{spool.db, 512};
  SourceStates states{spool.db};
  Eraser eraser{spool.db, batches, changes, states};

  // One committed row batch of `source` (`rows` rows) with a digest for `key`, and its state.
  std::uint64_t spool_rows(const std::string& source, const std::string& key,
                           std::uint64_t rows = 1) {
    auto txn = sqlite::Transaction::begin(spool.db).value();
    const auto seq = batches.insert({new_batch(source, "{}\n", rows)}, source).value().front();
    REQUIRE(changes.append(source, 1, {{"users", key, ChangeStore::Digest{1}}}));
    REQUIRE(states.put(source, "state-" + source));
    REQUIRE(txn.commit());
    return seq;
  }

  Erasure erasure(std::vector<std::string> keys, std::uint64_t withhold_after) const {
    Erasure e;
    e.keys = std::move(keys);
    e.withhold_after = withhold_after;
    e.batch = new_batch("", "{\"domain\":\"user\",\"token\":\"p1.x\"}\n", 1, "erase");
    return e;
  }

  Result<ErasureReport> erase(const Erasure& e) {
    auto txn = sqlite::Transaction::begin(spool.db).value();
    auto report = eraser.erase(e);
    if (report) REQUIRE(txn.commit());
    return report;
  }
};

TEST_CASE("each erasure is counted, and a count taken before it no longer passes the check") {
  Site site;
  CHECK(site.eraser.erasures().value() == 0);
  CHECK(site.eraser.check_current(0, "sis"));
  REQUIRE(site.erase(site.erasure({"\"p1.a\""}, 0)));
  CHECK(site.eraser.erasures().value() == 1);
  auto stale = site.eraser.check_current(0, "sis");
  REQUIRE_FALSE(stale);
  CHECK(stale.error().code == ErrorCode::kConflict);
  CHECK_THAT(stale.error().message, Catch::Contains("source 'sis'"));
  CHECK(site.eraser.check_current(1, "sis"));
}

TEST_CASE("an erasure withholds each unbroken range of unsent row batches as one gap") {
  Site site;
  const auto sent = site.spool_rows("sis", "\"p1.a\"", 1);  // seq 1: may be on the wire
  site.spool_rows("sis", "\"p1.b\"", 2);                    // seq 2
  site.spool_rows("sis", "\"p1.c\"", 4);                    // seq 3: rejected, kept
  site.spool_rows("lms", "\"p1.d\"", 8);                    // seq 4
  site.spool_rows("sis", "\"p1.e\"", 16);                   // seq 5
  REQUIRE(site.batches.reject(3, "schema mismatch"));
  REQUIRE(site.states.put("crm", "untouched"));

  const auto report = site.erase(site.erasure({"\"p1.a\""}, sent)).value();
  CHECK(report.digests_removed == 1);
  CHECK(report.withheld_batches == 3);
  CHECK(report.withheld_rows == 26);
  CHECK(report.sources_reset == std::vector<std::string>{"sis", "lms"});
  CHECK(report.seq == 6);

  const auto gaps = site.batches.gaps().value();
  REQUIRE(gaps.size() == 2);
  CHECK((gaps[0].from_seq == 2 && gaps[0].to_seq == 2 && gaps[0].rows == 2));
  CHECK((gaps[1].from_seq == 4 && gaps[1].to_seq == 5 && gaps[1].rows == 24));
  CHECK(gaps[1].reason == kWithheldReason);
  const auto pending = site.batches.pending(0, 10).value();
  REQUIRE(pending.size() == 2);
  CHECK(pending[0].seq == 1);
  CHECK(pending[1].seq == 6);
  CHECK(pending[1].kind == "erase");
  CHECK(site.batches.stats().value().rejected == 1);
  // The reset sources are read again from the beginning; another source keeps its state.
  CHECK_FALSE(site.states.get("sis").value());
  CHECK_FALSE(site.states.get("lms").value());
  CHECK(site.states.get("crm").value() == "untouched");
  CHECK(site.spool.number("SELECT count(*) FROM digest_runs") == 0);
  CHECK_FALSE(site.changes.any("sis", "users").value());
}

TEST_CASE("an erasure whose transaction is rolled back leaves the spool as it was") {
  Site site;
  site.spool_rows("sis", "\"p1.a\"");
  {
    auto txn = sqlite::Transaction::begin(site.spool.db).value();
    REQUIRE(site.eraser.erase(site.erasure({"\"p1.a\""}, 0)));
  }  // rolled back
  CHECK(site.eraser.erasures().value() == 0);
  CHECK(site.batches.pending(0, 10).value().size() == 1);
  CHECK(site.batches.gaps().value().empty());
  CHECK(site.states.get("sis").value() == "state-sis");
  CHECK(site.spool.number("SELECT count(*) FROM digest_runs") == 1);
}

TEST_CASE("resetting a source forgets its state and change-detection entries, and only its own") {
  Site site;
  site.spool_rows("sis", "\"p1.a\"");
  site.spool_rows("lms", "\"p1.a\"");
  auto txn = sqlite::Transaction::begin(site.spool.db).value();
  REQUIRE(site.changes.merge("sis"));
  REQUIRE(site.eraser.reset_source("sis"));
  REQUIRE(txn.commit());
  CHECK_FALSE(site.states.get("sis").value());
  CHECK_FALSE(site.changes.any("sis", "users").value());
  CHECK(site.states.get("lms").value() == "state-lms");
  CHECK(site.spool.number("SELECT count(*) FROM digest_runs WHERE source = 'lms'") == 1);
  // Batches are not a source's state: they stay.
  CHECK(site.batches.pending(0, 10).value().size() == 2);
}

}  // namespace
}  // namespace ferry::spool
