// The Windows service's log (StderrStyle::kEventLog): warnings and errors reach the Event Log,
// through event_log.hpp's seam, here a recording fake (Wine keeps no Event Log); every line still
// reaches the file. Runs on both systems: the routing is the same code.
#include "common/log/event_log.hpp"

#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "common/log/log.hpp"
#include "tests/support/temp_dir.hpp"

namespace ferry::log {
namespace {

TEST_CASE("the service's warnings and errors go to the Event Log and every line to the file") {
  test::TempDir dir;
  std::vector<std::pair<Event, std::string>> events;
  const EventWriter previous = replace_event_writer(
      [&](Event event, std::string_view text) { events.emplace_back(event, std::string(text)); });
  LogOptions options;
  options.file = dir / "ferry.log";
  REQUIRE(setup(options, StderrStyle::kEventLog));
  CHECK(current_style() == StderrStyle::kEventLog);
  auto logger = get("uplink");
  logger->info("uplink connected");
  logger->warn("tenant slow to acknowledge batches=3");
  logger->error("cannot reach the tenant");
  logger->critical("spool unusable");
  logger->flush();
  replace_event_writer(previous);
  REQUIRE(setup(LogOptions{}, StderrStyle::kPlain));  // release the file

  const std::vector<std::pair<Event, std::string>> expected = {
      {Event::kWarning, "[uplink] tenant slow to acknowledge batches=3"},
      {Event::kError, "[uplink] cannot reach the tenant"},
      {Event::kError, "[uplink] spool unusable"},
  };
  CHECK(events == expected);
  const std::string file = test::read_file(dir / "ferry.log");
  CHECK_THAT(file, Catch::Contains("uplink connected"));
  CHECK_THAT(file, Catch::Contains("spool unusable"));
}

TEST_CASE("without the service's style nothing goes to the Event Log") {
  std::vector<Event> events;
  const EventWriter previous =
      replace_event_writer([&](Event event, std::string_view) { events.push_back(event); });
  REQUIRE(setup(LogOptions{}, StderrStyle::kOff));
  get("uplink")->error("cannot reach the tenant");
  replace_event_writer(previous);
  REQUIRE(setup(LogOptions{}, StderrStyle::kPlain));
  CHECK(events.empty());
}

TEST_CASE("an event reported directly goes to the writer once") {
  std::vector<std::pair<Event, std::string>> events;
  const EventWriter previous = replace_event_writer(
      [&](Event event, std::string_view text) { events.emplace_back(event, std::string(text)); });
  report_event(Event::kStartFailed, "the configuration is not valid");
  replace_event_writer(previous);
  REQUIRE(events.size() == 1);
  CHECK(events[0].first == Event::kStartFailed);
  CHECK(events[0].second == "the configuration is not valid");
}

}  // namespace
}  // namespace ferry::log
