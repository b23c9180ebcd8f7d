// A long blackhole (the extended suite's reliability part; hidden from CTest): the path to the
// tenant goes silent for 5 minutes (FERRY_BLACKHOLE_SECONDS) under a running agent with the
// default keepalive (`uplink.idle_timeout: 45s`): no data, no FIN, no RST. The agent must notice
// within the keepalive window, keep dialling without piling up connections or threads, and once
// the path is back deliver what the source gained meanwhile, every row exactly once.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <thread>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "tests/fault/child_process.hpp"
#include "tests/netfault/wait_until.hpp"
#include "tests/support/tcp_proxy.hpp"
#include "tests/uplink/footprint.hpp"
#include "tests/uplink/numbered_rows.hpp"
#include "tests/uplink/uplink_site.hpp"

namespace ferry {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using test::TcpProxy;
using test::wait_until;

constexpr std::uint64_t kRows = 200;
constexpr auto kIdleTimeout = 45s;  // the default

std::chrono::seconds blackhole() {
  if (const char* text = std::getenv("FERRY_BLACKHOLE_SECONDS")) {
    return std::chrono::seconds(std::max(60, std::atoi(text)));
  }
  return std::chrono::minutes(5);
}

TEST_CASE("a 5-minute blackhole is noticed within the keepalive window and loses nothing",
          "[.][uplink][fault][blackhole]") {
  TcpProxy proxy;
  test::NumberedSite numbered(kRows, [&](test::AgentConfig& config) {
    config.port = proxy.port();
    config.idle_timeout = "45s";
    config.reconnect = "{min_delay: 1s, max_delay: 30s}";
  });
  const test::UplinkSite& site = numbered.site;
  proxy.forward_to(numbered.tenant.port());
  auto run = site.start_run();
  // Connected, and idle: every row delivered.
  if (!wait_until([&] { return numbered.rows_at_tenant() >= kRows; }, 60s, 20ms)) {
    FAIL("not delivered before the blackhole:\n" << site.run_output());
  }
  const std::size_t threads_before = test::threads_of(run.pid());

  proxy.set_mode(TcpProxy::Mode::kBlackhole);
  const auto silent = Clock::now();
  // Noticed: the connection is dropped as dead within idle_timeout (and a little for the check).
  if (!wait_until([&] { return site.logged("dropped as dead"); }, kIdleTimeout + 15s, 100ms)) {
    FAIL("not noticed within the keepalive window:\n" << site.run_output());
  }
  const auto noticed = Clock::now() - silent;
  // The source gains rows while the path is silent: `ferry sync` hands the run to the agent.
  test::write_rows(numbered.folder, 2 * kRows);
  const auto handed = site.ferry({"sync", "--timeout", "1s"});
  INFO(handed.out << handed.err);
  const auto left = blackhole() - (Clock::now() - silent);
  if (left > 0s) std::this_thread::sleep_for(left);  // the blackhole's length is the test
  const std::size_t threads_during = test::threads_of(run.pid());
  const auto attempts = proxy.connections_accepted();

  proxy.set_mode(TcpProxy::Mode::kForward);
  const auto back = Clock::now();
  // Delivered once the path is back: within the reconnect ceiling and a connection step.
  REQUIRE(wait_until([&] { return numbered.rows_at_tenant() >= 2 * kRows; }, 90s, 100ms));
  const auto resumed = Clock::now() - back;
  site.stop_run(run);
  const auto problems = test::check_rows_once(site.stored("rows"), 2 * kRows);
  INFO(fmt::format("{}", fmt::join(problems, "\n")));
  CHECK(problems.empty());
  CHECK(threads_during <= threads_before);
  std::cerr << fmt::format(
      "blackhole: {} s silent; noticed after {:.1f} s (idle_timeout 45 s); {} connections "
      "accepted in all; threads {} before, {} during; delivered {:.1f} s after the path was back\n",
      std::chrono::duration_cast<std::chrono::seconds>(blackhole()).count(),
      std::chrono::duration<double>(noticed).count(), attempts, threads_before, threads_during,
      std::chrono::duration<double>(resumed).count());
}

}  // namespace
}  // namespace ferry
