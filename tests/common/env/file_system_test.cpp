#include "common/env/file_system.hpp"

#include <sys/stat.h>

#include <fstream>

#include <catch2/catch.hpp>

#include "tests/support/temp_dir.hpp"

namespace ferry::env {
namespace {

mode_t mode_of(const std::filesystem::path& path) {
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  return info.st_mode & 0777;
}

TEST_CASE("the real file system makes, restricts, renames and removes") {
  test::TempDir dir;
  const FileSystem& fs = real_file_system();
  const auto folder = dir / "scratch" / "sis";
  REQUIRE(fs.create_directories(folder));
  CHECK(fs.exists(folder).value());
  REQUIRE(fs.make_private(folder));
  CHECK(mode_of(folder) == 0700);
  std::ofstream(folder / "part") << "x";
  REQUIRE(fs.make_private(folder / "part"));
  CHECK(mode_of(folder / "part") == 0600);
  REQUIRE(fs.rename(folder / "part", folder / "whole"));
  CHECK_FALSE(fs.exists(folder / "part").value());
  REQUIRE(fs.remove_all(dir / "scratch"));
  CHECK_FALSE(fs.exists(dir / "scratch").value());
  CHECK(fs.remove_all(dir / "scratch"));  // nothing there is fine
}

TEST_CASE("a file-system error names the path and the reason") {
  test::TempDir dir;
  auto renamed = real_file_system().rename(dir / "missing", dir / "other");
  REQUIRE_FALSE(renamed);
  CHECK(renamed.error().code == ErrorCode::kIo);
  CHECK_THAT(renamed.error().message,
             Catch::Contains("missing") && Catch::Contains("No such file or directory"));
}

}  // namespace
}  // namespace ferry::env
