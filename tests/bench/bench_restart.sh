#!/bin/sh
# Restart with a large backlog (issue 21, case 9; docs/reliability.md): how long `ferry run` takes
# to be ready on a spool holding about 1 GiB of batches, its peak memory next to an empty start,
# whether the backlog drains in seq order once the tenant is reachable, and how long a single new
# row takes to reach the tenant once the agent is idle again.
#
# Usage: tests/bench/bench_restart.sh WORK_DIR [MIB]
#   WORK_DIR   where the data, the spool and the tenant's output go (kept; about 3.5 times MIB)
#   MIB        the backlog, in MiB of source rows (default 1300: a little over 1 GiB of sealed
#              batches; the rows are random base64, which zstd brings to about four fifths)
# Environment (binaries are not built here; build them first, e.g. the release preset):
#   FERRY_BINARY   build/release/agent/ferry
#   FERRY_TENANT   build/release/tests/tenant/ferry-tenant
#
# Steps: (1) `ferry run` on an empty data_dir with the tenant unreachable: seconds until
# `ferry status` answers, and the peak RSS (VmHWM) 5 s later; (2) `ferry sync --no-upload` of a
# CSV of MIB MiB of rows (id pseudonymized, the rest kept); (3) `ferry run` on that spool, still
# unreachable: ready time and peak RSS 5 s later; (4) the tenant started: seconds until the spool
# is empty, the agent's peak RSS over the drain, and whether the tenant stored every batch in seq
# order; (5) idle, one new row in a second source: the wall time of `ferry sync -s tiny`, which the
# running agent does and which returns once the tenant acknowledged it. Prints one summary line.
set -eu
cd "$(dirname "$0")/../.."
root=$(pwd)

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 WORK_DIR [MIB]" >&2
  exit 2
fi
work=$1
mib=${2:-1300}
mkdir -p "$work"
work=$(cd "$work" && pwd)

absolute() { case $1 in /*) echo "$1" ;; *) echo "$root/$1" ;; esac; }
ferry=$(absolute "${FERRY_BINARY:-build/release/agent/ferry}")
tenant=$(absolute "${FERRY_TENANT:-build/release/tests/tenant/ferry-tenant}")
for binary in "$ferry" "$tenant"; do
  if [ ! -x "$binary" ]; then
    echo "$0: $binary is missing: build it first (cmake --preset release, then" \
      "cmake --build build/release --target ferry ferry-tenant)" >&2
    exit 2
  fi
done

. tests/bench/lib.sh
need_sqlite3

agent_pid=""
tenant_pid=""
stop() {
  for pid in $agent_pid $tenant_pid; do
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  agent_pid=""
  tenant_pid=""
}
trap 'stop' EXIT
trap 'stop; exit 130' INT TERM

now() { date +%s.%N; }
since() { echo "$(now) $1" | awk '{ printf "%.2f", $1 - $2 }'; }
hwm_mib() { awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }

# Starts `ferry run` in the background; sets `ready` to the seconds until `ferry status` answers.
start_agent() {
  started=$(now)
  "$ferry" run -c "$work/ferry.yaml" >>"$work/run.out" 2>&1 &
  agent_pid=$!
  tries=0
  until "$ferry" status -c "$work/ferry.yaml" >/dev/null 2>&1; do
    tries=$((tries + 1))
    if [ "$tries" -gt 1200 ] || ! kill -0 "$agent_pid" 2>/dev/null; then
      echo "ferry run did not become ready:" >&2
      tail -20 "$work/run.out" >&2
      exit 1
    fi
    sleep 0.05
  done
  ready=$(since "$started")
}

stop_agent() {
  kill -TERM "$agent_pid"
  wait "$agent_pid" || {
    echo "ferry run did not stop cleanly:" >&2
    tail -20 "$work/run.out" >&2
    exit 1
  }
  agent_pid=""
}

# 1. The rows: MIB MiB of random base64 in rows of 800 characters, and a one-row second source.
rm -rf "$work/data" "$work/rows" "$work/tiny" "$work/tenant-out" "$work/run.out" "$work/ferry.log"
mkdir -p "$work/rows" "$work/tiny"
echo "writing $mib MiB of rows ..."
{
  printf 'id,n,payload\r\n'
  head -c "$((mib * 1024 * 1024 * 3 / 4))" /dev/urandom | base64 -w 800 |
    awk '{ printf "r%08d,%d,%s\r\n", NR, NR, $0 }'
} >"$work/rows/rows.csv"
rows=$(($(wc -l <"$work/rows/rows.csv") - 1))
printf 'id,n,payload\r\nt1,1,one\r\n' >"$work/tiny/rows.csv"

# 2. The tenant's key, certificates and tokens file; the agent's configuration.
token=bench-restart-token-0123456789
make_tenant_files "$token"
source_entry() {
  cat <<YAML
  - name: $1
    type: csv
    path: $2
    schedule: every 1d
    streams:
      rows:
        key: id
        default: keep
        fields:
          id: {transform: pseudonymize, domain: user}
YAML
}
write_config() {
  cat >"$work/ferry.yaml" <<YAML
agent:
  id: bench
  tenant: bench
  data_dir: $work/data
  log: {level: info, file: $work/ferry.log}
uplink:
  url: wss://127.0.0.1:$1/v1/agent
  token: $token
  tenant_public_key: "$tenant_public_key"
  ca_file: $work/pki/ca.pem
  max_in_flight: 8
spool:
  max_bytes: 4GiB
sources:
YAML
  if [ "$2" = with-rows ]; then source_entry rows "$work/rows" >>"$work/ferry.yaml"; fi
  source_entry tiny "$work/tiny" >>"$work/ferry.yaml"
}
# Port 1: nothing listens there, so the agent keeps its spool while it dials.
write_config 1 tiny-only
"$ferry" keys init -c "$work/ferry.yaml" >/dev/null

# 3. An empty start: the tiny source only, the tenant unreachable.
echo "an empty start ..."
start_agent
empty_ready=$ready
sleep 5
empty_hwm=$(hwm_mib "$agent_pid")
stop_agent

# 4. The backlog.
echo "spooling $rows rows ($mib MiB) with ferry sync --no-upload ..."
write_config 1 with-rows
fill_started=$(now)
"$ferry" sync --no-upload -s rows -c "$work/ferry.yaml" >"$work/fill.txt" 2>&1 ||
  { cat "$work/fill.txt"; exit 1; }
fill_seconds=$(since "$fill_started")
batch_mib=$(sqlite3 "$work/data/spool.db" "SELECT sum(bytes) / 1048576.0 FROM batches" |
  awk '{ printf "%.0f", $1 }')
batches=$(sqlite3 "$work/data/spool.db" "SELECT count(*) FROM batches")
file_mib=$(du -cm "$work/data"/spool.db* | tail -1 | cut -f1)

# 5. The restart on it (only the tiny source: the agent does not read the rows again).
write_config 1 tiny-only
echo "restarting on $batches batches ($batch_mib MiB) ..."
start_agent
full_ready=$ready
sleep 5
full_hwm=$(hwm_mib "$agent_pid")
stop_agent

# 6. The tenant up: the drain.
start_tenant tenant-out tenant
write_config "$port" tiny-only
echo "draining to 127.0.0.1:$port ..."
drain_started=$(now)
start_agent
ready_again=$ready
until [ "$(sqlite3 "$work/data/spool.db" "SELECT count(*) FROM batches")" = 0 ]; do
  if ! kill -0 "$agent_pid" 2>/dev/null; then
    echo "ferry run ended while draining:" >&2
    tail -20 "$work/run.out" >&2
    exit 1
  fi
  sleep 0.2
done
drain_seconds=$(since "$drain_started")
drain_hwm=$(hwm_mib "$agent_pid")
# In seq order: the tenant stored seqs 1, 2, 3, ... (its log's "batch stored" lines).
in_order=$(awk '/ batch stored / { for (i = 1; i <= NF; i++) if ($i ~ /^seq=/) {
    s = substr($i, 5) + 0; if (s != last + 1) bad = 1; last = s } }
  END { print (bad || last == 0) ? "no" : "yes" }' "$work/tenant.log")

# 7. Idle: one new row in the tiny source, through the running agent.
printf 'id,n,payload\r\nt1,1,one\r\nt2,2,two\r\n' >"$work/tiny/rows.csv"
one_started=$(now)
"$ferry" sync -s tiny -c "$work/ferry.yaml" >"$work/one.txt" 2>&1 ||
  { cat "$work/one.txt"; exit 1; }
one_seconds=$(since "$one_started")
stop

echo "restart: $rows rows, $batches batches, $batch_mib MiB of batches ($file_mib MiB of files)," \
  "spooled in $fill_seconds s; empty start ready in $empty_ready s, peak RSS $empty_hwm MiB;" \
  "with the backlog ready in $full_ready s, peak RSS $full_hwm MiB; drained in $drain_seconds s" \
  "(ready in $ready_again s), peak RSS $drain_hwm MiB, in seq order: $in_order;" \
  "one new row acknowledged in $one_seconds s"
