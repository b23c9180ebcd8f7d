#include "common/fs/read_file.hpp"

#include <catch2/catch.hpp>

#include "common/error/path_text.hpp"
#include "tests/support/system_checks.hpp"
#include "tests/support/temp_dir.hpp"

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
        "cannot read " + path_text(dir / "nope") + ": " + test::missing_file_reason());

  auto folder = read_small_file(dir.path());
  REQUIRE_FALSE(folder);
  CHECK_THAT(folder.error().message, Catch::EndsWith("it is a directory, not a file"));

  auto too_big = read_small_file(dir.write("big.txt", std::string(100, 'x')), 10);
  REQUIRE_FALSE(too_big);
  CHECK_THAT(too_big.error().message, Catch::EndsWith("larger than 10 bytes"));
}

}  // namespace
}  // namespace ferry::fs
