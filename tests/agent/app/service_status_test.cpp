// The one line `systemctl status ferry` shows (STATUS= of sd_notify).
#include <catch2/catch.hpp>

#include "agent/app/service_status.hpp"

namespace ferry::app {
namespace {

using namespace std::chrono_literals;

control::StatusInputs inputs_at(std::chrono::system_clock::time_point now) {
  control::StatusInputs inputs;
  inputs.now = now;
  inputs.spool = spool::Stats{};
  return inputs;
}

TEST_CASE("service status line: uplink off, empty spool, no sync yet") {
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
  CHECK(service_status_line(inputs_at(now)) ==
        "uplink disabled (spool only); spool 0 batches (0 B); last sync never");
}

TEST_CASE("service status line: uplink state, spool depth and age, last sync, failing sources") {
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
  auto inputs = inputs_at(now);
  inputs.uplink = uplink::Status{};
  inputs.uplink->state = uplink::State::kBackoff;
  inputs.spool->batches = 1;
  inputs.spool->bytes = 2048;
  inputs.spool->oldest_created_unix = 1'800'000'000 - 90;
  collector::SourceStatus sis;
  sis.name = "sis";
  sis.last_success = now - 1h;
  collector::SourceStatus lms;
  lms.name = "lms";
  lms.last_success = now - 2h;
  lms.last_error = "cannot read /srv/export: No such file or directory";
  inputs.sources = {sis, lms};
  const std::string line = service_status_line(inputs);
  CHECK(line ==
        "uplink backoff; spool 1 batch (2.0 KiB), oldest 1m30s; last sync 2027-01-15T07:00:00Z; "
        "1 of 2 sources failing");
  // Names, states and counts: the error's text (which may name a path) stays in the log.
  CHECK(line.find("/srv/export") == std::string::npos);
}

}  // namespace
}  // namespace ferry::app
