#include "common/log/log.hpp"

#include <catch2/catch.hpp>

#include "tests/support/temp_dir.hpp"

namespace ferry::log {
namespace {

TEST_CASE("log levels parse by name and unknown names are refused with the list") {
  CHECK(parse_level("debug").value() == spdlog::level::debug);
  CHECK(parse_level("warn").value() == spdlog::level::warn);
  auto bad = parse_level("verbose");
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message, Catch::Contains("trace, debug, info, warn, error"));
}

TEST_CASE("the log file gets UTC time stamps, the component and the level") {
  test::TempDir dir;
  LogOptions options;
  options.level = "info";
  options.file = dir / "ferry.log";
  REQUIRE(setup(options, StderrStyle::kOff));
  auto logger = get("uplink");
  logger->info("uplink connected url={}", "wss://example");
  logger->debug("not written at info level");
  logger->flush();
  const std::string text = test::read_file(dir / "ferry.log");
  CHECK_THAT(
      text,
      Catch::Matches(
          R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info \[uplink\] uplink connected url=wss://example\n)"));
  CHECK(text.find("not written") == std::string::npos);
  REQUIRE(setup(LogOptions{}, StderrStyle::kPlain));  // release the file
}

TEST_CASE("the log file rotates by size and keeps max_files files") {
  test::TempDir dir;
  LogOptions options;
  options.file = dir / "ferry.log";
  options.max_size = 1024;
  options.max_files = 3;
  REQUIRE(setup(options, StderrStyle::kOff));
  auto logger = get("rotation");
  for (int i = 0; i < 200; ++i) logger->info("line {} of a test that fills the log file", i);
  logger->flush();
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    ++files;
  }
  CHECK(files == 3);
  REQUIRE(setup(LogOptions{}, StderrStyle::kPlain));
}

TEST_CASE("an unwritable log file is a clear error") {
  LogOptions options;
  options.file = "/proc/ferry-cannot-write-here/ferry.log";
  auto result = setup(options, StderrStyle::kPlain);
  REQUIRE_FALSE(result);
  CHECK_THAT(result.error().message, Catch::StartsWith("cannot open log file /proc/"));
  REQUIRE(setup(LogOptions{}, StderrStyle::kPlain));
}

}  // namespace
}  // namespace ferry::log
