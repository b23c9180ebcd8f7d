// The agent's default log file (issue 15 section 5) with the real binary: without agent.log.file,
// `ferry run` writes <data_dir>/logs/ferry.log (0640, in a folder made 0750), unless its stderr is
// the journal (JOURNAL_STREAM names it, as systemd sets it); `ferry sync` never makes that file.
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <string>

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <sys/stat.h>

#include "tests/fault/child_process.hpp"
#include "tests/integration/pipeline_site.hpp"
#include "tests/netfault/wait_until.hpp"
#include "tests/support/temp_dir.hpp"

namespace ferry {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

mode_t mode_of(const fs::path& path) {
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  return info.st_mode & 07777;
}

// Starts `ferry run`, waits for its first run of sis, and stops it with SIGTERM.
void run_agent_once(const test::PipelineSite& site, const fs::path& output) {
  test::ChildProcess agent(site.ferry_argv({"run"}), output);
  REQUIRE(
      test::wait_until([&] { return site.runs_of("sis") >= 1 || !agent.running(); }, 60s, 100ms));
  REQUIRE(agent.signal(SIGTERM));
  const auto code = agent.wait_for(30s);
  INFO(test::read_file(output));
  REQUIRE(code);
  CHECK(*code == 0);
}

TEST_CASE("without log.file ferry run logs to data_dir/logs/ferry.log and ferry sync does not") {
  test::PipelineSite site({.log_level = "info", .log_file = false});
  REQUIRE(site.generate({"--users", "20", "--seed", "3"}).exit_code == 0);
  REQUIRE(site.ferry({"keys", "init"}).exit_code == 0);
  const fs::path logs = site.data_dir() / "logs";

  const auto synced = site.ferry({"sync", "--no-upload"});
  INFO(synced.out << synced.err);
  REQUIRE(synced.exit_code == 0);
  CHECK_FALSE(fs::exists(logs));

  run_agent_once(site, site.dir() / "run-output.txt");
  REQUIRE(fs::exists(logs / "ferry.log"));
  const std::string text = test::read_file(logs / "ferry.log");
  CHECK_THAT(text, Catch::Contains("run finished source=sis"));
  CHECK_THAT(text, Catch::Contains("ferry stopped"));
  CHECK(mode_of(logs / "ferry.log") == 0640);
  CHECK(mode_of(logs) == 0750);
}

TEST_CASE("under the journal ferry run makes no log file") {
  test::PipelineSite site({.log_level = "info", .log_file = false});
  REQUIRE(site.generate({"--users", "20", "--seed", "3"}).exit_code == 0);
  REQUIRE(site.ferry({"keys", "init"}).exit_code == 0);
  // The child's stderr is this file: JOURNAL_STREAM names it, as systemd names its stream.
  const fs::path output = site.dir().write("run-output.txt", "");
  struct stat info {};
  REQUIRE(::stat(output.c_str(), &info) == 0);
  const std::string stream = fmt::format("{}:{}", info.st_dev, info.st_ino);
  struct Journal {
    explicit Journal(const std::string& stream) { ::setenv("JOURNAL_STREAM", stream.c_str(), 1); }
    ~Journal() { ::unsetenv("JOURNAL_STREAM"); }
  };
  {
    const Journal journal(stream);
    run_agent_once(site, output);
  }
  CHECK_FALSE(fs::exists(site.data_dir() / "logs"));
  // journald's priority prefix: the lines went to the journal.
  CHECK_THAT(test::read_file(output), Catch::Contains("<6>[agent] run finished source=sis"));
}

}  // namespace
}  // namespace ferry
