// Who may use the control socket (SPEC section 8, docs/security.md): the agent answers root, its
// own user and the members of the socket file's group; `ferry` talks only to an agent that runs
// as root or as the user who owns the socket file.
//
// Plain functions; the group database (getpwuid_r, getgrouplist) is read at each call, so a user
// added to a group is let in at once, without restarting the agent.
#pragma once

#include <optional>
#include <string>

#include <sys/types.h>

#include "agent/control/peer.hpp"
#include "common/error/error.hpp"

namespace ferry::control {

// kIo when the kernel cannot say (not a Unix domain socket).
Result<Peer> peer_of(int socket_fd);

// Whether user `uid` belongs to group `gid`: as its primary group or as one of the groups the
// group database lists it in (getgrouplist). False for a uid without a passwd entry, unless
// `gid` is the primary gid the kernel reported for the peer (`peer_gid`).
bool belongs_to_group(uid_t uid, gid_t peer_gid, gid_t gid);

// "ferry (gid 998)"; "gid 4242" for a group without a name.
std::string describe_group(gid_t gid);

// Why the agent (running as `agent_uid`, its socket file in group `socket_gid`) does not answer
// `peer`, written for that user and the admin; nullopt when it may: root, the agent's own user, or
// a member of the socket's group.
std::optional<std::string> refusal_for(const Peer& peer, uid_t agent_uid, gid_t socket_gid);

// Why `ferry` must not talk to a server that answers on `socket` as `server_uid` when the socket
// file belongs to `owner_uid`; nullopt when it is root or that owner.
std::optional<std::string> distrust_of(const std::string& socket, uid_t server_uid,
                                       uid_t owner_uid);

}  // namespace ferry::control
