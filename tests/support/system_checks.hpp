// What the file-system tests check that each system says its own way, one file per system
// (system_checks_posix.cpp, system_checks_windows.cpp).
#pragma once

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

namespace ferry::test {

// `path` may be read and written by its owner only: mode 0700 (a folder) or 0600 (a file) on
// Linux; on Windows an access list of its own (nothing inherited) that gives full control to this
// process's user, SYSTEM, Administrators and NT SERVICE\Ferry, and to no one else. Under Wine,
// which shows a file's Unix mode as its list: the user's entry, and no one else's but SYSTEM's.
bool owner_only(const std::filesystem::path& path);

// How the system words "the file is not there" in a message.
std::string missing_file_reason();

// Whether names in `folder` ignore case (Windows' file systems do: "School.csv" opens
// SCHOOL.CSV), found by making a file and asking for it in capitals.
inline bool case_insensitive_names(const std::filesystem::path& folder) {
  const auto probe = folder / "ferry-case-probe";
  { std::ofstream(probe) << "x"; }
  std::error_code ec;
  const bool found = std::filesystem::exists(folder / "FERRY-CASE-PROBE", ec);
  std::filesystem::remove(probe, ec);
  return found;
}

// Why owner_only() cannot see a list set on a file that already exists (Wine), or nullopt.
std::optional<std::string> permissions_unchecked();

}  // namespace ferry::test
