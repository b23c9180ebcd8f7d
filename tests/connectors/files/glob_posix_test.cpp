// glob_match agrees with the C library's fnmatch(FNM_PERIOD) on every case (Linux only: Windows
// has no fnmatch, which is why glob_match exists).
#include <string>

#include <catch2/catch.hpp>
#include <fnmatch.h>

#include "connectors/files/glob.hpp"
#include "tests/connectors/files/glob_cases.hpp"

namespace ferry::connectors::files {
namespace {

TEST_CASE("glob_match answers as fnmatch does") {
  for (const GlobCase& example : kGlobCases) {
    const std::string pattern(example.pattern);
    const std::string name(example.name);
    INFO("pattern '" << pattern << "', name '" << name << "'");
    const bool libc = ::fnmatch(pattern.c_str(), name.c_str(), FNM_PERIOD) == 0;
    CHECK(libc == example.matches);
    CHECK(glob_match(pattern, name) == libc);
  }
}

}  // namespace
}  // namespace ferry::connectors::files
