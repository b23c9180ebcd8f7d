// A spool that fills while the tenant is down (spool.when_full: pause): the agent stops polling,
// loses nothing, and once the tenant is up drains the spool, reads the source again and sends
// what it had not spooled yet. Every row arrives exactly once.
#include <chrono>
#include <string>

#include <catch2/catch.hpp>

#include "tests/netfault/wait_until.hpp"
#include "tests/support/tcp_proxy.hpp"
#include "tests/uplink/uplink_site.hpp"

namespace ferry::test {
namespace {

using namespace std::chrono_literals;
using Catch::Matchers::Contains;

constexpr std::uint64_t kSpoolMax = 1024 * 1024;  // the smallest spool.max_bytes allowed

// Whether `ferry status --json` shows the source paused by a full spool.
bool is_paused(const boost::json::object& source) {
  const auto* paused = source.if_contains("paused");
  return paused != nullptr && paused->is_bool() && paused->as_bool();
}

TEST_CASE("a full spool pauses polling and drains once the tenant is up", "[uplink][spool]") {
  UplinkSite site(4000);
  TcpProxy front;  // refuses until the tenant is up
  site.configure({.port = front.port(),
                  .max_rows = 500,
                  .batch_extra = ", max_bytes: 128KiB",
                  .spool = "  max_bytes: 1MiB\n  when_full: pause\n"});
  const auto expected = site.preview();

  auto run = site.start_run();
  const bool paused =
      wait_until([&] { return is_paused(site.source_status("sis")) || !run.running(); }, 60s,
                 100ms);
  INFO("ferry run: " << site.run_output());
  REQUIRE(paused);
  REQUIRE(run.running());
  const auto used = site.spool_bytes();
  REQUIRE(used.has_value());
  INFO("spool bytes " << *used);
  CHECK(*used <= kSpoolMax);
  CHECK(*used > kSpoolMax / 2);
  CHECK(site.stored_bytes() == 0);

  deliver_to_late_tenant(site, run, front, expected);
}

}  // namespace
}  // namespace ferry::test
