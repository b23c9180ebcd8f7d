// Who this process runs as, and who asked the agent for something (a control request, a signal):
// the uid on POSIX, the SID in its text form ("S-1-5-21-...") on Windows. Audit records carry it
// as "uid" either way (docs/audit.md); log lines name it as "uid 1000" or "uid S-1-5-21-...".
#pragma once

#include <string>

#if defined(_WIN32)
namespace ferry::env {
using UserId = std::string;
using GroupId = std::string;
using ProcessId = unsigned long;
}  // namespace ferry::env
#else
#include <sys/types.h>
namespace ferry::env {
using UserId = uid_t;
using GroupId = gid_t;
using ProcessId = pid_t;
}  // namespace ferry::env
#endif

namespace ferry::env {

// The real uid; on Windows the user of the process's token ("" when it cannot be read).
UserId current_user();

// The account's name ("ferry", "DOMAIN\\name"); the id itself for an account without one.
std::string user_name(const UserId& user);

}  // namespace ferry::env
