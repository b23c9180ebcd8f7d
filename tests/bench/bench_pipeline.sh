#!/bin/sh
# Pipeline benchmark, CSV to spool: generates a synthetic OneRoster export (1,000,000 users and
# 5,000,000 enrollments by default), then times one `ferry sync --no-upload` with the built-in
# `preset: oneroster` policy on one core (taskset -c 0) under /usr/bin/time -v, and prints rows/s
# and peak memory. See docs/benchmarks.md, section "Pipeline: CSV to spool".
#
# Usage: tests/bench/bench_pipeline.sh [WORK_DIR]
#   WORK_DIR   where the export, data_dir and config go (kept); default: a temporary folder,
#              removed at the end. The export is about 0.7 GB, the spool about as much again.
# Environment: FERRY_BENCH_USERS (1000000), FERRY_BENCH_ENROLLMENTS_PER_USER (5),
#              FERRY_BENCH_BUILD_DIR (build/release), FERRY_BENCH_REUSE_EXPORT=1 keeps an export
#              already in WORK_DIR/export, FERRY_BENCH_RESYNC=1 then also times a second sync of
#              the same export with 1% of its users and enrollments changed (the nightly case).
set -eu
cd "$(dirname "$0")/../.."
root=$(pwd)
build_dir=${FERRY_BENCH_BUILD_DIR:-build/release}
users=${FERRY_BENCH_USERS:-1000000}
per_user=${FERRY_BENCH_ENROLLMENTS_PER_USER:-5}

if [ $# -ge 1 ]; then
  work=$1
  mkdir -p "$work"
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/ferry-bench-pipeline.XXXXXX")
  temporary=1
fi
work=$(cd "$work" && pwd)
# The files FERRY_BENCH_RESYNC changes come back; a temporary WORK_DIR goes.
cleanup() {
  for f in users enrollments; do
    if [ -f "$work/$f.orig.csv" ]; then mv "$work/$f.orig.csv" "$work/export/$f.csv"; fi
  done
  if [ "${temporary:-0}" = 1 ]; then rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# GNU time (for the peak RSS); not a build dependency of Ferry, so installed here when missing.
if [ ! -x /usr/bin/time ]; then
  echo "installing GNU time (apt-get install time) ..."
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get install -y -qq time >/dev/null
fi

cmake --preset release -B "$build_dir" >/dev/null
cmake --build "$build_dir" --target ferry ferry-gen-oneroster
ferry="$root/$build_dir/agent/ferry"
gen="$root/$build_dir/tests/tools/ferry-gen-oneroster"
case $build_dir in /*) ferry="$build_dir/agent/ferry"; gen="$build_dir/tests/tools/ferry-gen-oneroster";; esac

if [ "${FERRY_BENCH_REUSE_EXPORT:-0}" = 1 ] && [ -f "$work/export/manifest.csv" ]; then
  echo "reusing the export in $work/export"
else
  rm -rf "$work/export"
  echo "generating $users users x $per_user enrollments ..."
  "$gen" --out "$work/export" --users "$users" --enrollments-per-user "$per_user" --seed 1
fi

# A fresh data_dir, and a tenant key pair made here (the private key is not needed: nothing is
# decrypted).
rm -rf "$work/data"
tenant_public_key=$(openssl genpkey -algorithm X25519 2>/dev/null |
  openssl pkey -pubout -outform DER 2>/dev/null | tail -c 32 | base64)
cat >"$work/ferry.yaml" <<YAML
agent:
  id: bench
  tenant: bench
  data_dir: $work/data
  log: {level: info, file: $work/ferry.log}
uplink:
  enabled: false
  tenant_public_key: "$tenant_public_key"
sources:
  - name: sis
    type: oneroster_csv
    path: $work/export
    preset: oneroster
YAML
"$ferry" keys init -c "$work/ferry.yaml" >/dev/null

# One timed `ferry sync --no-upload` on one core; prints its summary and figures under TITLE.
timed_sync() {
  title=$1
  echo "running ferry sync --no-upload on one core ($title) ..."
  sync  # start from clean page-cache dirt, not from pending writes
  /usr/bin/time -v -o "$work/time.txt" taskset -c 0 "$ferry" sync --no-upload \
    -c "$work/ferry.yaml" >"$work/sync.txt" 2>&1 || { cat "$work/sync.txt"; exit 1; }

  # Per-stream summary lines ("sis.users: N rows read, ..."), not the progress lines ("sis: ...").
  rows=$(awk '$1 ~ /\./ && / rows read,/ { sum += $2 } END { print sum + 0 }' "$work/sync.txt")
  elapsed=$(awk -F': ' '/Elapsed \(wall clock\)/ {
    n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' \
    "$work/time.txt")
  user=$(awk -F': ' '/User time/ { print $2 }' "$work/time.txt")
  system=$(awk -F': ' '/System time/ { print $2 }' "$work/time.txt")
  rss_kib=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$work/time.txt")
  spool_bytes=$(du -cb "$work/data"/spool.db* | tail -1 | cut -f1)
  export_bytes=$(du -sb "$work/export" | cut -f1)

  echo
  cat "$work/sync.txt"
  echo
  echo "== $title"
  echo "machine:     $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
  echo "export:      $users users, $((users * per_user)) enrollments, $export_bytes bytes"
  echo "rows:        $rows"
  echo "elapsed:     ${elapsed}s (user ${user}s, system ${system}s)"
  awk -v r="$rows" -v e="$elapsed" 'BEGIN { printf "rows/s:      %.0f\n", (e > 0 ? r / e : 0) }'
  awk -v k="$rss_kib" 'BEGIN { printf "peak RSS:    %.1f MiB\n", k / 1024 }'
  echo "spool:       $spool_bytes bytes"
}

timed_sync "first sync"

if [ "${FERRY_BENCH_RESYNC:-0}" = 1 ]; then
  # Every hundredth user changes enabledUser, every hundredth enrollment its beginDate; the
  # original files come back afterwards, so the export can be reused.
  for file in users enrollments; do cp "$work/export/$file.csv" "$work/$file.orig.csv"; done
  awk -F, 'BEGIN { OFS = "," } NR > 1 && NR % 100 == 0 { $4 = ($4 == "true" ? "false" : "true") }
    { print }' "$work/users.orig.csv" >"$work/export/users.csv"
  awk -F, 'BEGIN { OFS = "," } NR > 1 && NR % 100 == 0 { $9 = "2026-09-01" } { print }' \
    "$work/enrollments.orig.csv" >"$work/export/enrollments.csv"
  timed_sync "second sync, 1% of users and enrollments changed"
fi
