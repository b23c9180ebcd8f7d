#include "tests/support/skip.hpp"

#include <iostream>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

namespace ferry::test {
namespace {

// Test cases run one after another on the main thread: no lock needed.
std::vector<std::pair<std::string, std::string>>& skipped() {
  static std::vector<std::pair<std::string, std::string>> list;
  return list;
}

}  // namespace

void note_skipped(const std::string& reason) {
  WARN("SKIPPED: " << reason);
  skipped().emplace_back(Catch::getResultCapture().getCurrentTestName(), reason);
}

int exit_code(int catch_result) {
  if (catch_result == kSkipExitCode) return kSkipExitCode + 1;
  if (catch_result != 0 || skipped().empty()) return catch_result;
  std::cerr << "SKIPPED " << skipped().size() << " test case(s), nothing failed:\n";
  for (const auto& [name, reason] : skipped()) std::cerr << "  " << name << ": " << reason << '\n';
  return kSkipExitCode;
}

}  // namespace ferry::test
