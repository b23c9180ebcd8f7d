#include "common/fs/read_file.hpp"

#include <catch2/catch.hpp>
#include <sys/stat.h>

#include "tests/support/temp_dir.hpp"
#include "tests/support/unprivileged.hpp"

namespace ferry::fs {
namespace {

TEST_CASE("read_small_file returns the whole content") {
  test::TempDir dir;
  const std::string content(20000, 'x');
  CHECK(read_small_file(dir.write("big.txt", content)).value() == content);
  CHECK(read_small_file(dir.write("empty.txt", "")).value().empty());
}

TEST_CASE("read_small_file names the path and the reason when it cannot read") {
  test::TempDir dir;
  auto missing = read_small_file(dir / "nope");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == ErrorCode::kNotFound);
  CHECK(missing.error().message ==
        "cannot read " + (dir / "nope").string() + ": No such file or directory");

  auto folder = read_small_file(dir.path());
  REQUIRE_FALSE(folder);
  CHECK_THAT(folder.error().message, Catch::EndsWith("it is a directory, not a file"));

  auto too_big = read_small_file(dir.write("big.txt", std::string(100, 'x')), 10);
  REQUIRE_FALSE(too_big);
  CHECK_THAT(too_big.error().message, Catch::EndsWith("larger than 10 bytes"));
}

TEST_CASE("check_readable refuses a file without read permission") {
  FERRY_RUN_UNPRIVILEGED();
  test::TempDir dir;
  const auto path = dir.write("secret", "x");
  ::chmod(path.c_str(), 0);
  auto readable = check_readable(path);
  REQUIRE_FALSE(readable);
  CHECK(readable.error().code == ErrorCode::kPermission);
}

}  // namespace
}  // namespace ferry::fs
