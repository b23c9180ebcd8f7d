#include "common/fs/atomic_file.hpp"

#include <catch2/catch.hpp>
#include <sys/stat.h>

#include "tests/support/temp_dir.hpp"

namespace ferry::fs {
namespace {

TEST_CASE("an atomic write creates the file with the requested mode") {
  test::TempDir dir;
  const auto path = dir / "secret.txt";
  REQUIRE(write_file_atomically(path, "hello", 0600));
  CHECK(test::read_file(path) == "hello");
  struct stat info {};
  ::stat(path.c_str(), &info);
  CHECK((info.st_mode & 07777) == 0600);
}

TEST_CASE("an atomic write replaces the content, or refuses when asked to") {
  test::TempDir dir;
  const auto path = dir / "file.txt";
  REQUIRE(write_file_atomically(path, "one", 0644));
  REQUIRE(write_file_atomically(path, "two", 0644));
  CHECK(test::read_file(path) == "two");
  auto refused = write_file_atomically(path, "three", 0644, Overwrite::kRefuse);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == ErrorCode::kAlreadyExists);
  CHECK(test::read_file(path) == "two");
}

TEST_CASE("an atomic write into a missing folder fails cleanly") {
  test::TempDir dir;
  auto written = write_file_atomically(dir / "missing" / "file.txt", "x", 0600);
  REQUIRE_FALSE(written);
  CHECK(written.error().code == ErrorCode::kIo);
  CHECK_THAT(written.error().message, Catch::Contains("missing"));
}

TEST_CASE("ensure_private_dir creates a 0700 folder") {
  test::TempDir dir;
  const auto path = dir / "a" / "data";
  REQUIRE(ensure_private_dir(path));
  struct stat info {};
  ::stat(path.c_str(), &info);
  CHECK((info.st_mode & 07777) == 0700);
  REQUIRE(ensure_private_dir(path));  // again: nothing to do
}

}  // namespace
}  // namespace ferry::fs
