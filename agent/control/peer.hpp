// Who is at the other end of the agent's control channel (SPEC section 8, docs/security.md), as
// the system says: on Linux the kernel's SO_PEERCRED for a Unix domain socket (peer_posix.hpp
// says who may talk); on Windows the named pipe client's token (windows_pipe.hpp).
#pragma once

#include "common/env/user.hpp"

namespace ferry::control {

// The credentials the peer had when it connected (or, for a server, when it listened).
struct Peer {
  env::UserId uid{};
  env::GroupId gid{};
  env::ProcessId pid{};
};

}  // namespace ferry::control
