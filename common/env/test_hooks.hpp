// Seams where a test makes the agent misbehave on purpose. Every hook is a null function pointer in
// the `ferry` program and in the package: nothing there sets one, and no code behind them exists in
// it. Only the test build's `ferry-test-hooks` program (tests/integration/test_hooks_main.cpp) sets
// them, from its environment: to prove that a stuck loop stops the systemd watchdog, and to end
// the process at a named crash point (docs/reliability.md).
#pragma once

#include <string_view>

namespace ferry::env::test_hooks {

// Called on the thread of the loop that a liveness probe checks (today "uplink": the uplink's
// io thread), from the handler the probe posted there. A hook that never returns leaves that loop stuck, as a bug would.
extern void (*on_liveness_probe)(std::string_view loop);

inline void liveness_probe(std::string_view loop) {
  if (on_liveness_probe != nullptr) on_liveness_probe(loop);
}

// Called at the named moments where a crash must lose nothing (docs/reliability.md lists them):
//   "spool-after-insert"   a commit's rows are written, its transaction not yet committed
//   "spool-after-commit"   committed, the uplink not yet told
//   "uplink-after-send"    a batch is written to the connection, its ack not yet read
//   "uplink-after-ack"     an ack is read, the batch not yet deleted from the spool
//   "spool-merge-digests"  amid a merge of change-detection digests, in its transaction
//   "spool-erase"          an erasure is written, its transaction not yet committed
// A hook that ends the process there is a kill at exactly that instant.
extern void (*on_crash_point)(std::string_view point);

inline void crash_point(std::string_view point) {
  if (on_crash_point != nullptr) on_crash_point(point);
}

}  // namespace ferry::env::test_hooks
