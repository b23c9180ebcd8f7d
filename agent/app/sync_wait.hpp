// `sync_wait` (docs/protocol.md): the running agent polls the sources a `ferry sync` named, and
// answers once those runs have ended and, when asked, the spool has nothing left to send.
//
// Threads: on a control-server thread, holding a Generation::Lease. One sync_wait at a time runs
// its sources on a generation (Collector::run_once has one pending run per source); another waits
// for its turn within its own deadline.
#pragma once

#include <chrono>
#include <stop_token>

#include "agent/app/generation.hpp"
#include "agent/control/replies.hpp"
#include "agent/control/requests.hpp"

namespace ferry::app {

struct SyncWaitResult {
  control::SyncWaitReply reply;
  bool interrupted = false;  // `stop` came first (a reload or the agent stopping), not the deadline
};

// Fails (kNotFound) when a named source is not in the generation's configuration.
Result<SyncWaitResult> sync_and_wait(Generation& generation,
                                     const control::SyncWaitRequest& request,
                                     std::chrono::steady_clock::time_point deadline,
                                     std::stop_token stop);

}  // namespace ferry::app
