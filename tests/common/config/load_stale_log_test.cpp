// The two keys of issue 15 sections 2 and 5: a source's stale_after (optional, a duration longer
// than its schedule) and agent.log.max_age (a duration of at least a day, 90 days by default).
#include <catch2/catch.hpp>

#include "common/config/load.hpp"
#include "tests/common/config/test_catalog.hpp"

using ferry::config::test::diagnostics_of;
using ferry::config::test::test_catalog;
using Lines = std::vector<std::string>;
using namespace std::chrono_literals;

namespace {

// An offline agent (lines 1-2), `log:` on line 1 when given, and one source from line 4.
std::string config_with(std::string_view log, std::string_view source) {
  return "agent: {id: a, tenant: t, data_dir: /d" + std::string(log) +
         "}\nuplink: {enabled: false, tenant_public_key: "
         "\"ZmVycnktdGVzdC10ZW5hbnQta2V5LTMyLWJ5dGVzISE=\"}\nsources:\n" +
         std::string(source);
}

ferry::config::Settings load_ok(const std::string& yaml) {
  auto loaded = ferry::config::load_config_text(yaml, "ferry.yaml", test_catalog());
  if (!loaded) {
    for (const auto& d : loaded.error()) UNSCOPED_INFO(d.to_string());
  }
  REQUIRE(loaded);
  return std::move(*loaded);
}

}  // namespace

TEST_CASE("stale_after is optional and read as a duration") {
  const auto plain = load_ok(config_with("", "  - {name: sis, type: oneroster_csv, path: /a}\n"));
  CHECK_FALSE(plain.sources.at(0).stale_after);
  const auto nightly = load_ok(config_with(
      "",
      "  - {name: sis, type: oneroster_csv, path: /a, schedule: every 15m, stale_after: 36h}\n"));
  REQUIRE(nightly.sources.at(0).stale_after);
  CHECK(*nightly.sources.at(0).stale_after == 36h);
  // A cron schedule is not compared.
  const auto cron = load_ok(config_with(
      "",
      "  - {name: sis, type: oneroster_csv, path: /a, schedule: \"0 6 * * *\", stale_after: "
      "2h}\n"));
  CHECK(*cron.sources.at(0).stale_after == 2h);
}

TEST_CASE("a stale_after that is not a duration or not longer than the schedule is refused") {
  const auto no_unit = diagnostics_of(
      config_with("", "  - {name: sis, type: oneroster_csv, path: /a, stale_after: 36}\n"));
  REQUIRE(no_unit.size() == 1);
  CHECK_THAT(no_unit[0], Catch::StartsWith("ferry.yaml:4:") && Catch::Contains("stale_after") &&
                             Catch::Contains("'36' has no unit"));
  CHECK(diagnostics_of(config_with("",
                                   "  - {name: sis, type: oneroster_csv, path: /a, "
                                   "schedule: every 1h, stale_after: 30m}\n")) ==
        Lines{"ferry.yaml:4:81: stale_after 30m of source 'sis' is not longer than its schedule "
              "(every 1h): it would be stale between any two runs; give it more than the time "
              "between two changes of the data, such as 36h for a nightly export"});
}

TEST_CASE("log.max_age defaults to 90 days and takes at least a day") {
  const auto defaults =
      load_ok(config_with("", "  - {name: sis, type: oneroster_csv, path: /a}\n"));
  CHECK(defaults.agent.log.max_age == std::chrono::hours(24 * 90));
  const auto month = load_ok(
      config_with(", log: {max_age: 30d}", "  - {name: sis, type: oneroster_csv, path: /a}\n"));
  CHECK(month.agent.log.max_age == std::chrono::hours(24 * 30));
  const auto refused = diagnostics_of(
      config_with(", log: {max_age: 2h}", "  - {name: sis, type: oneroster_csv, path: /a}\n"));
  REQUIRE(refused.size() == 1);
  CHECK_THAT(refused[0], Catch::Contains("must be at least 1d, got '2h'"));
}
