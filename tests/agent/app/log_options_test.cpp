// The agent's log options from its configuration (agent.log): the default file in the data_dir's
// logs folder when no log.file is set, and max_age carried through (issue 15 section 5).
#include "agent/app/log_options.hpp"

#include <catch2/catch.hpp>

namespace ferry::app {
namespace {

using namespace std::chrono_literals;

TEST_CASE("the agent's log defaults to data_dir/logs/ferry.log and keeps files for max_age") {
  config::Settings settings;
  settings.agent.data_dir = "/var/lib/ferry";
  log::LogOptions options = log_options(settings);
  CHECK_FALSE(options.file);
  CHECK(options.default_file == std::filesystem::path("/var/lib/ferry/logs/ferry.log"));
  CHECK(options.max_age == std::chrono::hours(24 * 90));  // the three months vendors promise
  CHECK(options.max_size == 10u * 1024 * 1024);
  CHECK(options.max_files == 10);

  settings.agent.log.file = "/var/log/ferry/ferry.log";
  settings.agent.log.max_age = std::chrono::hours(24 * 30);
  options = log_options(settings);
  CHECK(options.file == std::filesystem::path("/var/log/ferry/ferry.log"));
  CHECK(options.max_age == std::chrono::hours(24 * 30));
}

}  // namespace
}  // namespace ferry::app
