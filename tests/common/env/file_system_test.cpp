#include "common/env/file_system.hpp"

#include <fstream>

#include <catch2/catch.hpp>

#include "tests/support/skip.hpp"
#include "tests/support/system_checks.hpp"
#include "tests/support/temp_dir.hpp"

namespace ferry::env {
namespace {

TEST_CASE("the real file system makes renames and removes") {
  test::TempDir dir;
  const FileSystem& fs = real_file_system();
  const auto folder = dir / "scratch" / "sis";
  REQUIRE(fs.create_directories(folder));
  CHECK(fs.exists(folder).value());
  std::ofstream(folder / "part") << "x";
  REQUIRE(fs.rename(folder / "part", folder / "whole"));
  CHECK_FALSE(fs.exists(folder / "part").value());
  REQUIRE(fs.remove_all(dir / "scratch"));
  CHECK_FALSE(fs.exists(dir / "scratch").value());
  CHECK(fs.remove_all(dir / "scratch"));  // nothing there is fine
}

TEST_CASE("make_private leaves a folder and a file to their owner") {
  if (auto why = test::permissions_unchecked()) FERRY_SKIP(*why);
  test::TempDir dir;
  const FileSystem& fs = real_file_system();
  const auto folder = dir / "scratch";
  REQUIRE(fs.create_directories(folder));
  REQUIRE(fs.make_private(folder));
  CHECK(test::owner_only(folder));
  std::ofstream(folder / "part") << "x";
  REQUIRE(fs.make_private(folder / "part"));
  CHECK(test::owner_only(folder / "part"));
}

TEST_CASE("a file-system error names the path and the reason") {
  test::TempDir dir;
  auto renamed = real_file_system().rename(dir / "missing", dir / "other");
  REQUIRE_FALSE(renamed);
  CHECK(renamed.error().code == ErrorCode::kIo);
  CHECK_THAT(renamed.error().message,
             Catch::Contains("missing") && Catch::Contains(test::missing_file_reason()));
}

TEST_CASE("a rename replaces the file already there") {
  test::TempDir dir;
  std::ofstream(dir / "new") << "new";
  std::ofstream(dir / "old") << "old";
  REQUIRE(real_file_system().rename(dir / "new", dir / "old"));
  CHECK_FALSE(std::filesystem::exists(dir / "new"));
  CHECK(test::read_file(dir / "old") == "new");
}

}  // namespace
}  // namespace ferry::env
