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
// Each refusal is kPermission with the command that fixes it (chmod, chown), or kNotFound.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

#include <sys/types.h>

#include "common/error/error.hpp"

namespace ferry::fs {

Result<std::string> read_secret_file(const std::filesystem::path& path, std::size_t max_size,
                                     const std::filesystem::path& service_dir);

// The same checks, for a process running as `euid` (tests simulate root and other users).
Result<std::string> read_secret_file_as(uid_t euid, const std::filesystem::path& path,
                                        std::size_t max_size,
                                        const std::filesystem::path& service_dir);

// "ferry (uid 998)"; "uid 4242" for a uid without a name.
std::string describe_user(uid_t uid);

}  // namespace ferry::fs
