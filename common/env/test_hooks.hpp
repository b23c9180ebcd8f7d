// Seams where a test makes the agent misbehave on purpose. Every hook is a null function pointer in
// the `ferry` program and in the package: nothing there sets one, and no code behind them exists in
// it. Only the test build's `ferry-test-hooks` program (tests/agent/ferry_test_hooks_main.cpp) sets
// them, from its environment, to prove that a stuck loop stops the systemd watchdog.
#pragma once

#include <string_view>

namespace ferry::env::test_hooks {

// Called on the thread of the loop that a liveness probe checks (today "uplink": the uplink's
// io thread), from the handler the probe posted there. A hook that never returns leaves that loop stuck, as a bug would.
extern void (*on_liveness_probe)(std::string_view loop);

inline void liveness_probe(std::string_view loop) {
  if (on_liveness_probe != nullptr) on_liveness_probe(loop);
}

}  // namespace ferry::env::test_hooks
