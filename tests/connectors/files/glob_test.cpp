// Name patterns as fnmatch(FNM_PERIOD) reads them, on every system (glob.hpp). On Linux,
// glob_posix_test.cpp also checks each case against the C library's fnmatch.
#include "connectors/files/glob.hpp"

#include <catch2/catch.hpp>

#include "tests/connectors/files/glob_cases.hpp"

namespace ferry::connectors::files {
namespace {

TEST_CASE("glob patterns match names as fnmatch with FNM_PERIOD does") {
  for (const GlobCase& example : kGlobCases) {
    INFO("pattern '" << example.pattern << "', name '" << example.name << "'");
    CHECK(glob_match(example.pattern, example.name) == example.matches);
  }
}

}  // namespace
}  // namespace ferry::connectors::files
