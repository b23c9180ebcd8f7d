// The key file on Linux: replaced by a rename (a new inode), and its mode checked with the chmod
// fix named. (On Windows the access-list rule is tested in fs_tests.)
#include <chrono>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <sys/stat.h>

#include "common/keys/keyring.hpp"
#include "tests/support/system_checks.hpp"
#include "tests/support/temp_dir.hpp"

namespace ferry::keys {
namespace {

using test::TempDir;

std::chrono::system_clock::time_point at(std::int64_t unix_seconds) {
  return std::chrono::system_clock::time_point(std::chrono::seconds(unix_seconds));
}

TEST_CASE("rotate rewrites the key file atomically by renaming a new file over it") {
  TempDir dir;
  const auto path = dir / "keyring.json";
  auto keyring = Keyring::create(path, at(0));
  REQUIRE(keyring);
  struct stat before {};
  ::stat(path.c_str(), &before);
  REQUIRE(keyring->rotate(at(1)));
  struct stat after {};
  ::stat(path.c_str(), &after);
  CHECK(before.st_ino != after.st_ino);  // a new file took the name; the old was never rewritten
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  // No temporary file left behind; the lock file rotations share stays, private.
  CHECK(names == std::vector<std::string>{"keyring.json", "keyring.json.lock"});
  CHECK(test::owner_only(dir / "keyring.json.lock"));
}

TEST_CASE("a group- or world-readable key file is refused with the chmod fix") {
  TempDir dir;
  const auto path = dir / "keyring.json";
  REQUIRE(Keyring::create(path, at(0)));
  ::chmod(path.c_str(), 0644);
  auto loaded = Keyring::load(path);
  REQUIRE_FALSE(loaded);
  CHECK(loaded.error().code == ErrorCode::kPermission);
  CHECK(loaded.error().message ==
        path.string() + " is readable by others (mode 0644): run chmod 600 " + path.string());

  ::chmod(path.c_str(), 0620);
  auto writable = Keyring::load(path);
  REQUIRE_FALSE(writable);
  CHECK_THAT(writable.error().message, Catch::Contains("writable by others (mode 0620)"));
}

}  // namespace
}  // namespace ferry::keys
