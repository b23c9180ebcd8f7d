// Finds the public sample data of ../shared/testdata. It is read in place and never copied into
// the project (licences vary). A fresh clone has no ../shared: tests that need it are skipped
// (tests/support/skip.hpp), and CTest counts them as skipped, not passed. Crypto known answers
// do not come from here: they are constants in tests/common/crypto/known_answers.hpp.
#pragma once

#include <filesystem>
#include <optional>
#include <string_view>

#include "tests/support/skip.hpp"

namespace ferry::test {

// $FERRY_TESTDATA when set, else <source dir>/../shared/testdata, if that folder exists.
std::optional<std::filesystem::path> shared_testdata();

// <source dir>: for fixtures committed in the project (docs/examples, tests/fixtures).
std::filesystem::path source_dir();

}  // namespace ferry::test

// Declares `var` as the path of `relative` inside the shared test data, or skips the test case
// (FERRY_SKIP) when the data is absent. Use it in the TEST_CASE body.
#define FERRY_REQUIRE_TESTDATA(var, relative)                                                  \
  const auto var##_root = ::ferry::test::shared_testdata();                                    \
  if (!var##_root || !std::filesystem::exists(*var##_root / (relative))) {                     \
    FERRY_SKIP("shared test data '" << (relative)                                              \
                                    << "' not found (set FERRY_TESTDATA or clone ../shared)"); \
  }                                                                                            \
  const std::filesystem::path var = *var##_root / (relative)
