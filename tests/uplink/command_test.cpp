// Tenant commands: `sync_now` makes a running agent poll the source now, when the agent allows it
// in uplink.allow_commands; otherwise the agent refuses and says why. The tenant records every
// command_result in DIR/<agent>/commands.jsonl.
#include <chrono>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "tests/netfault/wait_until.hpp"
#include "tests/support/skip.hpp"
#include "tests/support/tcp_proxy.hpp"
#include "tests/uplink/uplink_site.hpp"

namespace ferry::test {
namespace {

using namespace std::chrono_literals;
using Catch::Matchers::Contains;

// The first line of the tenant's commands.jsonl, once there is one.
boost::json::object first_result(const UplinkSite& site, ChildProcess& run) {
  std::string text;
  const bool answered = wait_until(
      [&] {
        text = site.commands();
        return text.find('\n') != std::string::npos || !run.running();
      },
      30s);
  INFO("ferry run: " << site.run_output());
  REQUIRE(answered);
  const auto value = boost::json::parse(text.substr(0, text.find('\n')));
  REQUIRE(value.is_object());
  return value.as_object();
}

TEST_CASE("sync_now from the tenant triggers a run when allowed", "[uplink][command]") {
  // The tenant comes up after the agent's first run has ended, so the command finds the source
  // idle and the run it asks for is a second one.
  UplinkSite site;
  TcpProxy front;  // refuses until the tenant is up
  site.configure({.port = front.port(), .uplink_extra = "  allow_commands: [sync_now]\n"});
  auto run = site.start_run();
  REQUIRE(
      wait_until([&] { return site.runs_of("sis") >= 1 || !run.running(); }, 30s, 100ms));
  TenantProcess tenant(site, {"--command", "sync_now:sis"});
  tenant.start();
  front.forward_to(tenant.port());

  const auto result = first_result(site, run);
  INFO(boost::json::serialize(result));
  CHECK(result.at("ok") == true);
  CHECK(result.at("id") == "1");
  CHECK_THAT(std::string(result.at("message").as_string()), Contains("sync of sis started"));
  const bool ran_again = wait_until([&] { return site.runs_of("sis") >= 2; }, 30s, 100ms);
  INFO("log: " << read_file(site.log_file()));
  CHECK(ran_again);
  CHECK(site.logged("obeyed"));
  site.stop_run(run);
}

// A sync_now that arrives while that source is running is not lost: the run in progress may
// already have read past what changed, so the source runs once more when it ends (it used to be
// overwritten by the schedule's next time).
TEST_CASE("sync_now that arrives during a run of that source is not lost",
          "[uplink][command]") {
  UplinkSite site(2000);  // a first run long enough for the command to arrive during it
  TenantProcess tenant(site, {"--command", "sync_now:sis"});
  tenant.start();
  site.configure({.port = tenant.port(), .uplink_extra = "  allow_commands: [sync_now]\n"});
  auto run = site.start_run();
  const auto result = first_result(site, run);
  INFO(boost::json::serialize(result));
  CHECK(result.at("ok") == true);
  // The scenario this test is about: the command was obeyed before the first run ended (the
  // tenant has its result, and the agent has not finished a run yet). When this machine finished
  // the run first, the scenario did not happen: say so rather than pass having checked nothing.
  if (site.runs_of("sis") != 0) {
    site.stop_run(run);
    FERRY_SKIP("the first run ended before the command arrived: the scenario did not happen");
  }
  const bool ran_again = wait_until([&] { return site.runs_of("sis") >= 2; }, 10s, 100ms);
  INFO("log: " << read_file(site.log_file()));
  CHECK(ran_again);
  site.stop_run(run);
}

TEST_CASE("sync_now from the tenant is refused when not allowed", "[uplink][command]") {
  UplinkSite site;
  TenantProcess tenant(site, {"--command", "sync_now:sis"});
  tenant.start();
  site.configure({.port = tenant.port()});

  auto run = site.start_run();
  const auto result = first_result(site, run);
  INFO(boost::json::serialize(result));
  CHECK(result.at("ok") == false);
  CHECK_THAT(std::string(result.at("message").as_string()),
             Contains("not in uplink.allow_commands"));
  site.stop_run(run);
}

TEST_CASE("tenant commands beyond six a minute are refused", "[uplink][command]") {
  UplinkSite site;
  std::vector<std::string> args;
  for (int i = 0; i < 8; ++i) {
    args.push_back("--command");
    args.push_back("sync_now:sis");
  }
  TenantProcess tenant(site, args);
  tenant.start();
  site.configure({.port = tenant.port(), .uplink_extra = "  allow_commands: [sync_now]\n"});
  auto run = site.start_run();
  std::string text;
  const bool answered = wait_until(
      [&] {
        text = site.commands();
        return count_of(text, "\n") >= 8 || !run.running();
      },
      30s);
  INFO("ferry run: " << site.run_output() << "\ncommands.jsonl: " << text);
  REQUIRE(answered);
  CHECK(count_of(text, R"("ok":true)") == 6);
  CHECK(count_of(text, "too many commands: at most 6 a minute are obeyed") == 2);
  site.stop_run(run);
}

}  // namespace
}  // namespace ferry::test
