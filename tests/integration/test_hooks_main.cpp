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
//   FERRY_TEST_SPOOL_FAULT=write|sync[:N]  from the N-th write (or sync) of the spool's files on
//                                        (default 1), every one fails with an I/O error
//                                        (SQLITE_IOERR_WRITE, SQLITE_IOERR_FSYNC): a failing
//                                        disk, through the fault VFS over FERRY_TEST_DATA_DIR
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include <sqlite3.h>
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

struct SpoolFault {
  ferry::test::FaultVfs::Op op = ferry::test::FaultVfs::Op::kWrite;
  int code = 0;  // 0: none
  std::uint64_t nth = 1;
};

SpoolFault spool_fault_wanted() {
  const char* text = std::getenv("FERRY_TEST_SPOOL_FAULT");
  if (text == nullptr) return {};
  const std::string_view value(text);
  const auto colon = value.find(':');
  const std::string_view op = value.substr(0, colon);
  SpoolFault fault;
  if (op == "write") {
    fault = {ferry::test::FaultVfs::Op::kWrite, SQLITE_IOERR_WRITE};
  } else if (op == "sync") {
    fault = {ferry::test::FaultVfs::Op::kSync, SQLITE_IOERR_FSYNC};
  } else {
    _exit(kCrashExit + 1);  // a test's mistake: say so loudly
  }
  if (colon != std::string_view::npos)
    fault.nth = std::stoull(std::string(value.substr(colon + 1)));
  return fault;
}

// Kept for the process's life: the spool's files go through it.
[[maybe_unused]] const std::unique_ptr<ferry::test::FaultVfs> spool_vfs = [] {
  const char* data_dir = std::getenv("FERRY_TEST_DATA_DIR");
  const SpoolFault fault = spool_fault_wanted();
  if (data_dir == nullptr || (kWanted.name != "spool-checkpoint" && fault.code == 0)) {
    return std::unique_ptr<ferry::test::FaultVfs>();
  }
  auto vfs = std::make_unique<ferry::test::FaultVfs>(data_dir);
  if (kWanted.name == "spool-checkpoint") {
    vfs->exit_at(ferry::test::FaultVfs::Op::kWrite, ferry::test::FaultVfs::File::kDatabase,
                 kWanted.nth, kCrashExit);
  }
  if (fault.code != 0) {
    vfs->fail(fault.op, ferry::test::FaultVfs::File::kAny, fault.code, fault.nth);
  }
  return vfs;
}();

}  // namespace
