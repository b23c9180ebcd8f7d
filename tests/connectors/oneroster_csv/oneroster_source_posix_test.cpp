// The oneroster_csv source on Linux: a manifest this user may not read (a mode, as an unprivileged
// user: root reads every file).
#include <catch2/catch.hpp>
#include <sys/stat.h>

#include "connectors/oneroster_csv/oneroster_source.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/unprivileged.hpp"

namespace ferry::connectors::oneroster_csv {
namespace {

TEST_CASE("oneroster source check names a manifest it may not read") {
  FERRY_RUN_UNPRIVILEGED();  // root reads every file whatever its mode
  ferry::test::TempDir dir;
  dir.write("locked/manifest.csv", "propertyName,value\n");
  ::chmod((dir / "locked" / "manifest.csv").c_str(), 0);
  OneRosterSource source(dir / "locked");
  auto checked = source.check();
  REQUIRE_FALSE(checked.has_value());
  CHECK(checked.error().code == ErrorCode::kPermission);
  CHECK_THAT(checked.error().message, Catch::Contains("not readable"));
}

}  // namespace
}  // namespace ferry::connectors::oneroster_csv
