// `ferry run`, the long-running agent, as a service manager drives it: started, left to poll, and
// stopped with SIGTERM or SIGINT, also in the middle of a run. It must exit 0 within seconds, keep
// what it committed, lose nothing, and leave a spool that the next run continues from.
#include <chrono>
#include <csignal>
#include <string>

#include <catch2/catch.hpp>

#include "tests/fault/child_process.hpp"
#include "tests/integration/pipeline_site.hpp"
#include "tests/integration/spool_reader.hpp"
#include "tests/netfault/wait_until.hpp"
#include "tests/support/temp_dir.hpp"

namespace ferry {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
using test::wait_until;

bool log_says(const test::PipelineSite& site, const std::string& text) {
  std::error_code ec;
  if (!std::filesystem::exists(site.log_file(), ec)) return false;
  return test::read_file(site.log_file()).find(text) != std::string::npos;
}

TEST_CASE("ferry run polls its sources at start and stops on SIGTERM") {
  test::PipelineSite site({.max_rows = 100, .log_level = "info"});
  REQUIRE(site.generate({"--users", "300", "--seed", "5"}).exit_code == 0);
  REQUIRE(site.ferry({"keys", "init"}).exit_code == 0);
  const auto output = site.dir() / "run-output.txt";
  test::ChildProcess agent(site.ferry_argv({"run"}), output);

  REQUIRE(wait_until([&] { return site.runs_of("sis") >= 1 || !agent.running(); }, 60s, 100ms));
  // A second agent on the same data_dir is refused: one process owns it.
  {
    const auto second_output = site.dir() / "second-run.txt";
    test::ChildProcess second(site.ferry_argv({"run"}), second_output);
    const auto second_code = second.wait_for(30s);
    REQUIRE(second_code);
    CHECK(*second_code == 1);
    CHECK_THAT(test::read_file(second_output), Catch::Contains("another Ferry process"));
  }
  // A sync hands its work to the running agent (SPEC section 2).
  const auto handed = site.ferry({"sync", "--no-upload"});
  INFO(handed.out << handed.err);
  CHECK(handed.exit_code == 0);
  CHECK_THAT(handed.out, Catch::Contains("the running agent owns"));

  REQUIRE(agent.signal(SIGTERM));
  const auto code = agent.wait_for(10s);
  INFO(test::read_file(output));
  REQUIRE(code);
  CHECK(*code == 0);
  CHECK(log_says(site, "stopping on SIGTERM"));
  CHECK(log_says(site, "ferry stopped"));
  test::check_each_row_once(test::read_spool(site.spool_db(), site.tenant().private_key),
                            site.export_dir());
  // The run was complete: nothing is new for the next one.
  const auto again = site.ferry({"sync", "--no-upload"});
  CHECK(again.exit_code == 0);
  CHECK_THAT(again.out, Catch::Contains("nothing new"));
}

TEST_CASE("ferry run stopped by SIGINT in the middle of a run rolls back and loses nothing") {
  test::PipelineSite site({.max_rows = 200, .log_level = "info"});
  REQUIRE(site.generate({"--users", "6000", "--seed", "6"}).exit_code == 0);
  REQUIRE(site.ferry({"keys", "init"}).exit_code == 0);
  const auto output = site.dir() / "run-output.txt";
  test::ChildProcess agent(site.ferry_argv({"run"}), output);

  // Stop it once it has committed some batches of its first run, but before that run is done.
  const auto run_ended = [&] { return site.runs_of("sis") >= 1; };
  REQUIRE(wait_until(
      [&] {
        return test::peek_batches(site.spool_db()).value_or(0) >= 3 || run_ended() ||
               !agent.running();
      },
      60s, 50ms));
  const bool mid_run = !run_ended();
  REQUIRE(agent.signal(SIGINT));
  const auto stopping = Clock::now();
  const auto code = agent.wait_for(10s);
  INFO(test::read_file(output));
  REQUIRE(code);
  CHECK(*code == 0);
  CHECK(Clock::now() - stopping < 5s);
  if (mid_run) {
    CHECK(log_says(site, "run stopped source=sis: rolled back"));
    CHECK(test::stored_source_state(site.spool_db(), "sis") == std::nullopt);
  }
  // The next sync goes on from what was committed: every row exactly once in the end.
  const auto rest = site.ferry({"sync", "--no-upload"});
  INFO(rest.err);
  REQUIRE(rest.exit_code == 0);
  test::check_each_row_once(test::read_spool(site.spool_db(), site.tenant().private_key),
                            site.export_dir());
}

TEST_CASE("ferry sync --timeout gives up with exit 1, keeps what it spooled, and goes on later") {
  test::PipelineSite site({.max_rows = 200, .log_level = "info"});
  REQUIRE(site.generate({"--users", "2000", "--seed", "7"}).exit_code == 0);
  REQUIRE(site.ferry({"keys", "init"}).exit_code == 0);
  const auto cut = site.ferry({"sync", "--no-upload", "--timeout", "1ms"});
  CHECK(cut.exit_code == 1);
  CHECK_THAT(cut.err, Catch::Contains("not done within --timeout 1ms"));
  const auto rest = site.ferry({"sync", "--no-upload"});
  INFO(rest.err);
  REQUIRE(rest.exit_code == 0);
  test::check_each_row_once(test::read_spool(site.spool_db(), site.tenant().private_key),
                            site.export_dir());
  const auto bad = site.ferry({"sync", "--no-upload", "--timeout", "soon"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err == "ferry: --timeout soon: expected a duration such as 30s, 10m or 1h\n");
}

TEST_CASE("ferry run refuses to start on a configuration that does not validate") {
  test::PipelineSite site;
  REQUIRE(site.ferry({"keys", "init"}).exit_code == 0);
  const auto broken = site.dir().write("broken.yaml", "agent:\n  id: x\n  tennant: y\n");
  const auto result = test::run_process({FERRY_BINARY, "run", "-c", broken.string()});
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.err, Catch::Contains("broken.yaml:3:3"));
  CHECK_FALSE(std::filesystem::exists(site.spool_db()));
}

}  // namespace
}  // namespace ferry
