// A test case that cannot run here (its data or a tool is absent) says why and shows as skipped,
// never as passed.
//
// FERRY_SKIP("why") records the reason (printed as a Catch warning and again at the end of the
// run) and returns from the test case. The test executable's main() (catch_main.cpp) then exits
// with kSkipExitCode when nothing failed, and every CTest entry registered by ferry_add_tests has
// SKIP_RETURN_CODE kSkipExitCode, so CTest counts it as "Skipped". CTest runs one test case per
// process, so one skip marks exactly that case; a run of several cases by hand exits with
// kSkipExitCode when any of them skipped and none failed.
//
// Use it in the TEST_CASE body itself (its `return` ends only the function it is written in), and
// before any SECTION: a skip marks the whole test case.
#pragma once

#include <sstream>
#include <string>

namespace ferry::test {

// The exit code of a test run in which something skipped and nothing failed (set in
// tests/CMakeLists.txt, which gives it to CTest as SKIP_RETURN_CODE).
inline constexpr int kSkipExitCode = FERRY_SKIP_EXIT_CODE;

// Records that the running test case skips, and why.
void note_skipped(const std::string& reason);

// What main() returns, given Catch's result (the number of failed assertions, capped at 255): a
// failure stays a failure (a count of exactly kSkipExitCode becomes kSkipExitCode + 1, so that
// CTest never takes failures for a skip), and a run with skips and no failure gives kSkipExitCode.
int exit_code(int catch_result);

}  // namespace ferry::test

#define FERRY_SKIP(reason)                                 \
  do {                                                     \
    std::ostringstream ferry_skip_reason_;                 \
    ferry_skip_reason_ << reason;                          \
    ::ferry::test::note_skipped(ferry_skip_reason_.str()); \
    return;                                                \
  } while (false)
