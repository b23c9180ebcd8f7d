// The hooks of `ferry-test-hooks`: the `ferry` program (agent/main.cpp) plus the test seams of
// common/env/test_hooks.hpp, set from this process's environment. Built with the tests only; the
// `ferry` program and the package have no such code.
//
//   FERRY_TEST_STALL_UPLINK_WHILE=PATH   the uplink's liveness probe blocks its loop while PATH
//                                        exists, as a stuck loop would
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string_view>
#include <thread>

#include "common/env/test_hooks.hpp"

namespace {

void stall_while_file_exists(std::string_view loop) {
  const char* path = std::getenv("FERRY_TEST_STALL_UPLINK_WHILE");
  if (loop != "uplink" || path == nullptr) return;
  std::error_code ec;
  while (std::filesystem::exists(path, ec)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// Set before main(), so before any thread of the agent exists.
[[maybe_unused]] const bool installed = [] {
  ferry::env::test_hooks::on_liveness_probe = &stall_while_file_exists;
  return true;
}();

}  // namespace
