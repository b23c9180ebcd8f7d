// 1,000 connections made and dropped under a running agent: `ferry run` dials `ferry-tenant`
// through the TCP fault proxy, which cuts every connection after a number of bytes that changes
// every 50 connections (in the TLS handshake, the WebSocket upgrade, after the welcome, amid a
// batch), and resets whatever is open every 3 ms. The agent's file descriptors and threads after
// the 1,000th must be what they were after the 100th, and its resident memory within 20 MiB of it;
// then, the proxy forwarding again, every row arrives exactly once (the oracle of
// docs/reliability.md).
//
// FERRY_RECONNECT_CYCLES sets the number of connections (default 1,000; 300 under ASan, where
// memory is not measured: its allocator holds freed memory back on purpose).
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
using test::TcpProxy;
using test::wait_until;

constexpr std::uint64_t kRows = 300;
constexpr std::uint64_t kWarmUp = 100;
constexpr std::uint64_t kCutsEach = 50;  // connections between changes of where the cut lands
constexpr std::uint64_t kCutAfter[] = {700, 2'500, 4'500, 9'000, 30'000};
constexpr std::int64_t kMaxGrowth = 20 * 1024 * 1024;

std::uint64_t cycles() {
  if (const char* text = std::getenv("FERRY_RECONNECT_CYCLES")) {
    return std::max<std::uint64_t>(kWarmUp + 1, std::stoull(text));
  }
#if defined(__SANITIZE_ADDRESS__)
  return 300;
#else
  return 1000;
#endif
}

TEST_CASE("1,000 connections cut under a running agent leak no descriptor, thread or memory",
          "[uplink][fault][reconnect]") {
  TcpProxy proxy;
  test::NumberedSite numbered(kRows, [&](test::AgentConfig& config) {
    config.port = proxy.port();
    config.reconnect = "{min_delay: 10ms, max_delay: 20ms}";
  });
  const test::UplinkSite& site = numbered.site;
  proxy.forward_to(numbered.tenant.port());
  proxy.set_mode(TcpProxy::Mode::kCutAfterBytes, kCutAfter[0]);
  auto run = site.start_run();
  const std::uint64_t count = cycles();
  const auto started = std::chrono::steady_clock::now();
  test::Footprint warm;
  for (std::uint64_t step = kCutsEach; step <= count; step += kCutsEach) {
    INFO("connections: " << proxy.connections_accepted() << "\n" << site.run_output());
    // Every 3 ms the open connections are reset as well: once the spool is delivered, nothing
    // more would flow for the byte limit to cut.
    REQUIRE(wait_until(
        [&] {
          proxy.cut_all();
          return proxy.connections_accepted() >= step || !run.running();
        },
        120s, 3ms));
    REQUIRE(run.running());
    proxy.set_mode(TcpProxy::Mode::kCutAfterBytes,
                   kCutAfter[(step / kCutsEach) % std::size(kCutAfter)]);
    if (step == kWarmUp) warm = test::footprint_at_rest(run.pid());
  }
  const test::Footprint last = test::footprint_at_rest(run.pid());
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const std::string figures = fmt::format(
      "reconnect cycles: {} connections in {:.1f} s; after {}: {} fds, {} threads, {:.1f} MiB; "
      "after {}: {} fds, {} threads, {:.1f} MiB",
      proxy.connections_accepted(), took, kWarmUp, warm.fds, warm.threads,
      static_cast<double>(warm.rss_bytes) / 1048576.0, count, last.fds, last.threads,
      static_cast<double>(last.rss_bytes) / 1048576.0);
  std::cerr << figures << "\n";
  INFO(figures);
  CHECK(last.fds <= warm.fds);
  CHECK(last.threads <= warm.threads);
#if !defined(__SANITIZE_ADDRESS__)
  CHECK(last.rss_bytes - warm.rss_bytes <= kMaxGrowth);
#endif

  proxy.set_mode(TcpProxy::Mode::kForward);
  proxy.cut_all();
  REQUIRE(wait_until([&] { return site.spool_batches() == 0u; }, 60s, 20ms));
  site.stop_run(run);
  const auto problems = test::check_rows_once(site.stored("rows"), kRows);
  INFO(fmt::format("{}", fmt::join(problems, "\n")));
  CHECK(problems.empty());
  CHECK(site.logged("the connection was cut"));
}

}  // namespace
}  // namespace ferry
