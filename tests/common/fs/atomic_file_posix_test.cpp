// Atomic files on Linux: the modes each Access stands for.
#include <catch2/catch.hpp>
#include <sys/stat.h>

#include "common/fs/atomic_file.hpp"
#include "tests/support/temp_dir.hpp"

namespace ferry::fs {
namespace {

mode_t mode_of(const std::filesystem::path& path) {
  struct stat info {};
  ::stat(path.c_str(), &info);
  return info.st_mode & 07777;
}

TEST_CASE("an atomic write gives each Access its mode") {
  test::TempDir dir;
  REQUIRE(write_file_atomically(dir / "key", "k", Access::kOwnerOnly));
  CHECK(mode_of(dir / "key") == 0600);
  REQUIRE(write_file_atomically(dir / "ca.pem", "c", Access::kAllRead));
  CHECK(mode_of(dir / "ca.pem") == 0644);
  REQUIRE(write_file_atomically(dir / "new", "n", Access::kAsReplaced));
  CHECK(mode_of(dir / "new") == 0600);  // nothing to keep: the owner's only
}

TEST_CASE("an atomic write with kAsReplaced keeps the mode of the file it replaces") {
  test::TempDir dir;
  const auto path = dir.write("audit.log", "old");
  ::chmod(path.c_str(), 0640);
  REQUIRE(write_file_atomically(path, "new", Access::kAsReplaced));
  CHECK(test::read_file(path) == "new");
  CHECK(mode_of(path) == 0640);
}

}  // namespace
}  // namespace ferry::fs
