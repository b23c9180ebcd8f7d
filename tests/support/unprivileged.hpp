// Permission tests run as an unprivileged user. Root reads and writes every file whatever its
// mode, so a test of what a mode refuses checks nothing as root, and CI runs as root.
//
// FERRY_RUN_UNPRIVILEGED() at the top of such a TEST_CASE body (before any SECTION):
// - not root: does nothing, and the test case goes on in this process;
// - root: runs this same test case again in a child process as user nobody (group nogroup, no
//   supplementary groups) with `setpriv --reuid --regid --clear-groups` (util-linux), the child's
//   output passed through, and ends the test case with the child's outcome: passed, skipped
//   (tests/support/skip.hpp) or failed. The child makes its own files (temporary folders under
//   $TMPDIR, owned by nobody), so nothing made by root needs to be opened up.
// It FAILS, never skips, when that cannot be done: running as root without setpriv or without a
// user nobody.
#pragma once

namespace ferry::test {

// True when the test case has been run as nobody in a child process (the caller returns); false
// when the caller is not root and runs the test itself.
bool ran_unprivileged_in_child();

}  // namespace ferry::test

#define FERRY_RUN_UNPRIVILEGED()                            \
  do {                                                      \
    if (::ferry::test::ran_unprivileged_in_child()) return; \
  } while (false)
