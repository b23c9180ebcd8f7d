// ChangeStore on its own: entries wait as runs until merged, are applied in the order they were
// written (through compaction when there are more runs than the fan-in), and go with erase_keys()
// and forget(). The paged store under it is checked against a model in digest_store_test.cpp.
#include "agent/spool/change_store.hpp"

#include <catch2/catch.hpp>

#include "tests/agent/spool/spool_db.hpp"

namespace ferry::spool {
namespace {

using Digest = ChangeStore::Digest;

// A fresh spool database and a change store on it, merging `fan_in` runs at once.
struct Site {
  explicit Site(std::size_t fan_in = 512) : changes(spool.db, fan_in) {}

  void merge(std::string_view source) {
    auto txn = sqlite::Transaction::begin(spool.db).value();
    REQUIRE(changes.merge(source));
    REQUIRE(txn.commit());
  }
  std::int64_t waiting_runs() { return spool.number("SELECT count(*) FROM digest_runs"); }

  test::SpoolDb spool;
  ChangeStore changes;
};

DigestUpdate upsert(std::string key, std::uint8_t digest) {
  return {"users", std::move(key), Digest{digest}};
}

TEST_CASE("change entries are read only once merged, the later of two for a key winning") {
  Site site;
  REQUIRE(site.changes.append("sis", 3, {upsert("\"p1.a\"", 1), upsert("\"p1.b\"", 1)}));
  REQUIRE(site.changes.append("sis", 4, {upsert("\"p1.a\"", 2), {"users", "\"p1.b\"", {}}}));
  CHECK_FALSE(site.changes.any("sis", "users").value());
  CHECK(site.waiting_runs() == 2);
  site.merge("sis");
  CHECK(site.waiting_runs() == 0);
  CHECK(site.changes.find("sis", "users", "\"p1.a\"").value() == std::optional<Digest>(Digest{2}));
  CHECK_FALSE(site.changes.find("sis", "users", "\"p1.b\"").value());
  CHECK(site.changes.count("sis", "users").value() == 1);
  CHECK(site.changes.any("sis", "users").value());
  CHECK_FALSE(site.changes.any("lms", "users").value());
}

TEST_CASE("keys seen unchanged keep their digest and move to the new run") {
  Site site;
  REQUIRE(site.changes.append("sis", 1, {upsert("\"p1.a\"", 7), upsert("\"p1.b\"", 7)}));
  REQUIRE(site.changes.mark_seen("sis", "users", {}, 2));  // stores nothing
  CHECK(site.waiting_runs() == 1);
  REQUIRE(site.changes.mark_seen("sis", "users", {"\"p1.b\""}, 2));
  site.merge("sis");
  CHECK(site.changes.find("sis", "users", "\"p1.b\"").value() == std::optional<Digest>(Digest{7}));
  CHECK(site.changes.not_seen("sis", "users", 2, "", 10).value() ==
        std::vector<std::string>{"\"p1.a\""});
  CHECK(site.changes.not_seen("sis", "users", 2, "\"p1.a\"", 10).value().empty());
}

TEST_CASE("more runs than the fan-in are compacted oldest first, keeping the order of updates") {
  Site site(2);
  for (std::uint8_t i = 1; i <= 7; ++i) {
    REQUIRE(site.changes.append(
        "sis", i, {upsert("\"p1.k\"", i), upsert("\"p1." + std::to_string(i) + "\"", i)}));
  }
  REQUIRE(site.changes.append("lms", 1, {upsert("\"p1.k\"", 99)}));
  site.merge("sis");
  CHECK(site.changes.find("sis", "users", "\"p1.k\"").value() == std::optional<Digest>(Digest{7}));
  CHECK(site.changes.count("sis", "users").value() == 8);
  // The other source's run waits for its own merge.
  CHECK(site.waiting_runs() == 1);
  CHECK_FALSE(site.changes.any("lms", "users").value());
}

TEST_CASE("erase_keys merges every source's waiting runs, then removes the keys everywhere") {
  Site site;
  REQUIRE(site.changes.append("sis", 1, {upsert("\"p1.x\"", 1), upsert("\"p1.keep\"", 1)}));
  site.merge("sis");
  REQUIRE(site.changes.append("lms", 1, {upsert("\"p1.x\"", 2)}));  // not merged yet
  auto txn = sqlite::Transaction::begin(site.spool.db).value();
  CHECK(site.changes.erase_keys({"\"p1.x\"", "\"p1.never\""}).value() == 2);
  REQUIRE(txn.commit());
  CHECK(site.waiting_runs() == 0);
  CHECK_FALSE(site.changes.find("sis", "users", "\"p1.x\"").value());
  CHECK_FALSE(site.changes.find("lms", "users", "\"p1.x\"").value());
  CHECK(site.changes.find("sis", "users", "\"p1.keep\"").value());
}

TEST_CASE("forget removes one source's waiting runs and stored entries, and only that source's") {
  Site site;
  REQUIRE(site.changes.append("sis", 1, {upsert("\"p1.a\"", 1)}));
  REQUIRE(site.changes.append("lms", 1, {upsert("\"p1.a\"", 1)}));
  site.merge("sis");
  site.merge("lms");
  REQUIRE(site.changes.append("sis", 2, {upsert("\"p1.b\"", 1)}));
  REQUIRE(site.changes.append("lms", 2, {upsert("\"p1.b\"", 1)}));
  auto txn = sqlite::Transaction::begin(site.spool.db).value();
  REQUIRE(site.changes.forget("sis"));
  REQUIRE(txn.commit());
  CHECK(site.waiting_runs() == 1);
  site.merge("sis");
  site.merge("lms");
  CHECK_FALSE(site.changes.any("sis", "users").value());
  CHECK(site.changes.count("lms", "users").value() == 2);
}

TEST_CASE("run numbers count up, are stored, and a rolled-back one is given again") {
  Site site;
  {
    auto txn = sqlite::Transaction::begin(site.spool.db).value();
    CHECK(site.changes.next_run().value() == 1);
    CHECK(site.changes.next_run().value() == 2);
    REQUIRE(txn.commit());
  }
  {
    auto txn = sqlite::Transaction::begin(site.spool.db).value();
    CHECK(site.changes.next_run().value() == 3);
  }  // rolled back
  ChangeStore reopened(site.spool.db, 512);
  CHECK(reopened.next_run().value() == 3);
}

}  // namespace
}  // namespace ferry::spool
