#include "common/env/core_dumps.hpp"

#include <catch2/catch.hpp>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/support/unprivileged.hpp"

namespace ferry::env {
namespace {

TEST_CASE("core dumps are off for good once forbidden") {
  // Root may raise the hard limit again (CAP_SYS_RESOURCE), so "for good" can only be seen as
  // another user: as root, this runs again as nobody.
  FERRY_RUN_UNPRIVILEGED();
  // In a child, so that this test process stays as it was.
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    if (!forbid_core_dumps()) ::_exit(1);
    if (::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0) ::_exit(2);
    rlimit limit{};
    if (::getrlimit(RLIMIT_CORE, &limit) != 0 || limit.rlim_cur != 0 || limit.rlim_max != 0) {
      ::_exit(3);
    }
    const rlimit again{RLIM_INFINITY, RLIM_INFINITY};
    if (::setrlimit(RLIMIT_CORE, &again) == 0) ::_exit(4);
    ::_exit(0);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

}  // namespace
}  // namespace ferry::env
