#!/usr/bin/env bash
# Sets everything up and runs every test, from a fresh clone on Debian 12:
# build dependencies, then the release build and its tests, then the same tests under
# AddressSanitizer + UndefinedBehaviorSanitizer.
#   bash tests/run_all.sh            # everything
#   FERRY_SKIP_SANITIZE=1 bash tests/run_all.sh   # release only (quicker while developing)
set -euo pipefail
cd "$(dirname "$0")/.."

bash packaging/install-build-deps.sh

jobs=$(nproc)
run_preset() {
  local preset=$1
  echo "== $preset: configure, build, test"
  cmake --preset "$preset"
  cmake --build --preset "$preset" -j "$jobs"
  ctest --preset "$preset" -j "$jobs"
}

run_preset release
if [[ -z "${FERRY_SKIP_SANITIZE:-}" ]]; then
  run_preset sanitize
fi
