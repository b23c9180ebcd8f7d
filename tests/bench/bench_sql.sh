#!/bin/sh
# SQL source benchmark: a 10-column PostgreSQL table (FERRY_BENCH_ROWS rows, synthetic) read into
# the spool by the `type: sql` source through ODBC (unixODBC, psqlODBC "PostgreSQL Unicode"), next
# to `psql -c "\copy (same query) to stdout with csv header"` followed by a `type: csv` sync of the
# file it wrote, in the same run, with the same key and field policy. Prints each side's wall
# clock, CPU time and peak RSS, the server's CPU time, and the ratio SQL / (copy + CSV sync).
# See docs/benchmarks.md, section "SQL source: PostgreSQL through ODBC".
#
# Usage: tests/bench/bench_sql.sh [WORK_DIR]
#   WORK_DIR   where the CSV file, data_dirs and configurations go (kept); default: a temporary
#              folder, removed at the end. The server's own folder is always a temporary one
#              under $TMPDIR (the server runs as user nobody when this runs as root), removed at
#              the end. A few hundred MB each for a million rows.
# Environment:
#   FERRY_BENCH_ROWS (1000000)  rows in the table
#   FERRY_BENCH_RUNS (1)        rounds; each round times the SQL source, then the copy and CSV
#                               sync, each into a fresh data_dir
#   FERRY_BENCH_FETCH_ROWS      the SQL source's fetch_rows (default: the source's, 5000)
#   FERRY_BENCH_PIN (1)         1: the agent and psql on core 0, the server on core 1 (a client
#                               with one core, the database as if on another machine); 0: no
#                               pinning, every process on every core
#   FERRY_BENCH_PERF            set: the SQL source's sync runs under `perf record -g` (its
#                               times then include perf's), data in WORK_DIR/perf-sql.data
#   FERRY_BINARY                build/release/agent/ferry (not built here: build it first)
#   FERRY_BENCH_PG_BIN          /usr/lib/postgresql/15/bin (postgres, initdb, pg_ctl)
# Needs postgresql-15, postgresql-client, odbc-postgresql, unixodbc, sqlite3 and GNU time
# (installed with apt-get when /usr/bin/time is missing).
# shellcheck disable=SC2086  # $run_as, $pin_client, $pin_server, $profile: command prefixes, split on purpose
set -eu
cd "$(dirname "$0")/../.."
root=$(pwd)
rows_wanted=${FERRY_BENCH_ROWS:-1000000}
runs=${FERRY_BENCH_RUNS:-1}
fetch_rows=${FERRY_BENCH_FETCH_ROWS:-}
pin=${FERRY_BENCH_PIN:-1}
pg_bin=${FERRY_BENCH_PG_BIN:-/usr/lib/postgresql/15/bin}
absolute() { case $1 in /*) echo "$1" ;; *) echo "$root/$1" ;; esac; }
ferry=$(absolute "${FERRY_BINARY:-build/release/agent/ferry}")

if [ ! -x "$ferry" ]; then
  echo "$0: $ferry is missing: build it first (cmake --preset release, then" \
    "cmake --build build/release --target ferry)" >&2
  exit 2
fi
for tool in "$pg_bin/postgres" "$pg_bin/initdb" "$pg_bin/pg_ctl" "$(command -v psql || echo psql)" \
  "$(command -v sqlite3 || echo sqlite3)"; do
  if [ ! -x "$tool" ]; then
    echo "$0: $tool is missing (apt-get install postgresql-15 postgresql-client sqlite3)" >&2
    exit 2
  fi
done
if ! odbcinst -q -d 2>/dev/null | grep -qx '\[PostgreSQL Unicode\]'; then
  echo "$0: the ODBC driver 'PostgreSQL Unicode' is not installed (apt-get install" \
    "odbc-postgresql)" >&2
  exit 2
fi
if [ ! -x /usr/bin/time ]; then
  echo "installing GNU time (apt-get install time) ..."
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get install -y -qq time >/dev/null
fi

if [ $# -ge 1 ]; then
  work=$1
  mkdir -p "$work"
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/ferry-bench-sql.XXXXXX")
  temporary=1
fi
work=$(cd "$work" && pwd)
pg=$(mktemp -d "${TMPDIR:-/tmp}/ferry-bench-sql-pg.XXXXXX")
run_as=""
cleanup() {
  if [ -f "$pg/data/postmaster.pid" ]; then
    $run_as "$pg_bin/pg_ctl" stop -D "$pg/data" -m immediate -s >/dev/null 2>&1 || true
  fi
  rm -rf "$pg"
  if [ "${temporary:-0}" = 1 ]; then rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# initdb and postgres refuse to run as root: as root the server is user nobody's. The agent and
# psql run on core 0, the server on core 1, as bench_api.sh does with its server. (Prefixes of a
# command, not functions, so that /usr/bin/time and taskset can run them.)
if [ "$(id -u)" -eq 0 ]; then
  chmod 755 "$pg"
  chown nobody:nogroup "$pg"
  run_as="setpriv --reuid=nobody --regid=nogroup --clear-groups --"
fi
pin_client="" pin_server=""
if [ "$(nproc)" -ge 2 ] && [ "$pin" = 1 ]; then pin_client="taskset -c 0" pin_server="taskset -c 1"; fi

# 1. The server: 127.0.0.1 on a free port, the superuser over a socket in its own folder, the
# reader by password over TCP. Not durable (fsync=off): the data is made again every run.
echo "starting PostgreSQL ($pg_bin) in $pg ..."
$run_as mkdir "$pg/run"
$run_as "$pg_bin/initdb" --pgdata="$pg/data" --encoding=UTF8 --locale=C --username=postgres \
  --auth-local=trust --auth-host=scram-sha-256 --no-sync >"$pg/initdb.log" 2>&1 ||
  { cat "$pg/initdb.log"; exit 1; }
# On one line: pg_ctl hands them to a shell command line.
settings="-c listen_addresses=127.0.0.1 -c unix_socket_directories=$pg/run -c fsync=off"
settings="$settings -c synchronous_commit=off -c full_page_writes=off -c wal_level=minimal"
settings="$settings -c max_wal_senders=0 -c max_wal_size=1GB -c autovacuum=off -c jit=off"
settings="$settings -c ssl=off -c password_encryption=scram-sha-256 -c lc_messages=C"
port=""
for _ in 1 2 3 4 5 6 7 8 9 10; do
  candidate=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
  if [ -n "$(ss -Htln "sport = :$candidate")" ]; then continue; fi
  if $pin_server $run_as "$pg_bin/pg_ctl" start -D "$pg/data" -w -t 60 -s -l "$pg/run/server.log" \
    -o "-c port=$candidate $settings"; then
    port=$candidate
    break
  fi
done
if [ -z "$port" ]; then
  cat "$pg/run/server.log" >&2
  echo "$0: PostgreSQL did not start" >&2
  exit 1
fi
server_pid=$(head -1 "$pg/data/postmaster.pid")
superuser_sql() {  # SQL [DATABASE]
  psql -X -q -v ON_ERROR_STOP=1 -h "$pg/run" -p "$port" -U postgres -d "${2:-postgres}" -c "$1"
}

# 2. The reader, and the table: ten columns of synthetic values, the cursor column's order
# unrelated to the key's (as in a table whose rows change at random), an index for the cursor read.
password=bench-sql-reader-4242
printf '%s\n' "$password" >"$work/db-password"
chmod 600 "$work/db-password"
superuser_sql "CREATE ROLE ferry_reader LOGIN PASSWORD '$password'"
superuser_sql "CREATE DATABASE sis ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0"
echo "filling students with $rows_wanted rows ..."
superuser_sql "
CREATE TABLE students (
  id bigint PRIMARY KEY,
  student_number varchar(20) NOT NULL,
  first_name varchar(40),
  email varchar(80),
  school_code varchar(10),
  grade_level integer,
  birth_date date,
  gpa numeric(4,2),
  active boolean,
  updated_at timestamp NOT NULL);
INSERT INTO students
SELECT g,
       'S' || lpad(g::text, 9, '0'),
       (ARRAY['Ann','Ben','Chloe','David','Emma','Farid','Grace','Hugo','Ines','Jonas'])[1 + g % 10],
       'student' || g || '@school' || (g % 40) || '.example.org',
       'SCH' || lpad((g % 40)::text, 3, '0'),
       1 + g % 12,
       date '2008-01-01' + (g % 4000)::int,
       round(((g % 401) / 100.0)::numeric, 2),
       g % 17 <> 0,
       timestamp '2025-08-01' + ((g::bigint * 7919) % $rows_wanted) * interval '1 second'
FROM generate_series(1, $rows_wanted) AS g;
CREATE INDEX students_cursor ON students (updated_at, id);
GRANT SELECT ON students TO ferry_reader;" sis
superuser_sql "VACUUM ANALYZE students" sis
table_bytes=$(psql -X -qAt -h "$pg/run" -p "$port" -U postgres -d sis \
  -c "SELECT pg_total_relation_size('students')")

columns="id, student_number, first_name, email, school_code, grade_level, birth_date, gpa, active, updated_at"
copy_query="SELECT $columns FROM students ORDER BY updated_at, id"
reader_psql() {  # the reader over TCP with its password, as the agent logs in
  PGPASSWORD=$password PGPASSFILE=/dev/null psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 \
    -p "$port" -U ferry_reader -d sis "$@"
}
# One untimed read, so that both sides find the table and its index in memory.
reader_psql -c "\\copy ($copy_query) to '/dev/null' with csv"

# 3. Two configurations with the same stream, key and field policy; each its own data_dir.
tenant_public_key=$(openssl genpkey -algorithm X25519 2>/dev/null |
  openssl pkey -pubout -outform DER 2>/dev/null | tail -c 32 | base64)
write_config() {  # NAME SOURCE_OPTIONS STREAM_OPTIONS (YAML lines, indented)
  cat >"$work/$1.yaml" <<YAML
agent:
  id: bench
  tenant: bench
  data_dir: $work/data-$1
  log: {level: info, file: $work/ferry-$1.log}
uplink:
  enabled: false
  tenant_public_key: "$tenant_public_key"
sources:
  - name: $1
$2
    streams:
      students:
$3
        key: id
        default: drop
        fields:
          id: {transform: pseudonymize, domain: student}
          student_number: {transform: pseudonymize, domain: student_number}
          first_name: drop
          email: {transform: hash, domain: email, normalize: lower}
          school_code: keep
          grade_level: keep
          birth_date: {transform: generalize, to: year}
          gpa: keep
          active: keep
          updated_at: keep
YAML
}
write_config sql "    type: sql
    connection: \"Driver=PostgreSQL Unicode;Server=127.0.0.1;Port=$port;Database=sis;Uid=ferry_reader\"
    password_file: $work/db-password${fetch_rows:+
    fetch_rows: $fetch_rows}" "        query: >
          SELECT $columns FROM students
          WHERE :cursor IS NULL OR updated_at >= :cursor
          ORDER BY updated_at, id
        cursor: updated_at"
write_config csv "    type: csv
    path: $work/export" "        file: students.csv"

# One key for both, so that the same value gets the same token from either source.
rm -rf "$work/data-sql" "$work/data-fresh"
"$ferry" keys init -c "$work/sql.yaml" >/dev/null
mv "$work/data-sql" "$work/data-fresh"

ticks=$(getconf CLK_TCK)
# CPU seconds of the server's processes that ended (each connection's backend).
server_cpu() {
  awk -v t="$ticks" '{ sub(/^.*\) /, ""); print ($14 + $15) / t }' "/proc/$server_pid/stat"
}
# Seconds, CPU seconds and peak RSS (KiB) from a /usr/bin/time -v report.
read_time() {  # FILE; sets elapsed, cpu, rss_kib
  elapsed=$(awk -F': ' '/Elapsed \(wall clock\)/ {
    n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$1")
  cpu=$(awk -F': ' '/User time|System time/ { s += $2 } END { print s }' "$1")
  rss_kib=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$1")
}
# One timed `ferry sync --no-upload` of NAME into a fresh data_dir; checks that every row was
# read and is in the spool; sets elapsed, cpu, rss_kib.
timed_sync() {  # NAME
  rm -rf "$work/data-$1"
  cp -a "$work/data-fresh" "$work/data-$1"
  sync
  profile=""
  if [ -n "${FERRY_BENCH_PERF:-}" ] && [ "$1" = sql ]; then
    profile="perf record -q -F 999 -g -o $work/perf-sql.data --"
  fi
  /usr/bin/time -v -o "$work/time-$1.txt" $pin_client $profile "$ferry" sync --no-upload --timeout 2h \
    -c "$work/$1.yaml" >"$work/sync-$1.txt" 2>&1 || { cat "$work/sync-$1.txt"; exit 1; }
  read_time "$work/time-$1.txt"
  read_rows=$(awk '$1 ~ /\./ && / rows read,/ { sum += $2 } END { print sum + 0 }' \
    "$work/sync-$1.txt")
  spooled=$(sqlite3 "$work/data-$1/spool.db" \
    "SELECT coalesce(sum(rows), 0) FROM batches WHERE kind = 'rows' AND rejected IS NULL")
  if [ "$read_rows" != "$rows_wanted" ] || [ "$spooled" != "$rows_wanted" ]; then
    cat "$work/sync-$1.txt"
    echo "$0: $1: $read_rows rows read and $spooled spooled, not $rows_wanted" >&2
    exit 1
  fi
}
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

round=1
summary=""
while [ "$round" -le "$runs" ]; do
  echo "round $round of $runs: SQL source ..."
  before=$(server_cpu)
  timed_sync sql
  sleep 0.2  # the backend's end reaches the postmaster's counters
  a_server=$(awk -v a="$(server_cpu)" -v b="$before" 'BEGIN { print a - b }')
  a_elapsed=$elapsed a_cpu=$cpu a_rss=$rss_kib
  cat "$work/sync-sql.txt"

  printf 'round %s of %s: psql \\copy, then CSV source ...\n' "$round" "$runs"
  mkdir -p "$work/export"
  rm -f "$work/export/students.csv"
  sync
  before=$(server_cpu)
  PGPASSWORD=$password PGPASSFILE=/dev/null /usr/bin/time -v -o "$work/time-copy.txt" \
    $pin_client psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U ferry_reader -d sis \
    -c "\\copy ($copy_query) to stdout with csv header" >"$work/export/students.csv"
  sleep 0.2
  b_server=$(awk -v a="$(server_cpu)" -v b="$before" 'BEGIN { print a - b }')
  read_time "$work/time-copy.txt"
  copy_elapsed=$elapsed copy_cpu=$cpu
  csv_lines=$(wc -l <"$work/export/students.csv")
  if [ "$csv_lines" -ne $((rows_wanted + 1)) ]; then
    echo "$0: the copy wrote $csv_lines lines, not $((rows_wanted + 1))" >&2
    exit 1
  fi
  csv_bytes=$(wc -c <"$work/export/students.csv")
  timed_sync csv
  b_elapsed=$elapsed b_cpu=$cpu b_rss=$rss_kib
  cat "$work/sync-csv.txt"

  line=$(awk -v ae="$a_elapsed" -v ac="$a_cpu" -v as="$a_server" -v ar="$a_rss" \
    -v ce="$copy_elapsed" -v cc="$copy_cpu" -v be="$b_elapsed" -v bc="$b_cpu" -v bs="$b_server" \
    -v br="$b_rss" -v n="$rows_wanted" -v r="$round" 'BEGIN {
    printf "round %d\n", r
    printf "  A  sql source:      wall %6.2f s  agent CPU %6.2f s  server CPU %5.2f s  peak RSS %5.1f MiB  %8.0f rows/s\n",
      ae, ac, as, ar / 1024, n / ae
    printf "  B  psql \\copy:      wall %6.2f s  psql CPU  %6.2f s  server CPU %5.2f s\n", ce, cc, bs
    printf "     csv source:      wall %6.2f s  agent CPU %6.2f s                    peak RSS %5.1f MiB\n",
      be, bc, br / 1024
    printf "     copy + sync:     wall %6.2f s  CPU       %6.2f s                                   %8.0f rows/s\n",
      ce + be, cc + bc, n / (ce + be)
    printf "  A / B: wall %.2f, client CPU %.2f (A at least as fast: %s; A peak RSS under 64 MiB: %s)\n",
      ae / (ce + be), ac / (cc + bc), (ae <= ce + be ? "yes" : "no"), (ar < 65536 ? "yes" : "no")
  }')
  summary="$summary$line
"
  round=$((round + 1))
done

# The same row as each source sends it (both read in the same order), for the eye.
for name in sql csv; do
  echo "first row as $name sends it:"
  "$ferry" preview --limit 1 -c "$work/$name.yaml" 2>/dev/null
done

echo
echo "== SQL source: PostgreSQL through ODBC"
echo "machine:  $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "server:   $("$pg_bin/postgres" --version), table $table_bytes bytes with its indexes"
echo "driver:   $(dpkg-query -W -f '${Package} ${Version}' odbc-postgresql 2>/dev/null || echo psqlODBC)," \
  "$(dpkg-query -W -f '${Package} ${Version}' unixodbc 2>/dev/null || echo unixODBC)"
if [ -n "$pin_client" ]; then
  echo "cores:    agent and psql on core 0, server on core 1 (FERRY_BENCH_PIN=1)"
else
  echo "cores:    not pinned (FERRY_BENCH_PIN=$pin, $(nproc) cores)"
fi
echo "rows:     $rows_wanted (10 columns; CSV file $csv_bytes bytes);" \
  "fetch_rows ${fetch_rows:-5000 (the default)}"
printf '%s' "$summary"
