// Stale sources (collector/staleness.hpp) with scripted sources, a real spool and a fake clock: a
// source whose data stops changing turns stale once stale_after has passed, a change clears it,
// and when it last changed outlives a restart of the agent (the spool keeps it).
#include "agent/collector/staleness.hpp"

#include <chrono>

#include <catch2/catch.hpp>

#include "agent/collector/collector.hpp"
#include "common/crypto/x25519.hpp"
#include "tests/agent/support/scripted_source.hpp"
#include "tests/agent/support/test_spool.hpp"
#include "tests/netfault/wait_until.hpp"
#include "tests/support/fake_clock.hpp"
#include "tests/support/temp_dir.hpp"

namespace ferry::collector {
namespace {

using namespace std::chrono_literals;

const env::WallTime kStart = env::WallTime(std::chrono::seconds(1772446650));

// One source, `sis`, every 15 minutes, stale after 36 hours, over a spool in a temp folder that
// can be closed and opened again (an agent restart).
struct Site {
  test::TempDir dir;
  test::FakeClock clock{kStart};
  config::Settings settings;
  crypto::X25519KeyPair tenant = crypto::x25519_generate_keypair().value();
  std::unique_ptr<spool::Spool> spool;
  keys::Keyring keyring;
  std::shared_ptr<test::Script> script = std::make_shared<test::Script>();

  Site()
      : keyring(
            keys::Keyring::create(dir / "keyring.json", std::chrono::system_clock::now()).value()) {
    settings.agent.data_dir = dir.path();
    config::SourceSettings source;
    source.name = "sis";
    source.type = "scripted";
    source.schedule.every = 15min;
    source.stale_after = 36h;
    source.streams = {test::scripted_stream("users"), test::scripted_stream("classes")};
    settings.sources.push_back(source);
    open_spool();
  }

  void open_spool() { spool = test::open_test_spool(dir / "spool.db", tenant.public_key); }

  std::unique_ptr<Collector> collector() {
    CollectorOptions options;
    options.clock = &clock;
    options.make_source =
        [this](const config::SourceSettings&,
               const connectors::SourceContext&) -> Result<std::unique_ptr<connectors::Source>> {
      return std::make_unique<test::ScriptedSource>(script);
    };
    auto made = Collector::create(settings, *spool, keyring, options);
    REQUIRE(made);
    return std::move(*made);
  }
};

SourceStatus sis_of(const Collector& collector) {
  const auto all = collector.sources();
  REQUIRE(all.size() == 1);
  return all[0];
}

// Waits (in real time, with a deadline) for the run that makes `runs` runs in all.
void wait_for_run(const Collector& collector, std::uint64_t runs) {
  REQUIRE(test::wait_until([&] { return sis_of(collector).runs_total == runs; }, 30s));
}

TEST_CASE("staleness: a source whose data does not change turns stale after stale_after") {
  Site site;
  auto collector = site.collector();
  collector->start();
  wait_for_run(*collector, 1);  // the first read spools 2 rows of each stream
  SourceStatus sis = sis_of(*collector);
  REQUIRE(sis.last_change == kStart);
  CHECK(sis.rows_last_change == 4);
  CHECK(sis.first_success == kStart);
  CHECK_FALSE(is_stale(sis, site.clock.now()));

  // The export stops changing: each run succeeds and spools nothing.
  site.clock.set(kStart + 36h);
  wait_for_run(*collector, 2);
  sis = sis_of(*collector);
  CHECK(sis.last_success == kStart + 36h);
  CHECK(sis.last_change == kStart);
  CHECK_FALSE(is_stale(sis, site.clock.now()));  // exactly stale_after: not yet
  site.clock.set(kStart + 36h + 15min);
  wait_for_run(*collector, 3);
  sis = sis_of(*collector);
  CHECK(sis.last_success == kStart + 36h + 15min);
  CHECK(sis.last_change == kStart);
  CHECK(sis.rows_last_change == 4);
  CHECK(is_stale(sis, site.clock.now()));
  collector->stop();
}

TEST_CASE("staleness: a change clears it") {
  Site site;
  auto collector = site.collector();
  collector->start();
  wait_for_run(*collector, 1);
  site.clock.set(kStart + 40h);
  wait_for_run(*collector, 2);
  REQUIRE(is_stale(sis_of(*collector), site.clock.now()));
  // The export runs again: one new row in each stream.
  site.script->set([](test::Script& s) { s.rows = 3; });
  site.clock.advance(15min);
  wait_for_run(*collector, 3);
  const SourceStatus sis = sis_of(*collector);
  CHECK(sis.last_change == kStart + 40h + 15min);
  CHECK(sis.rows_last_change == 2);
  CHECK_FALSE(is_stale(sis, site.clock.now()));
  collector->stop();
}

TEST_CASE("staleness: when a source last changed survives a restart of the agent") {
  Site site;
  {
    auto collector = site.collector();
    collector->start();
    wait_for_run(*collector, 1);
    site.script->set([](test::Script& s) { s.rows = 5; });
    site.clock.set(kStart + 2h);
    wait_for_run(*collector, 2);
    CHECK(sis_of(*collector).rows_last_change == 6);
    collector->stop();
  }
  site.spool.reset();
  site.open_spool();  // as a new agent process would
  site.clock.set(kStart + 2h + 36h + 1s);
  auto collector = site.collector();
  // Before any run of the new agent: what the spool kept.
  SourceStatus sis = sis_of(*collector);
  CHECK(sis.runs_total == 0);
  CHECK(sis.last_change == kStart + 2h);
  CHECK(sis.rows_last_change == 6);
  CHECK(sis.first_success == kStart);
  CHECK(is_stale(sis, site.clock.now()));
  // Its first run reads nothing new: still stale, still the same change.
  collector->start();
  wait_for_run(*collector, 1);
  sis = sis_of(*collector);
  CHECK(sis.last_change == kStart + 2h);
  CHECK(is_stale(sis, site.clock.now()));
  collector->stop();
}

TEST_CASE("staleness: a source that never changed counts from its first successful run") {
  Site site;
  site.script->set([](test::Script& s) { s.rows = 0; });  // an empty export
  auto collector = site.collector();
  collector->start();
  wait_for_run(*collector, 1);
  SourceStatus sis = sis_of(*collector);
  CHECK_FALSE(sis.last_change);
  CHECK(sis.rows_last_change == 0);
  CHECK(sis.first_success == kStart);
  site.clock.set(kStart + 37h);
  wait_for_run(*collector, 2);
  sis = sis_of(*collector);
  CHECK(sis.first_success == kStart);  // the first, not the latest
  CHECK(unchanged_since(sis) == kStart);
  CHECK(is_stale(sis, site.clock.now()));
  collector.reset();
  // Kept across a restart too.
  site.spool.reset();
  site.open_spool();
  CHECK(sis_of(*site.collector()).first_success == kStart);
}

TEST_CASE("staleness: the rule without stale_after, and for a source that never succeeded") {
  SourceStatus status;
  status.last_change = kStart;
  CHECK_FALSE(is_stale(status, kStart + 24h * 365));  // no stale_after: never
  status.stale_after = 36h;
  CHECK_FALSE(is_stale(status, kStart + 36h));
  CHECK(is_stale(status, kStart + 36h + 1s));
  SourceStatus failing;
  failing.stale_after = 36h;
  failing.last_error = "the scripted source fails";
  CHECK_FALSE(unchanged_since(failing));
  CHECK_FALSE(is_stale(failing, kStart + 24h * 365));  // its error says more
}

}  // namespace
}  // namespace ferry::collector
