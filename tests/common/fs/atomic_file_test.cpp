// Atomic files, on both systems: who may read what is written, replace and refuse, and a private
// folder. The modes themselves (0644, a replaced file's own) are in atomic_file_posix_test.cpp.
#include "common/fs/atomic_file.hpp"

#include <catch2/catch.hpp>

#include "tests/support/system_checks.hpp"
#include "tests/support/temp_dir.hpp"

namespace ferry::fs {
namespace {

TEST_CASE("an atomic write for the owner only makes a file only its owner may use") {
  test::TempDir dir;
  const auto path = dir / "secret.txt";
  REQUIRE(write_file_atomically(path, "hello", Access::kOwnerOnly));
  CHECK(test::read_file(path) == "hello");
  CHECK(test::owner_only(path));
}

TEST_CASE("an atomic write replaces the content, or refuses when asked to") {
  test::TempDir dir;
  const auto path = dir / "file.txt";
  REQUIRE(write_file_atomically(path, "one", Access::kAllRead));
  REQUIRE(write_file_atomically(path, "two", Access::kAllRead));
  CHECK(test::read_file(path) == "two");
  auto refused = write_file_atomically(path, "three", Access::kAllRead, Overwrite::kRefuse);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ErrorCode::kAlreadyExists);
  CHECK(test::read_file(path) == "two");
  REQUIRE(write_file_atomically(dir / "new.txt", "four", Access::kOwnerOnly, Overwrite::kRefuse));
  CHECK(test::read_file(dir / "new.txt") == "four");
  // No temporary file is left behind, whether the write went through or was refused.
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    ++files;
  }
  CHECK(files == 2);
}

TEST_CASE("an atomic write into a missing folder fails cleanly") {
  test::TempDir dir;
  auto written = write_file_atomically(dir / "missing" / "file.txt", "x", Access::kOwnerOnly);
  REQUIRE_FALSE(written);
  CHECK(written.error().code == ErrorCode::kIo);
  CHECK_THAT(written.error().message, Catch::Contains("missing"));
}

TEST_CASE("an atomic write to a name outside ASCII keeps the name") {
  test::TempDir dir;
  const auto path = dir.path() / std::filesystem::path(u8"élèves-Ελλάδα.txt");
  REQUIRE(write_file_atomically(path, "x", Access::kOwnerOnly));
  CHECK(test::read_file(path) == "x");
  auto refused = write_file_atomically(path, "y", Access::kOwnerOnly, Overwrite::kRefuse);
  REQUIRE_FALSE(refused);
  CHECK_THAT(refused.error().message, Catch::Contains(reinterpret_cast<const char*>(u8"Ελλάδα")));
}

TEST_CASE("ensure_private_dir creates a folder only its owner may use") {
  test::TempDir dir;
  const auto path = dir / "a" / "data";
  REQUIRE(ensure_private_dir(path));
  CHECK(std::filesystem::is_directory(path));
  REQUIRE(ensure_private_dir(path));  // again: nothing to do
  CHECK(test::owner_only(path));
}

}  // namespace
}  // namespace ferry::fs
