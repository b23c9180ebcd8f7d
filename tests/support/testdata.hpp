// Finds the public sample data and crypto vectors of ../shared/testdata. They are read in place and
// never copied into the project (licences vary). A fresh clone has no ../shared: tests that need it
// skip, saying so, with FERRY_SKIP_WITHOUT_TESTDATA.
#pragma once

#include <filesystem>
#include <optional>
#include <string_view>

#include <catch2/catch.hpp>

namespace ferry::test {

// $FERRY_TESTDATA when set, else <source dir>/../shared/testdata, if that folder exists.
std::optional<std::filesystem::path> shared_testdata();

// <source dir>: for fixtures committed in the project (docs/examples, tests/fixtures).
std::filesystem::path source_dir();

}  // namespace ferry::test

// Declares `var` as the path of `relative` inside the shared test data, or skips the test case
// with a visible warning when the data is absent.
#define FERRY_REQUIRE_TESTDATA(var, relative)                                                     \
  const auto var##_root = ::ferry::test::shared_testdata();                                       \
  if (!var##_root || !std::filesystem::exists(*var##_root / (relative))) {                        \
    WARN("skipped: shared test data '" << (relative)                                              \
                                       << "' not found (set FERRY_TESTDATA or clone ../shared)"); \
    return;                                                                                       \
  }                                                                                               \
  const std::filesystem::path var = *var##_root / (relative)
