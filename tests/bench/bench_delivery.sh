#!/bin/sh
# Delivery benchmark, spool to tenant: fills a spool with `ferry sync --no-upload` from a synthetic
# OneRoster export, then, for uplink.max_in_flight 1 and 8, times one `ferry sync` that delivers
# the whole spool to `ferry-tenant serve` on loopback (TLS 1.3 WebSocket, ferry.v1) and prints
# rows/s and MB/s. See docs/benchmarks.md, section "Delivery: spool to tenant".
#
# Usage: tests/bench/bench_delivery.sh WORK_DIR [USERS]
#   WORK_DIR   where the export, keys, certificates, data_dirs and the tenant's output go (kept;
#              about 0.3 GB with 100,000 users)
#   USERS      users in the export (default 100000: about 720,000 rows with 5 enrollments each)
# Environment (binaries are not built here; build them first, e.g. the release preset):
#   FERRY_BINARY   build/release/agent/ferry
#   FERRY_TENANT   build/release/tests/tenant/ferry-tenant
#   FERRY_GEN      build/release/tests/tools/ferry-gen-oneroster
#   FERRY_BENCH_IN_FLIGHT ("1 8")  the uplink.max_in_flight values, in this order
#   FERRY_BENCH_RUNS (1)           runs of each value (the spool is restored before each run)
#   FERRY_BENCH_REUSE_EXPORT=1     keep an export already in WORK_DIR/export
#
# The delivering sync uses a configuration with the same agent and data_dir but no sources, so
# it reads nothing and only sends what is spooled: its wall-clock time is the delivery (plus
# start-up, the TLS handshake and the hello/welcome exchange). The tenant decrypts, decompresses,
# appends and fsyncs each batch (file, then tenant.db) before it acks, on the same two cores: the
# figures are a lower bound for the agent's side.
set -eu
cd "$(dirname "$0")/../.."
root=$(pwd)

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 WORK_DIR [USERS]" >&2
  exit 2
fi
work=$1
users=${2:-100000}
in_flight_values=${FERRY_BENCH_IN_FLIGHT:-1 8}
runs=${FERRY_BENCH_RUNS:-1}
mkdir -p "$work"
work=$(cd "$work" && pwd)

absolute() { case $1 in /*) echo "$1" ;; *) echo "$root/$1" ;; esac; }
ferry=$(absolute "${FERRY_BINARY:-build/release/agent/ferry}")
tenant=$(absolute "${FERRY_TENANT:-build/release/tests/tenant/ferry-tenant}")
gen=$(absolute "${FERRY_GEN:-build/release/tests/tools/ferry-gen-oneroster}")
for binary in "$ferry" "$tenant" "$gen"; do
  if [ ! -x "$binary" ]; then
    echo "$0: $binary is missing: build it first (cmake --preset release, then" \
      "cmake --build build/release --target ferry ferry-tenant ferry-gen-oneroster)" >&2
    exit 2
  fi
done

# GNU time (for the agent's peak RSS); not a build dependency of Ferry, so installed when missing.
if [ ! -x /usr/bin/time ]; then
  echo "installing GNU time (apt-get install time) ..."
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get install -y -qq time >/dev/null
fi

. tests/bench/lib.sh
need_sqlite3

tenant_pid=""
stop_tenant() {
  if [ -n "$tenant_pid" ]; then
    kill -TERM "$tenant_pid" 2>/dev/null || true
    wait "$tenant_pid" 2>/dev/null || true
    tenant_pid=""
  fi
}
trap 'stop_tenant' EXIT
trap 'stop_tenant; exit 130' INT TERM

# Elapsed seconds from a /usr/bin/time -v report ("h:mm:ss" or "m:ss.ss").
elapsed_of() {
  awk -F': ' '/Elapsed \(wall clock\)/ {
    n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$1"
}

# 1. The export.
if [ "${FERRY_BENCH_REUSE_EXPORT:-0}" = 1 ] && [ -f "$work/export/manifest.csv" ]; then
  echo "reusing the export in $work/export"
else
  rm -rf "$work/export"
  echo "generating $users users ..."
  "$gen" --out "$work/export" --users "$users" --seed 1 >/dev/null
fi

# 2. The tenant's key, certificates and tokens file.
token=bench-delivery-token-0123456789
make_tenant_files "$token"

# 3. Two configurations, one data_dir. The port and max_in_flight come from the environment
# (${...} is expanded when the file is loaded). fill.yaml reads the export; deliver.yaml has no
# sources, so its sync only sends what is spooled.
write_config() {
  cat >"$1" <<YAML
agent:
  id: bench
  tenant: bench
  data_dir: $work/data
  log: {level: info, file: $work/ferry.log}
uplink:
  url: wss://127.0.0.1:\${FERRY_BENCH_PORT}/v1/agent
  token: $token
  tenant_public_key: "$tenant_public_key"
  ca_file: $work/pki/ca.pem
  max_in_flight: \${FERRY_BENCH_IN_FLIGHT}
YAML
}
write_config "$work/fill.yaml"
cat >>"$work/fill.yaml" <<YAML
sources:
  - name: sis
    type: oneroster_csv
    path: $work/export
    preset: oneroster
YAML
write_config "$work/deliver.yaml"
echo "sources: []" >>"$work/deliver.yaml"
export FERRY_BENCH_PORT=1 FERRY_BENCH_IN_FLIGHT=1

# 4. Fill the spool, and keep a copy of the full data_dir.
rm -rf "$work/data" "$work/data.full" "$work/ferry.log"
"$ferry" keys init -c "$work/fill.yaml" >/dev/null
echo "filling the spool (ferry sync --no-upload) ..."
"$ferry" sync --no-upload -c "$work/fill.yaml" >"$work/fill.txt" 2>&1 ||
  { cat "$work/fill.txt"; exit 1; }
rows_spooled=$(awk '$1 ~ /\./ && / rows read,/ { sum += $2 } END { print sum + 0 }' "$work/fill.txt")
spool_line=$(grep '^spool: ' "$work/fill.txt")
batches_spooled=$(echo "$spool_line" | awk '{ print $2 }')
cp -a "$work/data" "$work/data.full"
spool_bytes=$(du -cb "$work/data.full"/spool.db* | tail -1 | cut -f1)
# The sealed batches' bytes, as sent (ferry sync prints them rounded).
batch_bytes=$(sqlite3 "$work/data.full/spool.db" "SELECT sum(bytes) FROM batches")

# 5. Deliver it, once per max_in_flight value and run.
ticks=$(getconf CLK_TCK)
results="$work/results.txt"
: >"$results"
run=1
while [ "$run" -le "$runs" ]; do
  for n in $in_flight_values; do
    tag="n$n-run$run"
    rm -rf "$work/data" "$work/tenant-out"
    cp -a "$work/data.full" "$work/data"
    start_tenant tenant-out "tenant-$tag"

    echo "delivering with max_in_flight $n (run $run) to 127.0.0.1:$port ..."
    sync  # start from clean page-cache dirt, not from the copy's pending writes
    FERRY_BENCH_PORT=$port FERRY_BENCH_IN_FLIGHT=$n \
      /usr/bin/time -v -o "$work/time-$tag.txt" \
      "$ferry" sync -c "$work/deliver.yaml" >"$work/sync-$tag.txt" 2>&1 ||
      { cat "$work/sync-$tag.txt"; exit 1; }
    # The tenant's CPU time (utime + stime, fields 14 and 15 of /proc/PID/stat), then stop it.
    tenant_cpu=$(awk -v t="$ticks" '{ sub(/^.*\) /, ""); printf "%.1f", ($12 + $13) / t }' \
      "/proc/$tenant_pid/stat")
    stop_tenant

    sent_line=$(grep '^sent: ' "$work/sync-$tag.txt")
    sent_batches=$(echo "$sent_line" | awk '{ print $2 }')
    sent_rows=$(echo "$sent_line" | sed 's/.*(\([0-9]*\) rows, .*/\1/')
    sent_bytes=$batch_bytes
    stored_rows=$(find "$work/tenant-out/bench" -name '*.jsonl' ! -name commands.jsonl \
      -exec cat {} + | wc -l)
    stored_bytes=$(find "$work/tenant-out/bench" -name '*.jsonl' ! -name commands.jsonl \
      -exec cat {} + | wc -c)
    if [ "$sent_batches" != "$batches_spooled" ] || [ "$stored_rows" != "$rows_spooled" ] ||
      [ "$sent_rows" != "$rows_spooled" ]; then
      echo "delivery incomplete: spooled $batches_spooled batches / $rows_spooled rows;" \
        "acked $sent_batches batches / $sent_rows rows; tenant holds $stored_rows rows" >&2
      cat "$work/sync-$tag.txt" >&2
      exit 1
    fi
    elapsed=$(elapsed_of "$work/time-$tag.txt")
    # The tenant's side: from the hello to the last batch stored (its log's millisecond stamps).
    span=$(awk '/ hello agent=| batch stored / {
      split(substr($1, 12, 12), t, ":"); s = t[1] * 3600 + t[2] * 60 + t[3]
      if (first == "") first = s; last = s }
      END { d = last - first; if (d < 0) d += 86400; printf "%.3f", d }' "$work/tenant-$tag.log")
    user=$(awk -F': ' '/User time/ { print $2 }' "$work/time-$tag.txt")
    system=$(awk -F': ' '/System time/ { print $2 }' "$work/time-$tag.txt")
    rss_kib=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$work/time-$tag.txt")
    echo "$n $run $sent_batches $stored_rows $sent_bytes $stored_bytes $elapsed $user $system" \
      "$rss_kib $tenant_cpu $span" >>"$results"
  done
  run=$((run + 1))
done

echo
cat "$work/fill.txt"
echo
echo "machine:     $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "spool:       $batches_spooled batches, $rows_spooled rows, $spool_bytes bytes on disk"
echo
awk 'BEGIN {
  printf "%-13s %-3s %7s %8s %8s %8s %7s %7s %6s %7s %7s %6s %7s %7s\n", "max_in_flight", "run",
    "batches", "rows", "frame MB", "jsonl MB", "wall s", "rows/s", "MB/s", "span s", "rows/s",
    "CPU s", "RSS MiB", "tenant"
}
{
  printf "%-13s %-3s %7d %8d %8.1f %8.1f %7.2f %7.0f %6.2f %7.2f %7.0f %6.1f %7.1f %6.1fs\n",
    $1, $2, $3, $4, $5 / 1e6, $6 / 1e6, $7, ($7 > 0 ? $4 / $7 : 0), ($7 > 0 ? $5 / 1e6 / $7 : 0),
    $12, ($12 > 0 ? $4 / $12 : 0), $8 + $9, $10 / 1024, $11
}' "$results"
echo
echo "wall s: the delivering ferry sync, start to exit (rows/s and MB/s from it). span s: the"
echo "tenant's log from the hello to the last batch stored (rows/s from it). MB/s counts frame bytes"
echo "(sealed batches as sent; 1 MB = 10^6 bytes). CPU s: the agent's user + system time; RSS: its"
echo "peak; tenant: ferry-tenant's CPU time over its whole run."
