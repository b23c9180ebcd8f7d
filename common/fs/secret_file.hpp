// Reading a file that holds a secret (the key file, uplink.token_file, uplink.client_key) so that
// a file someone else could have written, swapped or read is never trusted:
//  - it is opened with O_NOFOLLOW: a symbolic link is refused, since whoever can write the link's
//    folder could point it elsewhere;
//  - the open file itself is checked (fstat, so a rename after the check changes nothing): a
//    regular file, no access at all for group or others, and its folder not writable by others
//    (unless sticky, as /tmp is);
//  - its owner must be the user running the command. A command run as root also trusts files of
//    root and of the owner of `service_dir` (the data_dir, which belongs to the service account),
//    so that an administrator can `sudo ferry reveal` against the service's key file, while a
//    file that another account controls is never used.
// A secret in /etc that root keeps for a service account (uplink.token_file as the package sets
// it up: /etc/ferry/token, root:ferry 0640) is allowed with SecretSharing::kRootToOwnGroup: owned
// by root, readable by a group of the process (for root: the group of `service_dir`, which the
// service account owns), and by no one else; no one but root may write it.
// The key file never is: it stays the agent's own, 0600.
// Each refusal is kPermission with the command that fixes it (chmod, chown), or kNotFound.
//
// On Windows (secret_file_windows.cpp) the same rule in Windows' terms:
//  - a reparse point (a symbolic link or a junction) is refused, as a link is on Linux;
//  - the open file is checked: a file on disk, owned by one of env::windows::trusted_accounts():
//    this process's user, SYSTEM, Administrators (who may read any file, as root may on Linux)
//    or the Ferry service's account NT SERVICE\Ferry (so an administrator may run `ferry reveal`
//    against the service's key file, and the service read a key file an administrator made);
//  - its access list lets no one else read or write it: every entry that allows anything names
//    one of those. SecretSharing changes nothing there: a service account is given access by name.
// A refusal names the icacls command that fixes it.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

#include "common/error/error.hpp"

namespace ferry::fs {

enum class SecretSharing {
  kPrivate,         // only the owner may read it (mode 0600 or 0400)
  kRootToOwnGroup,  // also: owned by root, mode 0640 or 0440, its group one of this process's
};

Result<std::string> read_secret_file(const std::filesystem::path& path, std::size_t max_size,
                                     const std::filesystem::path& service_dir,
                                     SecretSharing sharing = SecretSharing::kPrivate);

// A folder that holds secrets (the data_dir) is its owner's alone: on Linux no mode bit for its
// group or others (kPermission naming the mode and `chmod 700`); on Windows not a reparse point,
// and its owner and access list as read_secret_file requires of a file (kPermission naming the
// icacls fix). kNotFound when it does not exist; kIo when it cannot be looked at.
Result<void> check_private_folder(const std::filesystem::path& path);

}  // namespace ferry::fs
