// Spool::erase(): change-detection entries go, unsent row batches are withheld (recorded as a gap
// and their sources reset), the erase batch is appended, and runs that read before the erasure
// cannot commit after it.
#include <functional>

#include <catch2/catch.hpp>

#include "agent/spool/spool.hpp"
#include "common/crypto/x25519.hpp"
#include "common/frame/frame.hpp"
#include "tests/support/temp_dir.hpp"

namespace ferry::spool {
namespace {

struct Site {
  test::TempDir dir;
  crypto::X25519KeyPair tenant = crypto::x25519_generate_keypair().value();
  std::unique_ptr<Spool> spool;

  // `adjust` changes the spool's options (its size, when_full) before it is opened.
  explicit Site(const std::function<void(Options&)>& adjust = {}) {
    Options options;
    options.path = dir / "spool.db";
    options.agent_id = "school-042";
    options.tenant_id = "district-7";
    options.tenant_public_key = tenant.public_key;
    if (adjust) adjust(options);
    OpenReport report;
    spool = std::move(Spool::open(options, report).value());
  }

  // One batch of `source`/users with one digest for `key`, and the source's state.
  std::uint64_t spool_rows(const std::string& source, const std::string& key) {
    Commit commit;
    commit.source = source;
    NewBatch batch;
    batch.stream = "users";
    batch.rows = 2;
    batch.key_version = 1;
    batch.compressed = frame::zstd_compress("{}\n{}\n").value();
    commit.batches.push_back(std::move(batch));
    commit.digests.push_back({"users", key, std::array<std::uint8_t, 16>{1}});
    commit.state = "state-" + source;
    return spool->commit(commit).value().front();
  }

  Erasure erasure(std::vector<std::string> keys, std::uint64_t withhold_after) const {
    Erasure e;
    e.keys = std::move(keys);
    e.withhold_after = withhold_after;
    e.batch.kind = "erase";
    e.batch.rows = 1;
    e.batch.key_version = 1;
    e.batch.compressed = frame::zstd_compress(R"({"domain":"user","token":"p1.x"})"
                                              "\n")
                             .value();
    return e;
  }
};

TEST_CASE("erase removes the subject's change-detection entries in every source") {
  Site site;
  site.spool_rows("sis", "\"p1.subject\"");
  site.spool_rows("lms", "\"p1.subject\"");
  site.spool_rows("sis", "\"p1.other\"");
  for (const char* source : {"sis", "lms"}) REQUIRE(site.spool->merge_digests(source));
  // Sent already: nothing to withhold.
  auto report = site.spool->erase(site.erasure({"\"p1.subject\""}, 100));
  REQUIRE(report);
  CHECK(report->digests_removed == 2);
  CHECK(report->withheld_batches == 0);
  CHECK_FALSE(site.spool->digest("sis", "users", "\"p1.subject\"").value());
  CHECK_FALSE(site.spool->digest("lms", "users", "\"p1.subject\"").value());
  CHECK(site.spool->digest("sis", "users", "\"p1.other\"").value());
  // Unmerged journal entries go too.
  site.spool_rows("sis", "\"p1.late\"");
  auto again = site.spool->erase(site.erasure({"\"p1.late\""}, 100));
  REQUIRE(again);
  CHECK(again->digests_removed == 1);
  REQUIRE(site.spool->merge_digests("sis"));
  CHECK_FALSE(site.spool->digest("sis", "users", "\"p1.late\"").value());
}

TEST_CASE("erase withholds unsent row batches, records the gap and resets their sources") {
  Site site;
  const auto first = site.spool_rows("sis", "\"p1.a\"");   // on the wire already
  const auto second = site.spool_rows("sis", "\"p1.b\"");  // unsent
  const auto third = site.spool_rows("lms", "\"p1.c\"");   // unsent
  auto report = site.spool->erase(site.erasure({"\"p1.a\""}, first));
  REQUIRE(report);
  CHECK(report->withheld_batches == 2);
  CHECK(report->withheld_rows == 4);
  CHECK(report->sources_reset == std::vector<std::string>{"sis", "lms"});
  CHECK(report->seq == third + 1);

  auto pending = site.spool->pending(0, 10).value();
  REQUIRE(pending.size() == 2);
  CHECK(pending[0].seq == first);
  CHECK(pending[1].seq == report->seq);
  CHECK(pending[1].kind == "erase");
  auto gaps = site.spool->gaps().value();
  REQUIRE(gaps.size() == 1);
  CHECK(gaps[0].from_seq == second);
  CHECK(gaps[0].to_seq == third);
  CHECK(gaps[0].rows == 4);
  CHECK(gaps[0].reason == kWithheldReason);
  // Both sources are read again from the beginning.
  CHECK_FALSE(site.spool->source_state("sis").value());
  CHECK_FALSE(site.spool->source_state("lms").value());
  CHECK(site.spool->count_keys("sis", "users").value() == 0);
}

TEST_CASE("an earlier erase batch is never withheld by a later erasure") {
  Site site;
  auto first = site.spool->erase(site.erasure({"\"p1.a\""}, 0));
  REQUIRE(first);
  auto second = site.spool->erase(site.erasure({"\"p1.b\""}, 0));
  REQUIRE(second);
  CHECK(second->withheld_batches == 0);
  auto pending = site.spool->pending(0, 10).value();
  REQUIRE(pending.size() == 2);
  CHECK(pending[0].kind == "erase");
  CHECK(pending[1].kind == "erase");
  CHECK(site.spool->erasures().value() == 2);
}

TEST_CASE("a commit made under an older erasure count is refused, and nothing of it is kept") {
  Site site;
  const auto before = site.spool->erasures().value();
  REQUIRE(site.spool->erase(site.erasure({"\"p1.a\""}, 0)));
  Commit commit;
  commit.source = "sis";
  commit.erasures = before;
  NewBatch batch;
  batch.stream = "users";
  batch.rows = 1;
  batch.compressed = frame::zstd_compress("{}\n").value();
  commit.batches.push_back(batch);
  commit.state = "advanced";
  auto refused = site.spool->commit(commit);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ErrorCode::kConflict);
  CHECK_FALSE(site.spool->source_state("sis").value());
  CHECK(site.spool->pending(0, 10).value().size() == 1);  // the erase batch only
  commit.erasures = site.spool->erasures().value();
  CHECK(site.spool->commit(commit));
}

TEST_CASE("the erase batch goes in even when the spool is full") {
  Site site([](Options& options) { options.max_bytes = 1; });  // nothing fits
  auto erased = site.spool->erase(site.erasure({"\"p1.a\""}, 0));
  REQUIRE(erased);
  CHECK(site.spool->pending(0, 10).value().size() == 1);
}

TEST_CASE("drop_oldest never drops an erase batch to make room") {
  Site site([](Options& options) {
    options.max_bytes = 4000;
    options.when_full = config::WhenFull::kDropOldest;
  });
  auto& spool = site.spool;
  const auto erase_seq = spool->erase(site.erasure({"\"p1.a\""}, 0)).value().seq;
  // Row batches that together overflow the spool: the oldest rows go, the erase batch stays.
  for (int i = 0; i < 6; ++i) {
    Commit commit;
    commit.source = "sis";
    NewBatch batch;
    batch.stream = "users";
    batch.rows = 1;
    std::string text(1000, static_cast<char>('a' + i));
    for (std::size_t j = 0; j < text.size(); ++j) text[j] = static_cast<char>((j * 7919 + i) % 251);
    batch.compressed = frame::zstd_compress(text).value();
    commit.batches.push_back(std::move(batch));
    REQUIRE(spool->commit(commit));
  }
  auto pending = spool->pending(0, 100).value();
  REQUIRE_FALSE(pending.empty());
  CHECK(pending.front().seq == erase_seq);
  CHECK(pending.front().kind == "erase");
  CHECK_FALSE(spool->gaps().value().empty());
}

}  // namespace
}  // namespace ferry::spool
