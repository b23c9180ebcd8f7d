// Linux only: the secret-file rule for a process running as another user (tests simulate root
// and other users), and how a user is named in messages.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

#include <sys/types.h>

#include "common/error/error.hpp"
#include "common/fs/secret_file.hpp"

namespace ferry::fs {

// The same checks, for a process running as `euid` (tests simulate root and other users; the
// groups are this process's).
Result<std::string> read_secret_file_as(uid_t euid, const std::filesystem::path& path,
                                        std::size_t max_size,
                                        const std::filesystem::path& service_dir,
                                        SecretSharing sharing = SecretSharing::kPrivate);

// "ferry (uid 998)"; "uid 4242" for a uid without a name.
std::string describe_user(uid_t uid);

// What chown and sudo -u take: the user's name, or the uid in decimal for a uid without one.
std::string account_name(uid_t uid);

}  // namespace ferry::fs
