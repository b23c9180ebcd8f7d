// AgentSignals on both systems: a reload asked from another thread (the control channel's)
// reaches the waiting thread as a reload; with nothing asked, wait() returns when its time passes.
// (Stop signals come from outside the process: tests/agent/app/daemon_test.cpp sends SIGTERM on
// Linux; Windows' Ctrl-C awaits a console, docs/windows.md.)
#include "agent/app/signals.hpp"

#include <thread>

#include <catch2/catch.hpp>

namespace ferry::app {
namespace {

using namespace std::chrono_literals;

TEST_CASE("agent signals: a reload asked from another thread wakes the waiting thread") {
  AgentSignals signals;
  signals.block();
  std::thread([&signals] { signals.wake_for_reload(); }).join();
  const auto received = signals.wait(10s);
  REQUIRE(received);
  CHECK(received->asks == ReceivedSignal::Asks::kReload);
  CHECK_FALSE(received->sender_uid);  // the agent's own request names no sender
  signals.restore();
}

TEST_CASE("agent signals: nothing asked, wait returns when its time passes") {
  AgentSignals signals;
  signals.block();
  const auto started = std::chrono::steady_clock::now();
  CHECK_FALSE(signals.wait(50ms));
  CHECK(std::chrono::steady_clock::now() - started >= 40ms);
  signals.restore();
}

TEST_CASE("agent signals: a reload asked before restore is not taken after it") {
  AgentSignals signals;
  signals.block();
  signals.wake_for_reload();
  signals.restore();
  signals.block();
  CHECK_FALSE(signals.wait(20ms));
  signals.restore();
}

}  // namespace
}  // namespace ferry::app
