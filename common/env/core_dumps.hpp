// A process that holds the key file's secrets (or rows in clear, before the policy) must not
// leave them in a core dump, where anyone who can read /var/lib/systemd/coredump or the working
// folder would find them. Every command that loads the key file calls this first.
#pragma once

#include "common/error/error.hpp"

namespace ferry::env {

// Linux: RLIMIT_CORE 0 (soft and hard: it cannot be raised again) and PR_SET_DUMPABLE 0 (no core,
// even through a core_pattern pipe, and no ptrace attach by other processes of the same user).
// Windows: a crash ends the process in its own unhandled-exception filter, before Windows Error
// Reporting could write a dump, and shows no dialog (core_dumps_windows.cpp).
Result<void> forbid_core_dumps();

}  // namespace ferry::env
