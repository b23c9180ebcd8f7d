// The lock file, on both systems: one holder at a time; released when the holder goes; the file
// itself stays readable and writable while it is held (on Windows the locked byte is past its end).
#include "common/fs/file_lock.hpp"

#include <fstream>

#include <catch2/catch.hpp>

#include "tests/support/temp_dir.hpp"

namespace ferry::fs {
namespace {

TEST_CASE("a lock file has one holder at a time") {
  test::TempDir dir;
  const auto path = dir / "ferry.lock";
  {
    auto first = FileLock::exclusive(path, FileLock::Wait::kNot);
    REQUIRE(first);
    auto second = FileLock::exclusive(path, FileLock::Wait::kNot);
    REQUIRE_FALSE(second);
    CHECK(second.error().code == ErrorCode::kUnavailable);
    CHECK_THAT(second.error().message, Catch::Contains("ferry.lock"));

    // The lock keeps out other holders, not readers and writers of the file.
    std::ofstream(path) << "pid";
    CHECK(test::read_file(path) == "pid");

    FileLock moved = std::move(*first);
    CHECK_FALSE(FileLock::exclusive(path, FileLock::Wait::kNot));
  }
  CHECK(FileLock::exclusive(path, FileLock::Wait::kNot));
  CHECK(FileLock::exclusive(path, FileLock::Wait::kUntilFree));
}

TEST_CASE("a lock file in a missing folder is an error naming it") {
  test::TempDir dir;
  auto lock = FileLock::exclusive(dir / "missing" / "ferry.lock", FileLock::Wait::kUntilFree);
  REQUIRE_FALSE(lock);
  CHECK(lock.error().code == ErrorCode::kIo);
  CHECK_THAT(lock.error().message, Catch::Contains("missing"));
}

}  // namespace
}  // namespace ferry::fs
