// `kill -9` at random instants under load: `ferry run` against a real `ferry-tenant`, killed 200
// times (40 in the ASan build) while a source of numbered rows grows by 25 rows a cycle, each
// kill at a random moment within the time a run takes to spool and deliver its rows; then a plain
// `ferry sync` delivers the rest. The oracle (docs/reliability.md): the tenant holds every row
// exactly once, with the content its number gives it; no kill leaves a spool the agent moves aside.
//
// Random on purpose, and seeded: the seed is printed, FERRY_FAULT_SEED replays it;
// FERRY_KILL_CYCLES sets the number of kills.
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <random>
#include <thread>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "tests/fault/child_process.hpp"
#include "tests/netfault/wait_until.hpp"
#include "tests/uplink/numbered_rows.hpp"
#include "tests/uplink/uplink_site.hpp"

namespace ferry {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using test::write_rows;

constexpr std::uint64_t kRowsPerCycle = 25;

// 200; 40 under AddressSanitizer, where each start takes most of a second: that build is there
// for memory errors, which forty kills reach as well.
int cycles() {
  if (const char* text = std::getenv("FERRY_KILL_CYCLES")) return std::max(1, std::atoi(text));
#if defined(__SANITIZE_ADDRESS__)
  return 40;
#else
  return 200;
#endif
}

std::uint64_t seed() {
  if (const char* text = std::getenv("FERRY_FAULT_SEED")) return std::stoull(text);
  return std::random_device{}();
}

TEST_CASE("ferry run killed at random instants under load delivers every row exactly once",
          "[uplink][fault][kill]") {
  test::NumberedSite numbered(kRowsPerCycle,
                              [](test::AgentConfig& config) { config.max_rows = 5; });
  const test::UplinkSite& site = numbered.site;

  // One cycle without a kill: how long a start takes to spool and deliver a cycle's rows (the
  // kill moments spread over it, and a little beyond).
  Clock::duration window{};
  {
    const auto started = Clock::now();
    auto run = site.start_run();
    REQUIRE(test::wait_until([&] { return numbered.rows_at_tenant() >= kRowsPerCycle; }, 60s, 5ms));
    window = Clock::now() - started;
    site.stop_run(run);
  }
  const std::uint64_t run_seed = seed();
  const int count = cycles();
  std::cerr << fmt::format(
      "random kills: seed={} (FERRY_FAULT_SEED={} replays it) cycles={} window={} ms\n", run_seed,
      run_seed, count, std::chrono::duration_cast<std::chrono::milliseconds>(window).count());
  std::mt19937_64 random(run_seed);
  std::uniform_real_distribution<double> unit(0.0, 1.25);

  int mid_delivery = 0;  // kills after some of the cycle's rows arrived, before all did
  std::string log;
  for (int cycle = 1; cycle <= count; ++cycle) {
    const std::uint64_t rows = kRowsPerCycle * static_cast<std::uint64_t>(cycle + 1);
    write_rows(numbered.folder, rows);
    const std::size_t before = numbered.rows_at_tenant();
    test::ChildProcess run(site.ferry_argv({"run"}), site.dir() / "run.out");
    std::this_thread::sleep_for(std::chrono::duration_cast<Clock::duration>(window * unit(random)));
    const bool killed = run.kill();
    const std::size_t after = numbered.rows_at_tenant();
    if (after > before && after < rows) ++mid_delivery;
    log += fmt::format("cycle {}: {}, rows at the tenant {} -> {} of {}\n", cycle,
                       killed ? "killed" : "had ended", before, after, rows);
    INFO(log << site.run_output());
    REQUIRE(killed);  // `ferry run` never ends by itself
    REQUIRE_FALSE(numbered.has_damaged_spool());
  }
  const std::uint64_t total = kRowsPerCycle * static_cast<std::uint64_t>(count + 1);
  INFO(log);
  numbered.sync_and_check(total);
  CHECK_FALSE(numbered.has_damaged_spool());
  // The kills landed amid deliveries, not only before or after them: one in twenty at least
  // (the window is measured on the first, smallest run; later runs re-read a larger file before
  // they deliver, so the share falls as the cycles grow: 66 of 200, 108 of 1,000 here).
  CHECK(mid_delivery >= count / 20);
  std::cerr << fmt::format("random kills: {} of {} amid a delivery\n", mid_delivery, count);
}

}  // namespace
}  // namespace ferry
