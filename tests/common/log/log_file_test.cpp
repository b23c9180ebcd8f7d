// Where the log file is and how long it stays (issue 15 section 5): the default file when no
// log.file is set and no service manager takes the log, the journal winning under systemd, files
// created 0640 in a folder made 0750, and files older than max_age removed.
#include <cstdio>
#include <cstdlib>

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log/log.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/unprivileged.hpp"

namespace ferry::log {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
constexpr std::chrono::hours kDay(24);

unsigned mode_of(const fs::path& path) {
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  return info.st_mode & 07777;
}

// The usual umask while the test runs (the modes asked for are then the modes given), restored
// after; and the sinks released, so that the temp folder can go.
struct Umask {
  mode_t before = ::umask(022);
  ~Umask() {
    ::umask(before);
    (void)setup(LogOptions{}, StderrStyle::kPlain);
  }
};

// The agent's options: no log.file, the default file in the data_dir's logs folder.
LogOptions agent_options(const test::TempDir& data_dir) {
  LogOptions options;
  options.default_file = data_dir / "logs" / "ferry.log";
  return options;
}

void set_age(const fs::path& path, std::chrono::system_clock::duration age) {
  fs::last_write_time(path,
                      std::chrono::file_clock::from_sys(std::chrono::system_clock::now() - age));
}

TEST_CASE("without log.file and the journal the log goes to the default file made 0640 in 0750") {
  Umask umask;
  test::TempDir data_dir;
  REQUIRE(setup(agent_options(data_dir), StderrStyle::kPlain));
  const fs::path file = data_dir / "logs" / "ferry.log";
  CHECK(current_file() == file);
  get("agent")->info("run finished source=sis rows_read=3");
  CHECK_THAT(test::read_file(file), Catch::Contains("info [agent] run finished source=sis"));
  CHECK(mode_of(file) == 0640);
  CHECK(mode_of(data_dir / "logs") == 0750);
}

TEST_CASE("log.file set wins over the default file") {
  Umask umask;
  test::TempDir data_dir;
  LogOptions options = agent_options(data_dir);
  options.file = data_dir / "elsewhere.log";
  REQUIRE(setup(options, StderrStyle::kPlain));
  CHECK(current_file() == data_dir / "elsewhere.log");
  CHECK(mode_of(data_dir / "elsewhere.log") == 0640);
  CHECK_FALSE(fs::exists(data_dir / "logs"));
}

TEST_CASE("under systemd the journal takes the log and no default file is made") {
  Umask umask;
  test::TempDir data_dir;
  // What systemd sets: JOURNAL_STREAM names stderr's device and inode.
  struct stat err {};
  REQUIRE(::fstat(STDERR_FILENO, &err) == 0);
  const std::string stream = fmt::format("{}:{}", err.st_dev, err.st_ino);
  REQUIRE(::setenv("JOURNAL_STREAM", stream.c_str(), 1) == 0);
  const auto journal = setup(agent_options(data_dir), StderrStyle::kAuto);
  const auto chosen = current_file();
  const bool logs_made = fs::exists(data_dir / "logs");
  // An explicit log.file is still written beside the journal.
  LogOptions with_file = agent_options(data_dir);
  with_file.file = data_dir / "also.log";
  const auto both = setup(with_file, StderrStyle::kAuto);
  const auto chosen_with_file = current_file();
  // A JOURNAL_STREAM that is not stderr (a redirected command) is not the journal.
  REQUIRE(::setenv("JOURNAL_STREAM", "1:1", 1) == 0);
  const auto redirected = setup(agent_options(data_dir), StderrStyle::kAuto);
  const auto chosen_redirected = current_file();
  ::unsetenv("JOURNAL_STREAM");
  REQUIRE(journal);
  CHECK_FALSE(chosen);
  CHECK_FALSE(logs_made);
  REQUIRE(both);
  CHECK(chosen_with_file == data_dir / "also.log");
  REQUIRE(redirected);
  CHECK(chosen_redirected == data_dir / "logs" / "ferry.log");
  CHECK(service_manager_takes_log(StderrStyle::kJournal));
  CHECK_FALSE(service_manager_takes_log(StderrStyle::kPlain));
}

TEST_CASE("the default file is made only inside an existing data_dir") {
  Umask umask;
  test::TempDir parent;
  LogOptions options;
  options.default_file = parent / "not-yet" / "logs" / "ferry.log";
  REQUIRE(setup(options, StderrStyle::kPlain));
  CHECK_FALSE(current_file());
  CHECK_FALSE(fs::exists(parent / "not-yet"));  // keys init or the agent makes it, 0700
}

TEST_CASE("a default log folder that cannot be made is a clear error") {
  FERRY_RUN_UNPRIVILEGED();
  Umask umask;
  test::TempDir data_dir;
  REQUIRE(::chmod(data_dir.path().c_str(), 0500) == 0);
  const auto result = setup(agent_options(data_dir), StderrStyle::kPlain);
  ::chmod(data_dir.path().c_str(), 0700);
  REQUIRE_FALSE(result);
  CHECK(result.error().message ==
        fmt::format("cannot create the log folder {}: Permission denied: let this user write in "
                    "{}, or set agent.log.file",
                    (data_dir / "logs").string(), data_dir.path().string()));
}

TEST_CASE("rotated log files are created 0640 too") {
  Umask umask;
  test::TempDir data_dir;
  LogOptions options = agent_options(data_dir);
  options.max_size = 1024;
  options.max_files = 3;
  REQUIRE(setup(options, StderrStyle::kOff));
  auto logger = get("rotation");
  for (int i = 0; i < 100; ++i) logger->info("line {} of a test that fills the log file", i);
  REQUIRE(fs::exists(data_dir / "logs" / "ferry.1.log"));
  CHECK(mode_of(data_dir / "logs" / "ferry.log") == 0640);
  CHECK(mode_of(data_dir / "logs" / "ferry.1.log") == 0640);
}

TEST_CASE("log files whose last line is older than max_age are removed when the log is set up") {
  Umask umask;
  test::TempDir data_dir;
  const fs::path logs = data_dir / "logs";
  data_dir.write("logs/ferry.log", "old current\n");
  data_dir.write("logs/ferry.1.log", "ten days\n");
  data_dir.write("logs/ferry.2.log", "a hundred days\n");
  data_dir.write("logs/other.log", "not ours\n");
  data_dir.write("logs/ferry.log.bak", "not ours either\n");
  set_age(logs / "ferry.log", 91 * kDay);
  set_age(logs / "ferry.1.log", 10 * kDay);
  set_age(logs / "ferry.2.log", 100 * kDay);
  set_age(logs / "other.log", 200 * kDay);
  set_age(logs / "ferry.log.bak", 200 * kDay);
  LogOptions options = agent_options(data_dir);
  options.max_age = 90 * kDay;
  REQUIRE(setup(options, StderrStyle::kOff));
  CHECK_FALSE(fs::exists(logs / "ferry.2.log"));
  CHECK(fs::exists(logs / "ferry.1.log"));
  CHECK(fs::exists(logs / "other.log"));
  CHECK(fs::exists(logs / "ferry.log.bak"));
  // The current file went too, and starts again with the line that says so.
  const std::string current = test::read_file(logs / "ferry.log");
  CHECK(current.find("old current") == std::string::npos);
  CHECK_THAT(current, Catch::Contains("old log files removed count=2 max_age_days=90"));
}

TEST_CASE("remove_old_logs goes by the time it is given") {
  test::TempDir dir;
  const fs::path file = dir.write("ferry.log", "x\n");
  dir.write("ferry.1.log", "x\n");
  dir.write("ferry.7.log", "x\n");
  const auto now = std::chrono::system_clock::now();
  CHECK(remove_old_logs(file, 90 * kDay, now) == 0);
  CHECK(remove_old_logs(file, 90 * kDay, now + 89 * kDay) == 0);
  CHECK(remove_old_logs(file, 90 * kDay, now + 91 * kDay) == 3);
  CHECK_FALSE(fs::exists(dir / "ferry.7.log"));
}

}  // namespace
}  // namespace ferry::log
