// Reading small files on Linux: a file this process may not read.
#include <catch2/catch.hpp>
#include <sys/stat.h>

#include "common/fs/read_file.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/unprivileged.hpp"

namespace ferry::fs {
namespace {

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
