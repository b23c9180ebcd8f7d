// The one line a service manager shows for the running agent (`systemctl status ferry`, the
// STATUS= of sd_notify): the uplink's state, the spool's depth, the last successful source run,
// and how many sources are failing. Names, states and counts only: never a row value or secret.
//
//   uplink connected; spool 3 batches (1.2 MiB), oldest 41s; last sync 2026-12-05T10:15:02Z
//   uplink backoff; spool 12 batches (8.0 MiB), oldest 2h; last sync never; 1 of 2 sources failing
#pragma once

#include <string>

#include "agent/control/status.hpp"

namespace ferry::app {

std::string service_status_line(const control::StatusInputs& inputs);

}  // namespace ferry::app
