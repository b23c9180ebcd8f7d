#!/usr/bin/env bash
# The extended suite: checks heavier than CI's run (bash tests/run_all.sh), one entry point, each
# part selectable. From the top of a clone whose build dependencies are installed
# (packaging/install-build-deps.sh):
#   bash tests/extended.sh tsan    # one part
#   bash tests/extended.sh all     # every part
#   bash tests/extended.sh         # lists the parts
# FERRY_JOBS sets the build's parallel jobs (default: nproc).
#
# Parts:
#   tsan  ThreadSanitizer: builds the `tsan` preset (only the test executables it runs and the
#         programs they start: ferry, ferry-tenant, ferry-gen-oneroster) and runs agent_tests and
#         uplink_tests, which hold the agent's, the uplink's and the control socket's tests, with
#         tests/tsan.supp. Every process writes its reports to build/tsan/tsan-reports (the test
#         executables and the ferry and ferry-tenant they start); the part fails when a test
#         fails or when any report was written, and prints the reports.
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=${FERRY_JOBS:-$(nproc)}
parts=(tsan)

part_tsan() {
  echo "== tsan: configure, build, test"
  # Called as `part_tsan || ...`, where bash ignores set -e: each step stops the part itself.
  cmake --preset tsan || return 1
  cmake --build --preset tsan -j "$jobs" --target agent_tests uplink_tests ferry ferry-tenant \
    ferry-gen-oneroster || return 1
  local reports=build/tsan/tsan-reports
  rm -rf "$reports"
  mkdir -p "$reports"
  chmod 1777 "$reports"  # tests that run as nobody (tests/support/unprivileged.hpp) write here too
  local failed=0
  FERRY_TSAN_OPTIONS="log_path=$PWD/$reports/tsan" ctest --preset tsan -j "$jobs" || failed=1
  if compgen -G "$reports/tsan.*" >/dev/null; then
    echo "== tsan: ThreadSanitizer reports (one file per process, in $reports):"
    for report in "$reports"/tsan.*; do
      echo "---- $report"
      cat "$report"
    done
    failed=1
  fi
  if ((failed)); then
    echo "== tsan: FAILED"
    return 1
  fi
  echo "== tsan: passed, no reports"
}

usage() {
  echo "usage: bash tests/extended.sh PART... | all"
  echo "parts: ${parts[*]}"
}

if (($# == 0)); then
  usage
  exit 2
fi
selected=()
for arg in "$@"; do
  case "$arg" in
    all) selected+=("${parts[@]}") ;;
    *)
      if [[ " ${parts[*]} " != *" $arg "* ]]; then
        echo "unknown part: $arg" >&2
        usage >&2
        exit 2
      fi
      selected+=("$arg")
      ;;
  esac
done
status=0
for part in "${selected[@]}"; do
  "part_$part" || status=1
done
exit "$status"
