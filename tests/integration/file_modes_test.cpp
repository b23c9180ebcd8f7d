// What `ferry sync` writes is for its owner: no file or folder under the data_dir, nor the log,
// grants anything to others, and nothing is writable by the group (the log is at most 0640).
#include <filesystem>

#include <catch2/catch.hpp>
#include <sys/stat.h>

#include "tests/integration/pipeline_site.hpp"

namespace ferry {
namespace {

namespace fs = std::filesystem;

mode_t mode_of(const fs::path& path) {
  struct stat info {};
  REQUIRE(::lstat(path.c_str(), &info) == 0);
  return info.st_mode & 07777;
}

TEST_CASE("ferry sync leaves nothing that others may read even under umask 0") {
  const mode_t before = ::umask(0);  // the agent must not depend on the caller's umask
  test::PipelineSite site({.log_level = "info"});
  REQUIRE(site.generate({"--users", "20", "--seed", "3"}).exit_code == 0);
  REQUIRE(site.ferry({"keys", "init"}).exit_code == 0);
  const auto synced = site.ferry({"sync", "--no-upload"});
  ::umask(before);
  INFO(synced.out << synced.err);
  REQUIRE(synced.exit_code == 0);

  REQUIRE(fs::exists(site.log_file()));
  INFO("log " << site.log_file().string());
  CHECK((mode_of(site.log_file()) & 0137) == 0);  // at most 0640
  CHECK((mode_of(site.data_dir()) & 077) == 0);
  std::size_t files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(site.data_dir())) {
    if (entry.is_symlink()) continue;
    INFO(entry.path().string() << " mode " << std::oct << mode_of(entry.path()));
    CHECK((mode_of(entry.path()) & 027) == 0);
    ++files;
  }
  CHECK(files >= 3);  // at least the key file, the spool and the audit log
}

}  // namespace
}  // namespace ferry
