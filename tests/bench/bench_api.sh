#!/bin/sh
# API source benchmark: the same synthetic OneRoster export read by the CSV source and through the
# OneRoster REST service of the tests (bench_api_server: HTTPS on 127.0.0.1, OAuth 2, 1,000 records
# a page), each in one timed `ferry sync --no-upload --source ...` on one core (the server on the
# other), then the API source once more from a server that answers each collection in one page
# (users: about 0.7 GB for a million), read in bounded memory. Prints rows/s, the API/CSV
# cost per row, and peak RSS. See docs/benchmarks.md, section "API source: OneRoster REST".
#
# Usage: tests/bench/bench_api.sh [WORK_DIR]
# Environment: FERRY_BENCH_USERS (1000000; one enrollment each), FERRY_BENCH_BUILD_DIR
#              (build/release).
set -eu
cd "$(dirname "$0")/../.."
root=$(pwd)
build_dir=${FERRY_BENCH_BUILD_DIR:-build/release}
users=${FERRY_BENCH_USERS:-1000000}

if [ $# -ge 1 ]; then
  work=$1
  mkdir -p "$work"
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/ferry-bench-api.XXXXXX")
  temporary=1
fi
work=$(cd "$work" && pwd)
cleanup() {
  for pid in ${server_pids:-}; do kill "$pid" 2>/dev/null || true; done
  if [ "${temporary:-0}" = 1 ]; then rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

if [ ! -x /usr/bin/time ]; then
  echo "installing GNU time (apt-get install time) ..."
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get install -y -qq time >/dev/null
fi

cmake --preset release -B "$build_dir" >/dev/null
cmake --build "$build_dir" --target ferry ferry-gen-oneroster bench_api_server
case $build_dir in /*) bin=$build_dir ;; *) bin=$root/$build_dir ;; esac
ferry="$bin/agent/ferry"

rm -rf "$work/export" "$work/data" "$work"/*.in "$work"/*.out
echo "generating $users users ..."
"$bin/tests/tools/ferry-gen-oneroster" --out "$work/export" --users "$users" \
  --enrollments-per-user 1 --seed 1

# The servers on core 1, each fed from a pipe that stays open until the end.
start_server() {  # NAME [one-page]; sets base_url, token_url
  mkfifo "$work/$1.in"
  taskset -c 1 "$bin/tests/bench/bench_api_server" "$work/export" "$work/$1-ca.pem" $2 \
    <"$work/$1.in" >"$work/$1.out" &
  server_pids="${server_pids:-} $!"
  exec 4>"$work/$1.in"
  for _ in $(seq 1 900); do
    if [ -s "$work/$1.out" ]; then break; fi
    sleep 1
  done
  read -r base_url token_url <"$work/$1.out"
}
start_server paged ""
paged_url=$base_url paged_token_url=$token_url
exec 5>&4
start_server onepage one-page
onepage_url=$base_url onepage_token_url=$token_url
printf 'oauth-secret-4242\n' >"$work/api-secret"
chmod 600 "$work/api-secret"

tenant_public_key=$(openssl genpkey -algorithm X25519 2>/dev/null |
  openssl pkey -pubout -outform DER 2>/dev/null | tail -c 32 | base64)
api_source() {  # NAME SERVER URL TOKEN_URL
  cat <<YAML
  - name: $1
    type: oneroster_rest
    url: $3
    ca_file: $work/$2-ca.pem
    auth:
      oauth2: {token_url: $4, client_id: ferry-client, client_secret_file: $work/api-secret}
    page_size: 1000
    max_response_size: 4GiB
    timeout: 5m
    preset: oneroster
YAML
}
{
  cat <<YAML
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
  api_source sis_api paged "$paged_url" "$paged_token_url"
  api_source sis_api_big onepage "$onepage_url" "$onepage_token_url"
} >"$work/ferry.yaml"
"$ferry" keys init -c "$work/ferry.yaml" >/dev/null

# One timed `ferry sync --no-upload --source SOURCE` on core 0; sets rows, elapsed, rss_kib.
timed_sync() {
  sync
  /usr/bin/time -v -o "$work/time.txt" taskset -c 0 "$ferry" sync --no-upload --source "$1" \
    -c "$work/ferry.yaml" >"$work/sync.txt" 2>&1 || { cat "$work/sync.txt"; exit 1; }
  rows=$(awk '$1 ~ /\./ && / rows read,/ { sum += $2 } END { print sum + 0 }' "$work/sync.txt")
  elapsed=$(awk -F': ' '/Elapsed \(wall clock\)/ {
    n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' \
    "$work/time.txt")
  rss_kib=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$work/time.txt")
  cpu=$(awk -F': ' '/User time|System time/ { s += $2 } END { print s }' "$work/time.txt")
  cat "$work/sync.txt"
  printf '== %s: %s rows in %ss (agent CPU %ss), %.0f rows/s, peak RSS %.1f MiB\n' "$1" "$rows" \
    "$elapsed" "$cpu" "$(awk -v r="$rows" -v e="$elapsed" 'BEGIN { print (e > 0 ? r / e : 0) }')" \
    "$(awk -v k="$rss_kib" 'BEGIN { print k / 1024 }')"
}

timed_sync sis
csv_rows=$rows csv_elapsed=$elapsed csv_cpu=$cpu
timed_sync sis_api
api_rows=$rows api_elapsed=$elapsed api_cpu=$cpu
timed_sync sis_api_big
echo
echo "machine: $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
# The agent's CPU per row is the cost the target is about; the wall clock also holds the test
# server's time to make each page (on the other core).
awk -v cr="$csv_rows" -v ce="$csv_elapsed" -v cc="$csv_cpu" -v ar="$api_rows" -v ae="$api_elapsed" \
  -v ac="$api_cpu" 'BEGIN {
  printf "API/CSV, agent CPU per row: %.2f; wall clock per row: %.2f\n", (ac / ar) / (cc / cr),
    (ae / ar) / (ce / cr) }'
