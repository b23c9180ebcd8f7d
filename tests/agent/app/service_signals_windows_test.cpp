// Windows only: what the service's control handler hands the agent (signals_windows.hpp): a stop
// (STOP, SHUTDOWN, PRESHUTDOWN) or a reload (PARAMCHANGE), taken by AgentSignals::wait() from
// another thread, as the service manager's dispatcher thread gives them; nothing before block().
// The handler itself runs under Wine's service manager in tests/windows/sync_under_wine.sh.
#include <string_view>
#include <thread>

#include <catch2/catch.hpp>

#include "agent/app/signals.hpp"
#include "agent/app/signals_windows.hpp"

namespace ferry::app {
namespace {

using namespace std::chrono_literals;

TEST_CASE("service controls: a stop and a reload reach the waiting thread in order") {
  AgentSignals signals;
  signals.block();
  std::thread([] {
    post_service_control(
        {ReceivedSignal::Asks::kReload, "a reload from the service manager", {}, {}});
    post_service_control({ReceivedSignal::Asks::kStop, "a stop from the service manager", {}, {}});
  }).join();
  const auto reload = signals.wait(10s);
  REQUIRE(reload);
  CHECK(reload->asks == ReceivedSignal::Asks::kReload);
  CHECK(reload->name == std::string_view("a reload from the service manager"));
  const auto stop = signals.wait(10s);
  REQUIRE(stop);
  CHECK(stop->asks == ReceivedSignal::Asks::kStop);
  CHECK(stop->name == std::string_view("a stop from the service manager"));
  signals.restore();
}

TEST_CASE("service controls: one posted before block is not taken after it") {
  post_service_control({ReceivedSignal::Asks::kStop, "a stop from the service manager", {}, {}});
  AgentSignals signals;
  signals.block();
  CHECK_FALSE(signals.wait(50ms));
  signals.restore();
}

}  // namespace
}  // namespace ferry::app
