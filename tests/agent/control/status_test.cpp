// The status answer carries every key of SPEC section 8 with values taken from the agent, and the
// table `ferry status` prints says the same in words.
#include "agent/control/status.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

using namespace ferry;
namespace json = boost::json;

namespace {

config::Settings settings() {
  config::Settings s;
  s.agent.id = "school-042";
  s.agent.tenant = "district-7";
  s.uplink.url = "wss://ingest.example.org/v1/agent";
  s.spool.max_bytes = 1073741824;
  config::SourceSettings source;
  source.name = "sis";
  source.type = "oneroster_csv";
  s.sources.push_back(source);
  return s;
}

std::chrono::system_clock::time_point at(int seconds) {
  return std::chrono::system_clock::from_time_t(1'795'000'000 + seconds);
}

// What the agent knows five seconds after it started, with one source and an empty spool.
control::StatusInputs inputs_of(const config::Settings& config, collector::SourceStatus source) {
  control::StatusInputs in;
  in.settings = &config;
  in.started = at(0);
  in.now = at(5);
  in.sources = {std::move(source)};
  in.spool = spool::Stats{};
  return in;
}

TEST_CASE("a source's streams, retries and last change are in the status, and failed streams in "
          "the table") {
  const config::Settings config = settings();
  collector::SourceStatus sis;
  sis.name = "sis";
  sis.last_error = "1 of 2 streams failed; stream 'results': results.csv is missing";
  sis.failure = collector::FailureClass::kBadData;
  sis.consecutive_failures = 2;
  sis.retrying = true;
  sis.next_run = at(600);
  sis.last_change = at(3);
  sis.rows_last_change = 42;
  sis.streams = {{"users", 30, at(4), "", 0, 0},
                 {"results", 0, std::nullopt, "results.csv is missing", 0, 0}};
  const json::object status = control::status_json(inputs_of(config, sis));
  const json::object& source = status.at("sources").as_array().at(0).as_object();
  CHECK(source.at("failure_class") == "bad_data");
  CHECK(source.at("consecutive_failures") == 2);
  CHECK(source.at("retrying") == true);
  CHECK(source.at("rows_last_change") == 42);
  CHECK(source.at("last_change_at").is_string());
  const json::array& streams = source.at("streams").as_array();
  REQUIRE(streams.size() == 2);
  CHECK(streams[0].as_object().at("name") == "users");
  CHECK(streams[0].as_object().at("state") == "idle");
  CHECK(streams[0].as_object().at("rows_last_run") == 30);
  CHECK(streams[0].as_object().at("last_error").is_null());
  CHECK(streams[1].as_object().at("state") == "error");
  CHECK(streams[1].as_object().at("last_success_at").is_null());

  const std::string table = control::render_status(status);
  CHECK(table.find("(retry)") != std::string::npos);
  CHECK(table.find("stream sis.results failed: results.csv is missing") != std::string::npos);
  CHECK(table.find("stream sis.users") == std::string::npos);
}

TEST_CASE("each stream's bad rows and bad values of its last run are in the status and the table") {
  const config::Settings config = settings();
  collector::SourceStatus sis;
  sis.name = "sis";
  sis.next_run = at(600);
  sis.streams = {{"users", 30, at(4), "", 0, 0}, {"demographics", 30, at(4), "", 2, 3}};
  const json::object status = control::status_json(inputs_of(config, sis));
  const json::array& streams =
      status.at("sources").as_array().at(0).as_object().at("streams").as_array();
  REQUIRE(streams.size() == 2);
  CHECK(streams[0].as_object().at("bad_rows") == 0);
  CHECK(streams[0].as_object().at("bad_values") == 0);
  CHECK(streams[1].as_object().at("bad_rows") == 2);
  CHECK(streams[1].as_object().at("bad_values") == 3);

  const std::string table = control::render_status(status);
  CHECK(
      table.find("stream sis.demographics: last run had 2 bad rows, 3 bad values (see the log)") !=
      std::string::npos);
  CHECK(table.find("stream sis.users") == std::string::npos);
}

TEST_CASE("a source whose data stopped changing is stale in the status JSON and the table") {
  using namespace std::chrono_literals;
  config::Settings config = settings();
  config.sources[0].stale_after = 36h;
  collector::SourceStatus sis;
  sis.name = "sis";
  sis.next_run = at(600);
  sis.last_success = at(4);  // the runs succeed, reading nothing new
  sis.first_success = at(-200'000);
  sis.last_change = at(-130'000);
  sis.rows_last_change = 17;
  sis.stale_after = 36h;
  const json::object status = control::status_json(inputs_of(config, sis));
  const json::object& source = status.at("sources").as_array().at(0).as_object();
  CHECK(source.at("last_change_at") == "2026-11-16T23:00:00Z");
  CHECK(source.at("rows_last_change") == 17);
  CHECK(source.at("last_success_at").is_string());  // its meaning stays: the last success
  CHECK(source.at("first_success_at").is_string());
  CHECK(source.at("stale_after_s") == 36 * 3600);
  CHECK(source.at("stale") == true);
  CHECK(source.at("state") == "idle");  // stale is not an error of the run
  const std::string table = control::render_status(status);
  CHECK_THAT(table, Catch::Contains("source sis stale: no change since 2026-11-16 23:00:00Z "
                                    "(stale_after 36h): check that the export job feeding it "
                                    "still runs"));

  // Within stale_after, or without it: not stale, and no line.
  sis.last_change = at(-100);
  const json::object fresh = control::status_json(inputs_of(config, sis));
  CHECK(fresh.at("sources").as_array().at(0).as_object().at("stale") == false);
  CHECK(control::render_status(fresh).find("stale") == std::string::npos);
  sis.last_change = at(-130'000);
  sis.stale_after.reset();
  const json::object unwatched = control::status_json(inputs_of(config, sis));
  const json::object& plain = unwatched.at("sources").as_array().at(0).as_object();
  CHECK(plain.at("stale") == false);
  CHECK(plain.at("stale_after_s").is_null());
}

TEST_CASE("a source that never changed is stale from its first run, and the table says so") {
  using namespace std::chrono_literals;
  const config::Settings config = settings();
  collector::SourceStatus sis;
  sis.name = "sis";
  sis.next_run = at(600);
  sis.first_success = at(-200'000);
  sis.stale_after = 36h;
  const json::object status = control::status_json(inputs_of(config, sis));
  const json::object& source = status.at("sources").as_array().at(0).as_object();
  CHECK(source.at("last_change_at").is_null());
  CHECK(source.at("rows_last_change") == 0);
  CHECK(source.at("stale") == true);
  CHECK_THAT(control::render_status(status),
             Catch::Contains("source sis stale: no change seen since its first run at "
                             "2026-11-16 03:33:20Z (stale_after 36h)"));
}

}  // namespace

TEST_CASE("status JSON has every key of SPEC section 8, with the agent's values") {
  const config::Settings config = settings();
  control::StatusInputs in;
  in.settings = &config;
  in.started = at(0);
  in.now = at(73);
  collector::SourceStatus sis;
  sis.name = "sis";
  sis.last_run = at(10);
  sis.last_success = at(12);
  sis.next_run = at(910);
  sis.rows = 1200;
  in.sources = {sis};
  uplink::Status up;
  up.state = uplink::State::kConnected;
  up.url = config.uplink.url;
  up.tls_version = "TLSv1.3";
  up.acked_through = 41;
  up.last_delivered = at(70);
  up.sealing_key_id = "0123456789abcdef";
  in.uplink = up;
  spool::Stats stats;
  stats.batches = 2;
  stats.bytes = 5000;
  stats.rejected = 1;
  stats.oldest_created_unix = 1'795'000'000 + 60;
  in.spool = stats;
  in.key_version = 2;
  in.key_created = "2026-11-01T09:00:00Z";

  const json::object status = control::status_json(in);
  for (const char* key : {"agent_id", "tenant_id", "version", "pid", "uptime_s", "uplink", "spool",
                          "sources", "keys"}) {
    CHECK(status.contains(key));
  }
  CHECK(status.at("agent_id") == "school-042");
  CHECK(status.at("uptime_s").as_int64() == 73);
  const auto& uplink = status.at("uplink").as_object();
  CHECK(uplink.at("state") == "connected");
  CHECK(uplink.at("tls_version") == "TLSv1.3");
  CHECK(uplink.at("acked_through").as_uint64() == 41);
  CHECK(uplink.at("last_error").is_null());
  CHECK(uplink.at("url") == "wss://ingest.example.org/v1/agent");
  CHECK(uplink.at("last_delivered_at").is_string());
  CHECK(uplink.at("sealing_key_id") == "0123456789abcdef");
  CHECK(control::render_status(status).find("acked through seq 41, last delivered ") !=
        std::string::npos);
  const auto& spool = status.at("spool").as_object();
  CHECK(spool.at("batches").as_uint64() == 2);
  CHECK(spool.at("bytes").as_uint64() == 5000);
  CHECK(spool.at("oldest_age_s").as_int64() == 13);
  CHECK(spool.at("max_bytes").as_uint64() == 1073741824);
  CHECK(spool.at("rejected").as_uint64() == 1);
  const auto& source = status.at("sources").as_array().at(0).as_object();
  for (const char* key : {"name", "type", "state", "last_run_at", "last_success_at", "next_run_at",
                          "rows_last_run", "last_error"}) {
    CHECK(source.contains(key));
  }
  CHECK(source.at("type") == "oneroster_csv");
  CHECK(source.at("state") == "idle");
  CHECK(source.at("rows_last_run").as_uint64() == 1200);
  const auto& keys = status.at("keys").as_object();
  CHECK(keys.at("active_version").as_uint64() == 2);
  CHECK(keys.at("active_created") == "2026-11-01T09:00:00Z");
}

TEST_CASE("a disabled uplink, a failing source and an old key read as such") {
  config::Settings config = settings();
  config.agent.key_rotation_period = std::chrono::hours(24 * 180);
  control::StatusInputs in;
  in.settings = &config;
  in.started = at(0);
  in.now = at(5);
  collector::SourceStatus sis;
  sis.name = "sis";
  sis.last_error = "path /srv/export does not exist";
  in.sources = {sis};
  in.spool = spool::Stats{};
  in.key_version = 1;
  in.key_created = "2025-01-01T00:00:00Z";  // far more than the 180 days before `now`
  const json::object status = control::status_json(in);
  CHECK(status.at("uplink").as_object().at("state") == "disabled");
  CHECK(status.at("sources").as_array().at(0).as_object().at("state") == "error");
  CHECK(status.at("keys").as_object().at("rotation_due").as_bool());

  const std::string table = control::render_status(status);
  CHECK(table.find("uplink   disabled") != std::string::npos);
  CHECK(table.find("older than agent.key_rotation_period (180d): run ferry keys rotate") !=
        std::string::npos);
  CHECK(table.find("path /srv/export does not exist") != std::string::npos);
  CHECK(table.find("SOURCE  TYPE") != std::string::npos);
}
