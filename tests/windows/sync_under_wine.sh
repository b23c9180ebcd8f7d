#!/usr/bin/env bash
# ferry.exe under Wine against the Linux build, end to end (docs/windows.md, "Verified under
# Wine"): the extended suite's windows part runs it after the cross build.
#
#   1. The Linux `ferry` makes the key file and exports it; `ferry.exe keys import` takes it in
#      and keeps it wrapped with DPAPI (no secret in clear).
#   2. `ferry.exe sync --no-upload` reads a synthetic OneRoster export (ferry-gen-oneroster: no
#      real people) into its spool and sends nothing: the tenant has received nothing.
#   3. `ferry.exe sync` delivers that spool over TLS 1.3 to the Linux `ferry-tenant` on
#      127.0.0.1, which decrypts every batch with the tenant key (HPKE) and acks it.
#   4. The Linux `ferry sync` delivers the same export as another agent of the same tenant.
#   5. Both agents' rows at the tenant are the same, token for token, every row once.
#   6. `ferry.exe run` in a console: `ferry.exe status` over the control pipe shows the uplink
#      connected; `ferry.exe sync` hands its work to the running agent over the pipe; Wine's
#      Ctrl-C (SIGINT) stops the agent cleanly.
#   7. The Windows service, through Wine's service manager: `ferry.exe service install`, `service
#      start` (which first refuses a configuration that does not validate), `ferry.exe status`
#      over the pipe shows it connected, a sync handed to it delivers new users, `service stop`
#      stops it cleanly (its log says the service manager asked), `service uninstall` removes it.
#   8. With an MSI given (packaging/windows/build-msi.sh), Windows Installer under Wine: `msiexec /i`
#      puts ferry.exe in C:\Program Files\Ferry and on the PATH, the example configuration in
#      C:\ProgramData\Ferry, the Event Log source in the registry, and registers the service
#      (not started: `ferry service start` refuses the example's placeholders). Configured as an
#      admin would (its ferry.yaml, token, `ferry keys init`), the service starts, answers
#      `ferry status` and delivers a sync. `msiexec /x` removes the program and the service and
#      keeps C:\ProgramData\Ferry (configuration, keys, spool); reinstalled, `msiexec /x
#      REMOVEDATA=1` removes that folder too.
#   9. No file the Windows agent wrote holds a name or address from the exports.
#
#   bash tests/windows/sync_under_wine.sh [LINUX_BUILD [WINDOWS_BUILD [MSI]]]
# (defaults build/release and build/windows-cross; both must be built; no MSI: step 8 is
# skipped, saying so). Exit 0 when every check passes; the work folder is kept on failure. Uses
# the Wine prefix cmake/wine-run.sh uses ($WINEPREFIX, else ~/.cache/ferry/wineprefix), where
# step 8 installs and removes the MSI.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
linux_build=$(cd "${1:-build/release}" && pwd)
windows_build=$(cd "${2:-build/windows-cross}" && pwd)
ferry="$linux_build/agent/ferry"
tenant="$linux_build/tests/tenant/ferry-tenant"
generate="$linux_build/tests/tools/ferry-gen-oneroster"
ferry_exe="$windows_build/agent/ferry.exe"
msi=""
[[ -n "${3:-}" ]] && msi=$(cd "$(dirname "$3")" && pwd)/$(basename "$3")
for program in "$ferry" "$tenant" "$generate" "$ferry_exe"; do
  [[ -x "$program" ]] || { echo "missing $program: build it first" >&2; exit 2; }
done
wine() { "$root/cmake/wine-run.sh" "$@"; }
# Wine shows the Linux root as drive Z:.
winpath() { printf 'Z:%s' "${1//\//\\}"; }

work=$(mktemp -d /tmp/ferry-wine-sync.XXXXXX)
tenant_pid=""
agent_pid=""
service_installed=""
msi_installed=""
finish() {
  local status=$?
  [[ -n "$agent_pid" ]] && kill -KILL "$agent_pid" 2>/dev/null
  # A failed run leaves no service behind in the Wine prefix for the next one.
  [[ -n "$service_installed" ]] && "$root/cmake/wine-run.sh" "$ferry_exe" service uninstall \
    >/dev/null 2>&1
  [[ -n "$msi_installed" ]] && "$root/cmake/wine-run.sh" msiexec /x "$(winpath "$msi")" /qn \
    REMOVEDATA=1 >/dev/null 2>&1
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
# Asks `EXE status --json ARGS...` until the uplink is connected, for up to 60 s; fails naming
# `what`. With `pid`, also fails as soon as that process has ended.
#   wait_connected WHAT PID EXE [ARGS...]
wait_connected() {
  local what=$1 pid=$2 exe=$3
  shift 3
  local status=""
  for _ in $(seq 1 300); do
    if status=$(wine "$exe" status --json "$@" 2>/dev/null) &&
      [[ "$status" == *'"state":"connected"'* ]]; then
      return 0
    fi
    if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
      cat run.err
      fail "$what stopped"
    fi
    sleep 0.2
  done
  fail "$what: ferry.exe status never showed the uplink connected: $status"
}

step "the tenant: key pair, certificates, one token per agent"
"$tenant" keygen --out tenant.key >tenant.pub
"$tenant" certs --out pki >/dev/null
linux_token=$(head -c 24 /dev/urandom | base64 | tr '+/' '-_')
windows_token=$(head -c 24 /dev/urandom | base64 | tr '+/' '-_')
msi_token=$(head -c 24 /dev/urandom | base64 | tr '+/' '-_')
printf 'linux-school district %s\nwindows-school district %s\nmsi-school district %s\n' \
  "$linux_token" "$windows_token" "$msi_token" >tokens
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
# On Windows the key file is wrapped with DPAPI: not one secret of the Linux key file in clear.
grep -q '"format": "ferry-keyring-dpapi-1"' windows/data/keyring.json ||
  fail "ferry.exe's key file is not DPAPI-protected (windows/data/keyring.json)"
for secret in $(grep -o '"secret": "[^"]*"' linux/data/keyring.json | cut -d'"' -f4); do
  if grep -qF "$secret" windows/data/keyring.json; then fail "a secret is in clear in ferry.exe's key file"; fi
done
echo "  ferry.exe's key file: protected with DPAPI, no secret in clear"

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
wait_connected "ferry.exe run" "$agent_pid" "$ferry_exe" -c "$windows_config"
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

step "7. the Windows service under Wine's service manager: install, start, status, sync, stop"
service_out=service
mkdir -p "$service_out"
cp windows.yaml broken.yaml
printf 'nonsense: [\n' >>broken.yaml
service_installed=yes
wine "$ferry_exe" service install -c "$(winpath "$work/broken.yaml")" >"$service_out/install-broken.out" 2>&1 ||
  { cat "$service_out/install-broken.out"; fail "ferry.exe service install"; }
if wine "$ferry_exe" service start >"$service_out/start-broken.out" 2>&1; then
  fail "service start started a service whose configuration does not parse"
fi
grep -q 'the service Ferry was not started' "$service_out/start-broken.out" ||
  { cat "$service_out/start-broken.out"; fail "service start did not say why it refused"; }
wine "$ferry_exe" service uninstall >"$service_out/uninstall-broken.out" 2>&1 ||
  { cat "$service_out/uninstall-broken.out"; fail "ferry.exe service uninstall"; }
echo "  a configuration that does not parse: service start refused, nothing started"

wine "$ferry_exe" service install -c "$windows_config" >"$service_out/install.out" 2>&1 ||
  { cat "$service_out/install.out"; fail "ferry.exe service install"; }
grep -q 'installed the service Ferry' "$service_out/install.out" || fail "service install said nothing"
if wine "$ferry_exe" service install -c "$windows_config" >"$service_out/install-again.out" 2>&1; then
  fail "a second service install succeeded"
fi
grep -q 'installed already' "$service_out/install-again.out" ||
  { cat "$service_out/install-again.out"; fail "a second service install did not say why"; }
wine "$ferry_exe" service start >"$service_out/start.out" 2>&1 ||
  { cat "$service_out/start.out"; cat windows/ferry.log | tail -20; fail "ferry.exe service start"; }
grep -q 'the service Ferry is running' "$service_out/start.out" || fail "service start said nothing"
wait_connected "the service" "" "$ferry_exe" -c "$windows_config"
echo "  service installed and started; ferry.exe status over the pipe: uplink connected"
"$generate" --out export --users 50 --seed 11 >/dev/null
wine "$ferry_exe" sync -c "$windows_config" --source sis >"$service_out/handed.out" 2>&1 ||
  { cat "$service_out/handed.out"; fail "ferry.exe sync with the service running"; }
grep -q 'running agent' "$service_out/handed.out" ||
  { cat "$service_out/handed.out"; fail "the sync was not handed to the service"; }
[[ $(wc -l <received/windows-school/sis/users.jsonl) == 50 ]] ||
  fail "users.jsonl: $(wc -l <received/windows-school/sis/users.jsonl) rows after the service's sync, not 50"
[[ -z "$(sort received/windows-school/sis/users.jsonl | uniq -d)" ]] || fail "a user arrived twice"
echo "  ferry.exe sync handed to the service: 5 new users delivered"
wine "$ferry_exe" service stop >"$service_out/stop.out" 2>&1 ||
  { cat "$service_out/stop.out"; fail "ferry.exe service stop"; }
grep -q 'stopping on a stop from the service manager' windows/ferry.log &&
  [[ $(grep -c 'ferry stopped' windows/ferry.log) -ge 2 ]] ||
  fail "ferry.exe's log does not show the service stopping cleanly (windows/ferry.log)"
if wine "$ferry_exe" status -c "$windows_config" >/dev/null 2>&1; then
  fail "ferry.exe status still answers after service stop"
fi
wine "$ferry_exe" service uninstall >"$service_out/uninstall.out" 2>&1 ||
  { cat "$service_out/uninstall.out"; fail "ferry.exe service uninstall"; }
service_installed=""
if wine "$ferry_exe" service start >"$service_out/start-gone.out" 2>&1; then
  fail "service start succeeded after uninstall"
fi
grep -q 'not installed' "$service_out/start-gone.out" ||
  { cat "$service_out/start-gone.out"; fail "service start after uninstall did not say why"; }
echo "  service stop: stopped cleanly; service uninstall: removed"

step "8. the MSI under Wine's Windows Installer: install, configure, start, sync, uninstall"
drive_c="${WINEPREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/ferry/wineprefix}/drive_c"
if [[ -z "$msi" ]]; then
  echo "  skipped: no MSI given (packaging/windows/build-msi.sh makes one)"
elif [[ -e "$drive_c/ProgramData/Ferry" || -e "$drive_c/Program Files/Ferry" ]]; then
  fail "the Wine prefix has a Ferry installed already ($drive_c): remove it first"
else
  msi_installed=yes
  wine msiexec /i "$(winpath "$msi")" /qn >msi-install.out 2>&1 || fail "msiexec /i failed"
  installed_exe="$drive_c/Program Files/Ferry/ferry.exe"
  [[ -f "$installed_exe" && -f "$drive_c/ProgramData/Ferry/ferry.yaml" ]] ||
    fail "msiexec /i did not put ferry.exe and ferry.yaml in place"
  wine reg query 'HKLM\SYSTEM\CurrentControlSet\Control\Session Manager\Environment' /v Path \
    2>/dev/null | grep -qF 'C:\Program Files\Ferry' || fail "C:\Program Files\Ferry is not on the PATH"
  wine reg query 'HKLM\SYSTEM\CurrentControlSet\Services\EventLog\Application\Ferry' \
    /v EventMessageFile 2>/dev/null | grep -qF 'C:\Program Files\Ferry\ferry.exe' ||
    fail "the Event Log source Ferry is not registered with ferry.exe as its message file"
  # Registered, not started, and not startable with the example's placeholders.
  if wine 'C:\Program Files\Ferry\ferry.exe' service start >msi-start-example.out 2>&1; then
    fail "the service started with the example configuration"
  fi
  grep -q 'placeholder' msi-start-example.out && grep -q 'was not started' msi-start-example.out ||
    { cat msi-start-example.out; fail "service start did not name the example's placeholder"; }
  echo "  installed: ferry.exe on the PATH, the example ferry.yaml, the Event Log source;" \
    "the service registered and refusing the example's placeholders"
  # Configured as the admin would: the configuration, the token, the key file.
  programdata="$drive_c/ProgramData/Ferry"
  cat >"$programdata/ferry.yaml" <<YAML
agent:
  id: msi-school
  tenant: district
  data_dir: 'C:\ProgramData\Ferry\data'
uplink:
  url: wss://127.0.0.1:$port/v1/agent
  token_file: 'C:\ProgramData\Ferry\token'
  tenant_public_key_file: '$(winpath "$work/tenant.pub")'
  ca_file: '$(winpath "$work/pki/ca.pem")'
sources:
  - name: sis
    type: oneroster_csv
    path: '$(winpath "$work/export")'
    preset: oneroster
YAML
  echo "$msi_token" >"$programdata/token"
  chmod 600 "$programdata/token"
  wine 'C:\Program Files\Ferry\ferry.exe' keys init >msi-keys.out 2>&1 ||
    { cat msi-keys.out; fail "ferry keys init with the MSI's configuration"; }
  wine 'C:\Program Files\Ferry\ferry.exe' service start >msi-start.out 2>&1 ||
    { cat msi-start.out; tail -20 "$programdata/data/logs/ferry.log"; fail "the MSI's service did not start"; }
  wait_connected "the MSI's service" "" 'C:\Program Files\Ferry\ferry.exe'
  wine 'C:\Program Files\Ferry\ferry.exe' sync --source sis >msi-sync.out 2>&1 ||
    { cat msi-sync.out; fail "ferry sync with the MSI's service running"; }
  [[ $(wc -l <received/msi-school/sis/users.jsonl) == 50 ]] ||
    fail "the MSI's service delivered $(wc -l <received/msi-school/sis/users.jsonl) users, not 50"
  [[ -f "$programdata/data/logs/ferry.log" ]] ||
    fail "the service wrote no log file in C:\ProgramData\Ferry\data\logs"
  echo "  configured and started: ferry status shows it connected; a sync delivered 50 users"
  if leaked=$(grep -rlaF -f <(awk -F, '{ gsub(/"/, "") } FNR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
      { print $c["givenName"]; print $c["familyName"]; print $c["email"] }' export/users.csv |
      awk 'length($0) > 3' | sort -u) "$programdata"); then
    fail "a name or address from the export is in a file the MSI's service wrote: $leaked"
  fi
  wine msiexec /x "$(winpath "$msi")" /qn >msi-remove.out 2>&1 || fail "msiexec /x failed"
  [[ ! -e "$installed_exe" ]] || fail "msiexec /x left ferry.exe"
  [[ -f "$programdata/ferry.yaml" && -f "$programdata/data/keyring.json" && -f "$programdata/data/spool.db" ]] ||
    fail "msiexec /x removed the configuration or the data"
  if wine "$ferry_exe" service start >msi-gone.out 2>&1 || ! grep -q 'not installed' msi-gone.out; then
    cat msi-gone.out
    fail "the service is still installed after msiexec /x"
  fi
  echo "  msiexec /x: program and service removed; configuration, key file and spool kept"
  wine msiexec /i "$(winpath "$msi")" /qn >msi-reinstall.out 2>&1 || fail "msiexec /i (again) failed"
  grep -q 'msi-school' "$programdata/ferry.yaml" || fail "reinstalling replaced the configuration"
  wine msiexec /x "$(winpath "$msi")" /qn REMOVEDATA=1 >msi-purge.out 2>&1 ||
    fail "msiexec /x REMOVEDATA=1 failed"
  [[ ! -e "$programdata" ]] || fail "msiexec /x REMOVEDATA=1 left C:\ProgramData\Ferry"
  msi_installed=""
  echo "  reinstalled: the configuration kept; msiexec /x REMOVEDATA=1: C:\ProgramData\Ferry removed"
fi

step "9. no name or address from the exports in any file ferry.exe wrote"
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
step "passed: ferry.exe under Wine and the Linux ferry delivered the same $streams streams; ferry.exe run answered over its pipe and stopped on Ctrl-C; the service installed, ran, delivered, stopped and was removed${msi:+; the MSI installed, ran and was removed}"
