// What the file-system tests check that each system says its own way, one file per system
// (system_checks_posix.cpp, system_checks_windows.cpp).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace ferry::test {

// `path` may be read and written by its owner only: mode 0700 (a folder) or 0600 (a file) on
// Linux; on Windows an access list of its own (nothing inherited) that gives full control to this
// process's user, SYSTEM and Administrators, and to no one else. Under Wine, which shows a file's
// Unix mode as its list: the user's entry, and no one else's but SYSTEM's.
bool owner_only(const std::filesystem::path& path);

// How the system words "the file is not there" in a message.
std::string missing_file_reason();

// Why owner_only() cannot see a list set on a file that already exists (Wine), or nullopt.
std::optional<std::string> permissions_unchecked();

}  // namespace ferry::test
