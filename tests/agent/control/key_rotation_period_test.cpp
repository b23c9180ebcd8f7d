// agent.key_rotation_period drives every "rotate the key" warning: `ferry status` (its JSON and its
// table) and the metrics follow the configured period, and say nothing without one. The clock is
// a FakeClock moved past the period; `ferry check` is tested end to end in
// tests/agent/cli/keys_backup_test.cpp.
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "agent/control/status.hpp"
#include "agent/metrics/metrics.hpp"
#include "common/config/load.hpp"
#include "common/keys/key_age.hpp"
#include "connectors/registry/registry.hpp"
#include "tests/support/fake_clock.hpp"
#include "tests/support/minimal_config.hpp"

namespace ferry {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

constexpr std::string_view kCreated = "2026-11-01T09:00:00Z";

config::Settings settings_with(std::optional<config::Duration> period) {
  config::Settings s;
  s.agent.id = "school-042";
  s.agent.tenant = "district-7";
  s.spool.max_bytes = 1073741824;
  s.agent.key_rotation_period = period;
  return s;
}

control::StatusInputs inputs_at(const config::Settings& settings, env::WallTime now) {
  control::StatusInputs in;
  in.settings = &settings;
  in.started = now - 5s;
  in.now = now;
  in.key_version = 2;
  in.key_created = std::string(kCreated);
  return in;
}

TEST_CASE("status warns of the key's age only past agent.key_rotation_period") {
  const config::Settings config = settings_with(config::Duration(24h * 90));
  test::FakeClock clock(*keys::parse_rfc3339(kCreated) + 24h * 89);
  json::object status = control::status_json(inputs_at(config, clock.now()));
  const json::object& keys = status.at("keys").as_object();
  CHECK(keys.at("rotation_period") == "90d");
  CHECK_FALSE(keys.at("rotation_due").as_bool());
  CHECK(control::render_status(status).find("WARNING") == std::string::npos);

  clock.advance(24h * 2);  // 91 days old
  status = control::status_json(inputs_at(config, clock.now()));
  CHECK(status.at("keys").at("rotation_due").as_bool());
  CHECK(status.at("keys").at("active_age_days") == 91);
  CHECK_THAT(control::render_status(status),
             Catch::Contains("(91 days ago)  WARNING: older than agent.key_rotation_period "
                             "(90d): run ferry keys rotate"));
}

TEST_CASE("without agent.key_rotation_period no key is ever due") {
  const config::Settings config = settings_with(std::nullopt);
  test::FakeClock clock(*keys::parse_rfc3339(kCreated) + 24h * 3650);  // ten years on
  const json::object status = control::status_json(inputs_at(config, clock.now()));
  CHECK(status.at("keys").at("rotation_period").is_null());
  CHECK_FALSE(status.at("keys").at("rotation_due").as_bool());
  const std::string table = control::render_status(status);
  CHECK(table.find("WARNING") == std::string::npos);
  CHECK(table.find("3650 days ago") != std::string::npos);
  const std::string metrics = metrics::render_metrics(inputs_at(config, clock.now()));
  CHECK(metrics.find("ferry_key_rotation_period_seconds") == std::string::npos);
  CHECK(metrics.find("\nferry_key_age_seconds 315360000\n") != std::string::npos);
}

TEST_CASE("the metrics carry the configured rotation period beside the key's age") {
  const config::Settings config = settings_with(config::Duration(24h * 180));
  test::FakeClock clock(*keys::parse_rfc3339(kCreated) + 24h * 200);
  const std::string metrics = metrics::render_metrics(inputs_at(config, clock.now()));
  CHECK(metrics.find("# TYPE ferry_key_rotation_period_seconds gauge\n"
                     "ferry_key_rotation_period_seconds 15552000\n") != std::string::npos);
  CHECK(metrics.find("\nferry_key_age_seconds 17280000\n") != std::string::npos);
}

TEST_CASE("agent.key_rotation_period is optional and takes a duration of at least a day") {
  const auto load = [](std::string_view line) {
    return config::load_config_text(test::minimal_config("/var/lib/ferry", "/srv/export", line),
                                    "ferry.yaml", connectors::catalog());
  };
  auto unset = load("");
  REQUIRE(unset);
  CHECK_FALSE(unset->agent.key_rotation_period.has_value());
  auto set = load("  key_rotation_period: 180d\n");
  REQUIRE(set);
  CHECK(set->agent.key_rotation_period == config::Duration(24h * 180));
  auto short_one = load("  key_rotation_period: 12h\n");
  REQUIRE_FALSE(short_one);
  CHECK(short_one.error().at(0).to_string() ==
        "ferry.yaml:5:24: agent.key_rotation_period must be at least 1d, got '12h'");
  auto bad = load("  key_rotation_period: six months\n");
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().at(0).to_string(),
             Catch::StartsWith("ferry.yaml:5:24: agent.key_rotation_period: "));
}

}  // namespace
}  // namespace ferry
