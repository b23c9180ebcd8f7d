// Windows only: the service's control handler (service_host_windows.cpp) hands a stop (STOP,
// SHUTDOWN, PRESHUTDOWN) or a reload (PARAMCHANGE) to AgentSignals::wait() as the console handler
// hands Ctrl-C (signals_windows.cpp). Taken only between block() and restore(); the service
// accepts no control before the agent is ready, which is after block().
#pragma once

#include "agent/app/signals.hpp"

namespace ferry::app {

// From any thread. `signal.name` must outlive its taking (a literal).
void post_service_control(const ReceivedSignal& signal);

}  // namespace ferry::app
