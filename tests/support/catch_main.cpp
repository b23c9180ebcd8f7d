// main() of every test executable: Catch's own, with one change: a run in which a test case
// skipped (FERRY_SKIP) and nothing failed exits with kSkipExitCode, which CTest shows as skipped.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "tests/support/skip.hpp"

int main(int argc, char* argv[]) {
  return ferry::test::exit_code(Catch::Session().run(argc, argv));
}
