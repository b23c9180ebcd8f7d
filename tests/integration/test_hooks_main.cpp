// The hooks of `ferry-test-hooks`: the `ferry` program (agent/main.cpp) plus the test seams of
// common/env/test_hooks.hpp, set from this process's environment. Built with the tests only; the
// `ferry` program and the package have no such code.
//
//   FERRY_TEST_STALL_UPLINK_WHILE=PATH   the uplink's liveness probe blocks its loop while PATH
//                                        exists, as a stuck loop would
//   FERRY_TEST_CRASH_POINT=NAME[:N]      the process ends at once (_exit(86): no destructor, no
//                                        flush, as a kill) the N-th time (default 1) the agent
//                                        passes the crash point NAME (common/env/test_hooks.hpp)
//   FERRY_TEST_CRASH_POINT=spool-checkpoint[:N]  ... at the N-th write to the spool's database
//                                        file (in WAL mode only a checkpoint writes it), through
//                                        the fault VFS (tests/support/fault_vfs.hpp) over the
//                                        folder FERRY_TEST_DATA_DIR names
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include <unistd.h>

#include "common/env/test_hooks.hpp"
#include "tests/support/fault_vfs.hpp"

namespace {

constexpr int kCrashExit = 86;

struct CrashPoint {
  std::string name;
  std::uint64_t nth = 1;
};

CrashPoint crash_point_wanted() {
  const char* text = std::getenv("FERRY_TEST_CRASH_POINT");
  if (text == nullptr) return {};
  const std::string_view value(text);
  const auto colon = value.find(':');
  CrashPoint point{std::string(value.substr(0, colon))};
  if (colon != std::string_view::npos)
    point.nth = std::stoull(std::string(value.substr(colon + 1)));
  return point;
}

const CrashPoint kWanted = crash_point_wanted();
std::atomic<std::uint64_t> passes{0};

void crash_at_point(std::string_view point) {
  if (point == kWanted.name && ++passes == kWanted.nth) _exit(kCrashExit);
}

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
  if (!kWanted.name.empty()) ferry::env::test_hooks::on_crash_point = &crash_at_point;
  return true;
}();

// Kept for the process's life: a checkpoint's writes go through it.
[[maybe_unused]] const std::unique_ptr<ferry::test::FaultVfs> checkpoint_vfs = [] {
  const char* data_dir = std::getenv("FERRY_TEST_DATA_DIR");
  if (kWanted.name != "spool-checkpoint" || data_dir == nullptr) {
    return std::unique_ptr<ferry::test::FaultVfs>();
  }
  auto vfs = std::make_unique<ferry::test::FaultVfs>(data_dir);
  vfs->exit_at(ferry::test::FaultVfs::Op::kWrite, ferry::test::FaultVfs::File::kDatabase,
               kWanted.nth, kCrashExit);
  return vfs;
}();

}  // namespace
