#!/usr/bin/env bash
# ferry.exe under Wine against the Linux build, end to end (docs/windows.md, "Verified under
# Wine"): the extended suite's windows part runs it after the cross build.
#
#   1. The Linux `ferry` makes the key file and exports it; `ferry.exe keys import` takes it in.
#   2. `ferry.exe sync --no-upload` reads a synthetic OneRoster export (ferry-gen-oneroster: no
#      real people) into its spool and sends nothing: the tenant has received nothing.
#   3. `ferry.exe sync` delivers that spool over TLS 1.3 to the Linux `ferry-tenant` on
#      127.0.0.1, which decrypts every batch with the tenant key (HPKE) and acks it.
#   4. The Linux `ferry sync` delivers the same export as another agent of the same tenant.
#   5. Both agents' rows at the tenant are the same, token for token, every row once.
#   6. `ferry.exe run` in a console: `ferry.exe status` over the control pipe shows the uplink
#      connected; `ferry.exe sync` hands its work to the running agent over the pipe; Wine's
#      Ctrl-C (SIGINT) stops the agent cleanly.
#   7. No file the Windows agent wrote holds a name or address from the exports.
#
#   bash tests/windows/sync_under_wine.sh [LINUX_BUILD [WINDOWS_BUILD]]
# (defaults build/release and build/windows-cross; both must be built). Exit 0 when every check
# passes; the work folder is kept on failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
linux_build=$(cd "${1:-build/release}" && pwd)
windows_build=$(cd "${2:-build/windows-cross}" && pwd)
ferry="$linux_build/agent/ferry"
tenant="$linux_build/tests/tenant/ferry-tenant"
generate="$linux_build/tests/tools/ferry-gen-oneroster"
ferry_exe="$windows_build/agent/ferry.exe"
for program in "$ferry" "$tenant" "$generate" "$ferry_exe"; do
  [[ -x "$program" ]] || { echo "missing $program: build it first" >&2; exit 2; }
done
wine() { "$root/cmake/wine-run.sh" "$@"; }
# Wine shows the Linux root as drive Z:.
winpath() { printf 'Z:%s' "${1//\//\\}"; }

work=$(mktemp -d /tmp/ferry-wine-sync.XXXXXX)
tenant_pid=""
agent_pid=""
finish() {
  local status=$?
  [[ -n "$agent_pid" ]] && kill -KILL "$agent_pid" 2>/dev/null
  [[ -n "$tenant_pid" ]] && kill -TERM "$tenant_pid" 2>/dev/null && wait "$tenant_pid" 2>/dev/null
  if ((status == 0)); then rm -rf "$work"; else echo "failed: the files are in $work" >&2; fi
}
trap finish EXIT
cd "$work"
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
step() { echo "== $*"; }

step "the tenant: key pair, certificates, one token per agent"
"$tenant" keygen --out tenant.key >tenant.pub
"$tenant" certs --out pki >/dev/null
linux_token=$(head -c 24 /dev/urandom | base64 | tr '+/' '-_')
windows_token=$(head -c 24 /dev/urandom | base64 | tr '+/' '-_')
printf 'linux-school district %s\nwindows-school district %s\n' "$linux_token" "$windows_token" \
  >tokens
chmod 600 tokens
"$generate" --out export --users 40 --seed 11 >/dev/null

"$tenant" serve --listen 127.0.0.1:0 --cert pki/server.pem --key pki/server.key \
  --private-key tenant.key --tokens tokens --out received >tenant.out 2>tenant.log &
tenant_pid=$!
port=""
for _ in $(seq 1 100); do
  port=$(sed -n 's/^ferry-tenant: listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' tenant.out)
  [[ -n "$port" ]] && break
  sleep 0.1
done
[[ -n "$port" ]] || fail "ferry-tenant did not start (tenant.log)"

# The public OneRoster 1.1 sample (../shared/testdata, read in place) as a second source when
# this clone has it beside it.
sample="$root/../shared/testdata/oneroster-1.1-lepo-rosterhub/en"
if [[ -d "$sample" ]]; then sample=$(cd "$sample" && pwd); else
  echo "(no ../shared/testdata: the public OneRoster sample is skipped)"
fi

# One configuration per agent; `paths` turns a Linux path into what that agent reads.
write_config() {
  local file=$1 id=$2 dir=$3 paths=$4
  mkdir -p "$dir"
  cat >"$file" <<YAML
agent:
  id: $id
  tenant: district
  data_dir: '$($paths "$dir/data")'
  log: {level: info, file: '$($paths "$dir/ferry.log")'}
uplink:
  url: wss://127.0.0.1:$port/v1/agent
  token_file: '$($paths "$dir/agent.token")'
  tenant_public_key_file: '$($paths "$work/tenant.pub")'
  ca_file: '$($paths "$work/pki/ca.pem")'
sources:
  - name: sis
    type: oneroster_csv
    path: '$($paths "$work/export")'
    preset: oneroster
YAML
  if [[ -d "$sample" ]]; then
    cat >>"$file" <<YAML
  - name: sample
    type: oneroster_csv
    path: '$($paths "$sample")'
    preset: oneroster
YAML
  fi
}
same() { printf '%s' "$1"; }
write_config linux.yaml linux-school "$work/linux" same
write_config windows.yaml windows-school "$work/windows" winpath
echo "$linux_token" >linux/agent.token
echo "$windows_token" >windows/agent.token
chmod 600 linux/agent.token windows/agent.token
printf 'a passphrase for the move\n' >passphrase
chmod 600 passphrase

step "1. the key file: made on Linux, exported, imported by ferry.exe"
"$ferry" keys init -c linux.yaml >/dev/null
"$ferry" keys export -c linux.yaml --out key.export --passphrase-file passphrase >/dev/null
wine "$ferry_exe" keys import -c "$(winpath "$work/windows.yaml")" \
  --passphrase-file "$(winpath "$work/passphrase")" "$(winpath "$work/key.export")" \
  >import.out 2>&1 || { cat import.out; fail "ferry.exe keys import"; }
wine "$ferry_exe" validate -c "$(winpath "$work/windows.yaml")" >validate.out 2>&1 ||
  { cat validate.out; fail "ferry.exe validate"; }

step "2. ferry.exe sync --no-upload: rows into the spool, nothing sent"
wine "$ferry_exe" sync -c "$(winpath "$work/windows.yaml")" --no-upload >spooled.out 2>&1 ||
  { cat spooled.out; fail "ferry.exe sync --no-upload"; }
cat spooled.out
[[ ! -e received/windows-school ]] || fail "--no-upload sent rows to the tenant"
[[ -s windows/data/spool.db ]] || fail "ferry.exe made no spool"

step "3. ferry.exe sync: the spool delivered over TLS 1.3 to ferry-tenant"
wine "$ferry_exe" sync -c "$(winpath "$work/windows.yaml")" >delivered.out 2>&1 ||
  { cat delivered.out; fail "ferry.exe sync"; }
cat delivered.out
grep -q "connected to wss://127.0.0.1:$port/v1/agent (TLSv1.3)" windows/ferry.log ||
  fail "ferry.exe's log names no TLS 1.3 connection (windows/ferry.log)"

step "4. the Linux ferry sync of the same export"
"$ferry" sync -c linux.yaml >linux.out 2>&1 || { cat linux.out; fail "ferry sync (Linux)"; }

step "5. the same rows from both agents, token for token, every row once"
streams=0
for linux_file in received/linux-school/*/*.jsonl; do
  name=${linux_file#received/linux-school/}
  windows_file=received/windows-school/$name
  [[ -f "$windows_file" ]] || fail "ferry.exe delivered no $name"
  if ! diff <(sort "$linux_file") <(sort "$windows_file") >"diff.${name//\//.}"; then
    fail "$name differs between the Linux and the Windows agent (diff.${name//\//.})"
  fi
  [[ -z "$(sort "$windows_file" | uniq -d)" ]] || fail "$name: a row arrived twice"
  echo "  $name: $(wc -l <"$windows_file") rows, identical"
  streams=$((streams + 1))
done
((streams > 0)) || fail "the Linux agent delivered nothing"
users=$(($(wc -l <export/users.csv) - 1))
[[ $(wc -l <received/windows-school/sis/users.jsonl) == "$users" ]] ||
  fail "sis/users.jsonl: $(wc -l <received/windows-school/sis/users.jsonl) rows, the export has $users"

step "6. ferry.exe run in a console: status and a handed-over sync over the control pipe, Ctrl-C"
windows_config=$(winpath "$work/windows.yaml")
# Started straight (not through the wine function, whose subshell would get the signal), and
# with SIGINT back to its default: bash starts a background job with it ignored.
env --default-signal=INT "$root/cmake/wine-run.sh" "$ferry_exe" run -c "$windows_config" \
  >run.out 2>run.err &
agent_pid=$!
connected=""
for _ in $(seq 1 300); do
  if status=$(wine "$ferry_exe" status -c "$windows_config" --json 2>/dev/null) &&
    [[ "$status" == *'"state":"connected"'* ]]; then
    connected=yes
    break
  fi
  kill -0 "$agent_pid" 2>/dev/null || { cat run.err; fail "ferry.exe run stopped"; }
  sleep 0.2
done
[[ -n "$connected" ]] || fail "ferry.exe status never showed the uplink connected: $status"
echo "  ferry.exe status over the pipe: uplink connected"
"$generate" --out export --users 45 --seed 11 >/dev/null
wine "$ferry_exe" sync -c "$windows_config" --source sis >handed.out 2>&1 ||
  { cat handed.out; fail "ferry.exe sync with the agent running"; }
grep -q 'running agent' handed.out || { cat handed.out; fail "the sync was not handed to the agent"; }
[[ $(wc -l <received/windows-school/sis/users.jsonl) == 45 ]] ||
  fail "users.jsonl: $(wc -l <received/windows-school/sis/users.jsonl) rows after the handed-over sync, not 45"
[[ -z "$(sort received/windows-school/sis/users.jsonl | uniq -d)" ]] || fail "a user arrived twice"
echo "  ferry.exe sync handed to the running agent: 5 new users delivered"
kill -INT "$agent_pid"  # Wine turns it into the console's Ctrl-C
stopped=""
for _ in $(seq 1 100); do
  kill -0 "$agent_pid" 2>/dev/null || { stopped=yes; break; }
  sleep 0.1
done
[[ -n "$stopped" ]] || fail "ferry.exe run did not stop within 10 s of Ctrl-C"
wait "$agent_pid" || fail "ferry.exe run exited with status $? on Ctrl-C"
agent_pid=""
grep -q 'stopping on Ctrl-C' windows/ferry.log && grep -q 'ferry stopped' windows/ferry.log ||
  fail "ferry.exe's log does not show a clean stop on Ctrl-C (windows/ferry.log)"
echo "  Ctrl-C: ferry.exe stopped cleanly"

step "7. no name or address from the exports in any file ferry.exe wrote"
# The export's names and e-mail addresses, which the policy pseudonymizes or drops: no file
# ferry.exe wrote (spool, key file, log, audit log) holds one.
awk -F, '{ gsub(/"/, "") } FNR == 1 { for (i = 1; i <= NF; i++) column[$i] = i; next }
  { print $column["givenName"]; print $column["familyName"]; print $column["email"] }' \
  export/users.csv $([[ -d "$sample" ]] && echo "$sample/users.csv") | awk 'length($0) > 3' |
  sort -u >pii
echo "  $(wc -l <pii) names and addresses to look for"
(($(wc -l <pii) > 0)) || fail "found no names in the export"
if leaked=$(grep -rlaF -f pii windows/); then
  fail "a name or address from the export is in a file ferry.exe wrote: $leaked"
fi
step "passed: ferry.exe under Wine and the Linux ferry delivered the same $streams streams; ferry.exe run answered over its pipe and stopped on Ctrl-C"
