#include "agent/control/peer_posix.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>
#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/fs/secret_file_posix.hpp"

namespace ferry::control {
namespace {

// Calls a reentrant lookup of the passwd or group database (getpwuid_r, getgrgid_r) with a buffer
// that grows until the entry fits; the entry found, or null.
template <class Key, class Entry>
Entry* look_up(int (*lookup)(Key, Entry*, char*, std::size_t, Entry**), Key key, Entry& entry,
               std::vector<char>& buffer) {
  Entry* found = nullptr;
  buffer.resize(16 * 1024);
  while (lookup(key, &entry, buffer.data(), buffer.size(), &found) == ERANGE &&
         buffer.size() < 1024 * 1024) {
    buffer.resize(buffer.size() * 2);
  }
  return found;
}

// The user's name and primary gid from the passwd database; nullopt when it has no entry.
std::optional<std::pair<std::string, gid_t>> passwd_of(uid_t uid) {
  std::vector<char> buffer;
  passwd entry{};
  const passwd* found = look_up(::getpwuid_r, uid, entry, buffer);
  if (found == nullptr) return std::nullopt;
  return std::make_pair(std::string(found->pw_name), found->pw_gid);
}

std::string group_name(gid_t gid) {
  std::vector<char> buffer;
  group entry{};
  const group* found = look_up(::getgrgid_r, gid, entry, buffer);
  return found != nullptr ? std::string(found->gr_name) : std::to_string(gid);
}

}  // namespace

Result<Peer> peer_of(int socket_fd) {
  ucred credentials{};
  socklen_t length = sizeof credentials;
  if (::getsockopt(socket_fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0) {
    return make_error(ErrorCode::kIo,
                      "cannot tell who is at the other end of the control socket: {}",
                      std::strerror(errno));
  }
  return Peer{credentials.uid, credentials.gid, credentials.pid};
}

bool belongs_to_group(uid_t uid, gid_t peer_gid, gid_t gid) {
  if (peer_gid == gid) return true;
  auto entry = passwd_of(uid);
  if (!entry) return false;
  if (entry->second == gid) return true;
  int count = 64;
  std::vector<gid_t> groups(static_cast<std::size_t>(count));
  while (::getgrouplist(entry->first.c_str(), entry->second, groups.data(), &count) < 0) {
    if (count <= static_cast<int>(groups.size())) count = static_cast<int>(groups.size()) * 2;
    groups.resize(static_cast<std::size_t>(count));
  }
  groups.resize(static_cast<std::size_t>(count));
  return std::find(groups.begin(), groups.end(), gid) != groups.end();
}

std::string describe_group(gid_t gid) {
  const std::string name = group_name(gid);
  if (name == std::to_string(gid)) return fmt::format("gid {}", gid);
  return fmt::format("{} (gid {})", name, gid);
}

std::optional<std::string> refusal_for(const Peer& peer, uid_t agent_uid, gid_t socket_gid) {
  if (peer.uid == 0 || peer.uid == agent_uid || belongs_to_group(peer.uid, peer.gid, socket_gid)) {
    return std::nullopt;
  }
  return fmt::format(
      "user {} may not use this agent's control socket: it answers root, the agent's user {} and "
      "the members of group {}; an admin can let this user in with: usermod -aG {} {}",
      fs::describe_user(peer.uid), fs::describe_user(agent_uid), describe_group(socket_gid),
      group_name(socket_gid), env::user_name(peer.uid));
}

std::optional<std::string> distrust_of(const std::string& socket, uid_t server_uid,
                                       uid_t owner_uid) {
  if (server_uid == 0 || server_uid == owner_uid) return std::nullopt;
  return fmt::format(
      "{} answers as user {}, who neither is root nor owns the socket file (its owner is {}): "
      "not talking to it. Another program may have taken the agent's place there: check "
      "agent.control_socket, and who runs the agent",
      socket, fs::describe_user(server_uid), fs::describe_user(owner_uid));
}

}  // namespace ferry::control
