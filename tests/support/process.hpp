// Runs a program to completion and captures what it prints, for tests of the real binaries.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace ferry::test {

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal
  std::string out;
  std::string err;
};

// Runs argv[0] (a path) with the given arguments; `env` entries ("NAME=value") are added to the
// test's own environment. Standard input is /dev/null.
ProcessResult run_process(const std::vector<std::string>& argv,
                          const std::vector<std::string>& env = {});

}  // namespace ferry::test
