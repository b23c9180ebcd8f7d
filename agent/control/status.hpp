// The answer to the control socket's `status` request (SPEC section 8) and its rendering as the
// human table of `ferry status`. The JSON carries every key SPEC section 8 names, plus a few more
// (counters, the key's age), never a secret or a row value.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "agent/collector/source_status.hpp"
#include "agent/spool/spool.hpp"
#include "agent/uplink/uplink.hpp"
#include "common/config/settings.hpp"

namespace ferry::control {

struct StatusInputs {
  const config::Settings* settings = nullptr;
  std::chrono::system_clock::time_point started;
  std::chrono::system_clock::time_point now;
  std::vector<collector::SourceStatus> sources;
  std::optional<uplink::Status> uplink;  // nullopt: uplink.enabled is false
  std::optional<spool::Stats> spool;     // nullopt: the spool could not be read
  std::uint32_t key_version = 0;
  std::string key_created;  // RFC 3339; with settings->agent.key_rotation_period, flagged when due
  // A key rotation's progress: rekey batches (maps old token -> new token) not yet acknowledged
  // by the tenant (docs/key-rotation.md).
  std::uint64_t rekey_batches_pending = 0;
};

boost::json::object status_json(const StatusInputs& inputs);

// The table `ferry status` prints, from the JSON the agent answered.
std::string render_status(const boost::json::object& status);

}  // namespace ferry::control
