// A disk that fails under a running agent: `ferry-test-hooks run` with every write (or every
// sync) of the spool's files failing with an I/O error from the n-th on, through the fault VFS
// (FERRY_TEST_SPOOL_FAULT). The agent must stop within seconds with exit status 1, for its service
// manager to start it again, rather than go on with a connection that no longer knows what the
// disk holds, or loop on the error; started again on a disk that works, it delivers every row of
// the source exactly once (the oracle of docs/reliability.md).
#include <chrono>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "tests/fault/child_process.hpp"
#include "tests/support/process.hpp"
#include "tests/uplink/numbered_rows.hpp"
#include "tests/uplink/uplink_site.hpp"

namespace ferry {
namespace {

using namespace std::chrono_literals;
using test::write_rows;

constexpr std::uint64_t kFirstRows = 100;
constexpr std::uint64_t kRows = 600;

// `ferry-test-hooks run` with the spool's `fault` ("sync:3"): its exit code and what it printed.
struct FailedRun {
  std::optional<int> exit_code;
  std::string output;
};

FailedRun run_on_failing_disk(const test::UplinkSite& site, std::string_view fault) {
  auto argv = site.ferry_argv({"run"});
  argv[0] = FERRY_TEST_HOOKS_BINARY;
  argv.insert(argv.begin(), {"/usr/bin/env", fmt::format("FERRY_TEST_SPOOL_FAULT={}", fault),
                             "FERRY_TEST_DATA_DIR=" + site.data_dir().string()});
  const auto output = site.dir() / fmt::format("run-{}.out", fault);
  test::ChildProcess run(argv, output);
  FailedRun failed;
  failed.exit_code = run.wait_for(60s);
  failed.output = test::read_file(output);
  return failed;
}

void fails_and_loses_nothing(std::string_view fault) {
  test::NumberedSite numbered(kFirstRows);
  const test::UplinkSite& site = numbered.site;
  {
    const auto first = site.sync();
    INFO(first.out << first.err);
    REQUIRE(first.exit_code == 0);
  }
  write_rows(numbered.folder, kRows);
  const auto failed = run_on_failing_disk(site, fault);
  INFO(failed.output);
  REQUIRE(failed.exit_code.has_value());  // it stopped by itself, within the deadline
  CHECK(*failed.exit_code == 1);
  // It had started: the failure met the running agent, not its start.
  CHECK(failed.output.find("started config=") != std::string::npos);
  CHECK(failed.output.find("the agent stops and exits with status 1") != std::string::npos);
  CHECK(failed.output.find("the spool's disk failed: ferry stopped") != std::string::npos);

  // Started again on a disk that works: every row once.
  numbered.sync_and_check(kRows);
}

TEST_CASE("a write of the spool failing under ferry run stops it with status 1, nothing is lost",
          "[uplink][fault][failing-disk]") {
  fails_and_loses_nothing("write:12");
}

TEST_CASE("a sync of the spool failing under ferry run stops it with status 1, nothing is lost",
          "[uplink][fault][failing-disk]") {
  fails_and_loses_nothing("sync:4");
}

TEST_CASE("ferry run on a disk that fails from its first write exits with status 1, no loop",
          "[uplink][fault][failing-disk]") {
  test::NumberedSite numbered(kFirstRows);
  const test::UplinkSite& site = numbered.site;
  REQUIRE(site.sync().exit_code == 0);
  write_rows(numbered.folder, kRows);
  for (const std::string_view fault : {"write:1", "sync:1"}) {
    const auto failed = run_on_failing_disk(site, fault);
    INFO(fault << ": " << failed.output);
    REQUIRE(failed.exit_code.has_value());
    CHECK(*failed.exit_code == 1);
  }
  numbered.sync_and_check(kRows);
}

}  // namespace
}  // namespace ferry
