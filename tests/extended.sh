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
#         programs they start: ferry, ferry-tenant, ferry-gen-oneroster) and runs agent_tests,
#         uplink_tests, sftp_tests and sql_tests, which hold the agent's, the uplink's, the
#         control socket's, the SFTP client's (its download watchdog thread) and the SQL
#         source's (its block-fetching thread, against real PostgreSQL and MariaDB) tests, with
#         tests/tsan.supp. Every process writes its reports to build/tsan/tsan-reports (the test
#         executables and the ferry and ferry-tenant they start); the part fails when a test
#         fails or when any report was written, and prints the reports.
#   package  The Debian packages (docs/packaging.md): builds them with
#         packaging/linux/build-deb.sh, and a copy of the same tree with a lower version; runs
#         lintian on them; then, in a fresh Debian 12 tree (../shared/tools/fresh-debian.sh, as
#         root), tests/package/install_test.sh installs the lower version, checks the user, files
#         and modes, verifies and scores the unit, runs the agent as systemd would (sd_notify
#         included) against a local ferry-tenant, upgrades with a non-empty spool, and purges.
#   windows  The Windows cross build (docs/windows.md): the libraries for MinGW-w64 from Debian's
#         source packages (packaging/windows/build-deps.sh, reused when unchanged), Wine where it
#         is missing, the windows-cross preset built and its tests run under Wine; then
#         the installer built (packaging/windows/build-msi.sh, with wixl and msitools, installed
#         where missing) and its tables checked (tests/windows/check_msi.sh); then
#         tests/windows/sync_under_wine.sh: ferry.exe moves a key made by the Linux ferry (kept
#         under DPAPI), syncs with --no-upload, then delivers to the Linux ferry-tenant over TLS
#         1.3, with the same rows and tokens as the Linux ferry; runs in a console, then as the
#         Windows service through Wine's service manager (install, start, status, sync, stop,
#         uninstall); and the MSI is installed, configured, started, and removed by Wine's
#         Windows Installer.
#   ubsan  The sanitize-full preset: the whole test suite under ASan and every UBSan check,
#         including the alignment, null and vptr checks CI's sanitize preset leaves out for its
#         build time (CMakePresets.json says why).
#   reliability  The long variants of the fault tests (docs/reliability.md), release build:
#         spool_fault_tests with FERRY_POWER_LOSS_INSTANTS power cuts (default 2000) under the
#         spool through the fault VFS, and the disk faults; `ferry run` killed at random
#         FERRY_KILL_CYCLES times (default 1000); FERRY_RECONNECT_CYCLES connections cut under a
#         running agent (default 10000); a blackhole of FERRY_BLACKHOLE_SECONDS (default 300);
#         prints how long each took.
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=${FERRY_JOBS:-$(nproc)}
package_lower_version=0.0.1  # the package part installs this, then upgrades to the tree's own
parts=(tsan ubsan package windows reliability)

part_tsan() {
  echo "== tsan: configure, build, test"
  # Called as `part_tsan || ...`, where bash ignores set -e: each step stops the part itself.
  cmake --preset tsan || return 1
  cmake --build --preset tsan -j "$jobs" --target agent_tests uplink_tests sftp_tests sql_tests \
    ferry ferry-tenant ferry-gen-oneroster || return 1
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

part_ubsan() {
  echo "== ubsan: configure, build, test (sanitize-full)"
  # Called as `part_ubsan || ...`, where bash ignores set -e: each step stops the part itself.
  local started=$SECONDS
  cmake --preset sanitize-full || return 1
  cmake --build --preset sanitize-full -j "$jobs" || return 1
  local build=$((SECONDS - started))
  started=$SECONDS
  if ! ctest --preset sanitize-full -j "$jobs"; then
    echo "== ubsan: FAILED"
    return 1
  fi
  echo "== ubsan: passed (build ${build} s, tests $((SECONDS - started)) s)"
}

part_package() {
  echo "== package: build the packages, and the same tree as version $package_lower_version"
  # Called as `part_package || ...`, where bash ignores set -e: each step stops the part itself.
  local fresh=../shared/tools/fresh-debian.sh
  [[ -f "$fresh" ]] || { echo "== package: FAILED: $fresh not found" >&2; return 1; }
  [[ $(id -u) == 0 ]] || { echo "== package: FAILED: needs root (a chroot)" >&2; return 1; }
  bash packaging/install-build-deps.sh --package || return 1
  local debs
  debs=$(mktemp -d /tmp/ferry-package-debs.XXXXXX)
  FERRY_JOBS=$jobs bash packaging/linux/build-deb.sh "$debs/current" || return 1
  FERRY_JOBS=$jobs FERRY_PACKAGE_VERSION=$package_lower_version \
    bash packaging/linux/build-deb.sh "$debs/lower" || return 1
  bash packaging/linux/lint-debs.sh "$debs"/current/*.deb || return 1
  # What the test installs: the lower ferry, then the current one; the current ferry-tenant.
  mkdir "$debs/shared"
  cp "$debs"/lower/ferry_*.deb "$debs"/current/*.deb "$debs/shared/" || return 1
  echo "== package: install, run, upgrade and purge in a fresh Debian 12 tree"
  if ! "$fresh" 'bash tests/package/install_test.sh /home/shared' "$debs/shared"; then
    echo "== package: FAILED"
    return 1
  fi
  rm -rf "$debs"
  echo "== package: passed"
}

part_windows() {
  echo "== windows: the libraries for MinGW-w64 (packaging/windows/build-deps.sh)"
  # Called as `part_windows || ...`, where bash ignores set -e: each step stops the part itself.
  local started=$SECONDS
  sh packaging/windows/build-deps.sh || return 1
  local missing=()
  if [[ ! -x /usr/lib/wine/wine64 ]] && ! command -v wine64 >/dev/null; then missing+=(wine64); fi
  # The installer: wixl makes it, msibuild and msiinfo (msitools) finish and check it.
  command -v wixl >/dev/null || missing+=(wixl)
  command -v msibuild >/dev/null || missing+=(msitools)
  if ((${#missing[@]} > 0)); then
    if [[ $(id -u) == 0 ]]; then apt-get install -y -qq "${missing[@]}" >/dev/null || return 1; else
      sudo apt-get install -y -qq "${missing[@]}" >/dev/null || return 1
    fi
  fi
  local deps=$((SECONDS - started))
  echo "== windows: configure, build"
  started=$SECONDS
  cmake --preset windows-cross || return 1
  cmake --build --preset windows-cross -j "$jobs" || return 1
  local build=$((SECONDS - started))
  echo "== windows: tests under Wine"
  started=$SECONDS
  # One Wine server for every test's Wine process: left to itself it exits when the last one
  # does, and a test starting just then can find it gone ("wine client error: recvmsg").
  local wineserver=/usr/lib/wine/wineserver
  [[ -x "$wineserver" ]] || wineserver=$(command -v wineserver || echo true)
  export WINEPREFIX="${WINEPREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/ferry/wineprefix}"
  cmake/wine-run.sh cmd /c exit >/dev/null 2>&1  # makes the prefix if it is new
  "$wineserver" -p
  local failed=""
  ctest --preset windows-cross -j "$jobs" || failed="the tests under Wine"
  local tests=$((SECONDS - started))
  local msi_time=0
  local msi=""
  if [[ -z "$failed" ]]; then
    echo "== windows: the installer (packaging/windows/build-msi.sh), its tables checked"
    started=$SECONDS
    if ! msi=$(bash packaging/windows/build-msi.sh build/windows-cross build/msi); then
      failed="packaging/windows/build-msi.sh"
    elif ! bash tests/windows/check_msi.sh "$msi"; then
      failed="tests/windows/check_msi.sh"
    fi
    msi_time=$((SECONDS - started))
  fi
  local sync=0
  if [[ -z "$failed" ]]; then
    echo "== windows: ferry.exe under Wine against the Linux ferry and ferry-tenant, as a" \
      "service, and installed from the MSI"
    started=$SECONDS
    if ! cmake --preset release >/dev/null ||
      ! cmake --build --preset release -j "$jobs" --target ferry ferry-tenant ferry-gen-oneroster
    then
      failed="the Linux build"
    elif ! bash tests/windows/sync_under_wine.sh build/release build/windows-cross "$msi"; then
      failed="tests/windows/sync_under_wine.sh"
    fi
    sync=$((SECONDS - started))
  fi
  "$wineserver" -k
  if [[ -n "$failed" ]]; then
    echo "== windows: FAILED ($failed)"
    return 1
  fi
  echo "== windows: passed (libraries ${deps} s, build ${build} s, tests ${tests} s," \
    "installer ${msi_time} s, ferry.exe against Linux ${sync} s)"
}

part_reliability() {
  echo "== reliability: build spool_fault_tests, uplink_tests and the programs they run (release)"
  # Called as `part_reliability || ...`, where bash ignores set -e: each step stops the part.
  cmake --preset release >/dev/null || return 1
  cmake --build --preset release -j "$jobs" --target spool_fault_tests uplink_tests ferry \
    ferry-tenant ferry-test-hooks || return 1
  local instants=${FERRY_POWER_LOSS_INSTANTS:-2000}
  local kills=${FERRY_KILL_CYCLES:-1000}
  local connections=${FERRY_RECONNECT_CYCLES:-10000}
  local started=$SECONDS
  local failed=""
  echo "== reliability: $instants power cuts, full disks and failing writes and syncs"
  FERRY_POWER_LOSS_INSTANTS=$instants build/release/tests/fault/spool_fault_tests ||
    failed+=" spool_fault_tests"
  local spool_time=$((SECONDS - started))
  echo "== reliability: ferry run killed $kills times at random instants"
  started=$SECONDS
  FERRY_KILL_CYCLES=$kills build/release/tests/uplink/uplink_tests "[kill]" || failed+=" kills"
  local kill_time=$((SECONDS - started))
  echo "== reliability: $connections connections cut under a running agent"
  started=$SECONDS
  FERRY_RECONNECT_CYCLES=$connections build/release/tests/uplink/uplink_tests "[reconnect]" ||
    failed+=" reconnects"
  local reconnect_time=$((SECONDS - started))
  echo "== reliability: a blackhole of ${FERRY_BLACKHOLE_SECONDS:-300} s"
  started=$SECONDS
  build/release/tests/uplink/uplink_tests "[blackhole]" || failed+=" blackhole"
  local blackhole_time=$((SECONDS - started))
  if [[ -n "$failed" ]]; then
    echo "== reliability: FAILED:$failed"
    return 1
  fi
  echo "== reliability: passed ($instants power cuts ${spool_time} s; $kills kills ${kill_time} s;" \
    "$connections connections ${reconnect_time} s; blackhole ${blackhole_time} s)"
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
