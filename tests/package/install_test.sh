#!/usr/bin/env bash
# The package test, run as root inside a fresh Debian 12 tree (tests/extended.sh package starts it
# there with ../shared/tools/fresh-debian.sh): installs the lower-versioned ferry package, checks
# what it installed, plays systemd's part to run the agent as the ferry user against a local
# ferry-tenant, leaves a non-empty spool, upgrades to the current package, checks that the key
# file stayed and the spool drains, then purges.
#   bash tests/package/install_test.sh DEB_DIR
# DEB_DIR holds ferry_<lower>-1_amd64.deb, ferry_<current>-1_amd64.deb and
# ferry-tenant_<current>-1_amd64.deb. Everything talks to 127.0.0.1 only. Every wait is on a
# condition with a deadline. Any failed check fails the script, loudly; the checks of sd_notify
# (READY=1, WATCHDOG=1, STOPPING=1) are collected and reported at the end, after the rest ran.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
debs=$(cd "${1:?usage: install_test.sh DEB_DIR}" && pwd)

config=/etc/ferry/ferry.yaml
data_dir=/var/lib/ferry
work=/root/package-test
export DEBIAN_FRONTEND=noninteractive

step() { echo "== package: $*"; }
fail() {
  echo "== package: FAILED: $*" >&2
  exit 1
}
check() {  # check DESCRIPTION COMMAND...: runs COMMAND, fails the test when it fails
  local what=$1
  shift
  if "$@"; then
    echo "   ok: $what"
  else
    fail "$what"
  fi
}
# wait_for DESCRIPTION SECONDS COMMAND...: until COMMAND succeeds, or fail after SECONDS.
wait_for() {
  local what=$1 seconds=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    ((SECONDS < deadline)) || fail "$what: not within ${seconds}s"
    sleep 0.2
  done
  echo "   ok: $what"
}
mode_of() { stat -c '%a %U:%G' "$1"; }
has_mode() {
  [[ "$(mode_of "$1")" == "$2" ]] || { echo "   $1 is $(mode_of "$1"), want $2" >&2; return 1; }
}
# As the service user, from / (the test's own folder is root's).
as_ferry() { (cd / && setpriv --reuid ferry --regid ferry --init-groups --inh-caps=-all "$@"); }

# Newest first by version: the lower one is installed first, the other is the upgrade.
mapfile -t agent_debs < <(find "$debs" -maxdepth 1 -name 'ferry_*.deb' | sort -V)
tenant_deb=$(find "$debs" -maxdepth 1 -name 'ferry-tenant_*.deb' | sort -V | tail -n 1)
((${#agent_debs[@]} == 2)) || fail "want two ferry_*.deb in $debs, found ${#agent_debs[@]}"
[[ -n "$tenant_deb" ]] || fail "no ferry-tenant_*.deb in $debs"
old_deb=${agent_debs[0]}
new_deb=${agent_debs[1]}
old_version=$(dpkg-deb -f "$old_deb" Version)
new_version=$(dpkg-deb -f "$new_deb" Version)
dpkg --compare-versions "$old_version" lt "$new_version" ||
  fail "$old_deb ($old_version) is not older than $new_deb ($new_version)"

pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT
mkdir -p "$work"
cd "$work"

step "no service may start in this tree: policy-rc.d exits 101"
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
chmod 0755 /usr/sbin/policy-rc.d

step "apt-get install ./$(basename "$old_deb") (dependencies from Debian alone)"
apt-get update -q >/dev/null
apt-get install -y -q "$old_deb" >apt-install.log 2>&1 || { cat apt-install.log; fail "install"; }
check "ferry $old_version is installed" \
  test "$(dpkg-query -W -f='${Status} ${Version}' ferry)" = "install ok installed $old_version"

step "the user, the files, their modes and owners"
check "system user ferry, home $data_dir, no login shell" \
  bash -c '[[ $(getent passwd ferry | cut -d: -f3) -lt 1000 &&
             $(getent passwd ferry | cut -d: -f6) == /var/lib/ferry &&
             $(getent passwd ferry | cut -d: -f7) == /usr/sbin/nologin ]]'
check "system group ferry is the user's group" \
  bash -c '[[ $(id -gn ferry) == ferry && $(getent group ferry | cut -d: -f3) -lt 1000 ]]'
check "/usr/bin/ferry 755 root:root" has_mode /usr/bin/ferry "755 root:root"
check "$config 640 root:ferry" has_mode "$config" "640 root:ferry"
check "$data_dir 700 ferry:ferry" has_mode "$data_dir" "700 ferry:ferry"
check "the unit /lib/systemd/system/ferry.service" test -f /lib/systemd/system/ferry.service
check "the unit is enabled (multi-user.target wants it)" \
  test -L /etc/systemd/system/multi-user.target.wants/ferry.service
check "$config is a conffile" \
  bash -c "dpkg-query -W -f='\${Conffiles}' ferry | grep -q '^ $config '"
for file in /usr/share/man/man1/ferry.1.gz /usr/share/man/man5/ferry.yaml.5.gz \
  /usr/share/bash-completion/completions/ferry /usr/share/doc/ferry/copyright \
  /usr/share/doc/ferry/changelog.Debian.gz; do
  check "$file" test -s "$file"
done
check "no agent was started (no control socket)" test ! -e /run/ferry/control.sock
check "ferry --version runs" as_ferry /usr/bin/ferry --version

step "the unit: systemd-analyze verify and the exposure score"
# man-db: to check that man finds the installed pages.
apt-get install -y -q --no-install-recommends systemd man-db >apt-systemd.log 2>&1 ||
  { cat apt-systemd.log; fail "install systemd"; }
check "man finds ferry(1) and ferry.yaml(5)" man -w ferry ferry.yaml
check "systemd-analyze verify ferry.service" \
  systemd-analyze verify /lib/systemd/system/ferry.service
[[ -f /home/project/packaging/linux/score-unit.sh ]] ||
  fail "packaging/linux/score-unit.sh is missing (it comes with the unit, branch unit)"
check "systemd-analyze security --offline=true: exposure 1.5 or lower" \
  bash /home/project/packaging/linux/score-unit.sh /lib/systemd/system/ferry.service

step "the tenant: ferry-tenant from its package, behind a relay on 127.0.0.1"
apt-get install -y -q "$tenant_deb" >apt-tenant.log 2>&1 ||
  { cat apt-tenant.log; fail "install ferry-tenant"; }
ferry-tenant keygen --out tenant.key >tenant.pub
ferry-tenant certs --out pki >/dev/null
token=$(head -c 24 /dev/urandom | base64 | tr '+/' '-_')
echo "school-pkg district-pkg $token" >tokens
chmod 0600 tokens
: >tenant.target
python3 "$here/relay.py" relay.port tenant.target &
pids+=($!)
wait_for "the relay listens" 10 test -s relay.port
relay_port=$(cat relay.port)
start_tenant() {
  rm -f tenant.out
  ferry-tenant serve --listen 127.0.0.1:0 --cert pki/server.pem --key pki/server.key \
    --private-key tenant.key --tokens tokens --out received >tenant.out 2>>tenant.log &
  tenant_pid=$!
  pids+=("$tenant_pid")
  wait_for "ferry-tenant listens" 20 grep -qs '^ferry-tenant: listening on 127.0.0.1:' tenant.out
  sed -n 's/^ferry-tenant: listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' tenant.out >tenant.target
}
stop_tenant() {
  : >tenant.target
  kill -TERM "$tenant_pid"
  wait "$tenant_pid" || true
}
start_tenant

step "the admin's part: configuration, token, key file (docs/install-linux.md)"
# A tiny synthetic OneRoster export: made-up people only.
export_dir=/srv/exports/oneroster
mkdir -p "$export_dir"
cat >"$export_dir/manifest.csv" <<'EOF'
propertyName,value
manifest.version,1.0
oneroster.version,1.1
file.academicSessions,absent
file.categories,absent
file.classes,absent
file.classResources,absent
file.courses,absent
file.courseResources,absent
file.demographics,absent
file.enrollments,absent
file.lineItems,absent
file.orgs,bulk
file.resources,absent
file.results,absent
file.users,bulk
EOF
cat >"$export_dir/orgs.csv" <<'EOF'
sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId
org-district,,,Synthetic District,district,D1,
org-school,,,Synthetic School,school,S1,org-district
EOF
cat >"$export_dir/users.csv" <<'EOF'
sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,givenName,familyName,email,grades
u-1,,,true,org-school,student,test.one,Testa,Personne,test.one@example.invalid,05
u-2,,,true,org-school,student,test.two,Testo,Personne,test.two@example.invalid,06
u-3,,,true,org-school,teacher,test.three,Testi,Personne,test.three@example.invalid,
EOF
chmod -R a+rX /srv/exports
install -m 0644 pki/ca.pem /etc/ferry/ca.pem
install -m 0640 -o root -g ferry /dev/null /etc/ferry/token
printf '%s\n' "$token" >/etc/ferry/token
sed -i -e 's/^  id: school-042 .*/  id: school-pkg/' \
  -e 's/^  tenant: district-7 .*/  tenant: district-pkg/' \
  -e "s#^  url: .*#  url: wss://127.0.0.1:$relay_port/v1/agent\n  ca_file: /etc/ferry/ca.pem\n  reconnect: {min_delay: 100ms, max_delay: 1s}#" \
  -e "s#^  tenant_public_key: .*#  tenant_public_key: \"$(cat tenant.pub)\"#" \
  -e '/^sources:/,$ s/^#  /  /' -e 's/^    schedule: every 15m/    schedule: every 1h/' "$config"
check "the configuration keeps its mode after editing" has_mode "$config" "640 root:ferry"
check "ferry validate as ferry" as_ferry ferry validate -c "$config"
check "ferry keys init as ferry" as_ferry ferry keys init -c "$config"
check "the key file is 600 ferry:ferry" has_mode "$data_dir/keyring.json" "600 ferry:ferry"
key_digest=$(sha256sum "$data_dir/keyring.json")

step "systemd's part: ferry run as ferry, with the unit's environment and a NOTIFY_SOCKET"
notify_dir=$(mktemp -d /run/package-notify.XXXXXX)
chmod 0755 "$notify_dir"
: >notify.log
python3 "$here/notify_listener.py" "$notify_dir/notify.sock" notify.log /run/ferry/control.sock &
pids+=($!)
wait_for "the notify listener is ready" 10 grep -q '^listening$' notify.log
start_agent() {
  # RuntimeDirectory=ferry (0750), UMask=0077, ExecStartPre=ferry validate, then ExecStart.
  install -d -m 0750 -o ferry -g ferry /run/ferry
  as_ferry ferry validate -c "$config" >/dev/null || fail "ExecStartPre: ferry validate as ferry"
  (
    cd /
    umask 0077
    NOTIFY_SOCKET="$notify_dir/notify.sock" WATCHDOG_USEC=2000000 \
      exec setpriv --reuid ferry --regid ferry --init-groups --inh-caps=-all \
      /usr/bin/ferry run -c "$config"
  ) 2>>"$work/agent.log" &
  agent_pid=$!
  pids+=("$agent_pid")
}
status_json() { ferry status -c "$config" --json 2>/dev/null; }
status_answers() { status_json >/dev/null; }
delivered() {  # the first run succeeded and the spool is empty
  local status
  status=$(status_json) && [[ "$status" == *'"spool":{"batches":0,'* &&
    "$status" == *'"last_success_at":"'* ]]
}
rows_received() {
  local users=received/school-pkg/sis/users.jsonl
  [[ -f "$users" ]] && wc -l <"$users"
}
stop_agent() {
  kill -TERM "$agent_pid"
  local code=0
  wait "$agent_pid" || code=$?
  [[ $code == 0 ]] || fail "ferry run exited $code on SIGTERM, want 0 (see $work/agent.log)"
  echo "   ok: ferry run stopped on SIGTERM with exit code 0"
}
start_agent
wait_for "ferry status answers" 30 status_answers
wait_for "the tenant has every row and the spool is empty" 120 delivered
check "the tenant received the 3 users" test "$(rows_received)" -ge 3
# WATCHDOG_USEC=2000000: a ping at least every 2 seconds, so 3 more within 10 seconds. Checked
# here, while the agent runs, and reported with the other sd_notify checks at the end.
watchdogs() { grep -c ' WATCHDOG=1' notify.log || true; }
watchdogs_before=$(watchdogs)
more_watchdogs() { (($(watchdogs) >= watchdogs_before + 3)); }
deadline=$((SECONDS + 10))
until more_watchdogs || ((SECONDS >= deadline)); do sleep 0.2; done
more_watchdogs && watchdog_kept_coming=yes || watchdog_kept_coming=""

step "ferry status as a member of group ferry, and not as anyone else"
adduser --disabled-password --gecos "" --quiet helpdesk
adduser --disabled-password --gecos "" --quiet outsider
adduser --quiet helpdesk ferry
as_user() {
  local user=$1
  shift
  (cd / && setpriv --reuid "$user" --regid "$user" --init-groups "$@")
}
check "helpdesk (group ferry) runs ferry status" as_user helpdesk ferry status -c "$config"
refused() { ! as_user outsider ferry status -c "$config" >/dev/null 2>&1; }
check "outsider (not in group ferry) is refused" refused

step "the tenant goes down; the agent stops; new rows wait in the spool"
stop_tenant
echo "u-4,,,true,org-school,student,test.four,Testu,Personne,test.four@example.invalid,07" \
  >>"$export_dir/users.csv"
rows_before=$(rows_received)
# A running agent delivers everything it spools: it refuses --no-upload rather than ignore it.
no_upload_refused() {
  ! as_ferry ferry sync -c "$config" --source sis --no-upload --timeout 60s >no-upload.log 2>&1 &&
    grep -q 'cannot be honoured while the agent runs' no-upload.log
}
check "ferry sync --no-upload is refused while the agent runs" no_upload_refused
stop_agent
check "the control socket is gone" test ! -e /run/ferry/control.sock
spool_new_row() {
  as_ferry ferry sync -c "$config" --source sis --no-upload --timeout 60s >no-upload.log 2>&1 &&
    grep -q '^sis.users: .* 1 new or changed' no-upload.log
}
check "ferry sync --no-upload as ferry (no agent runs: it spools the new row itself)" spool_new_row

step "apt-get install ./$(basename "$new_deb") (the upgrade)"
apt-get install -y -q -o Dpkg::Options::=--force-confold "$new_deb" >apt-upgrade.log 2>&1 ||
  { cat apt-upgrade.log; fail "upgrade"; }
check "ferry $new_version is installed" \
  test "$(dpkg-query -W -f='${Status} ${Version}' ferry)" = "install ok installed $new_version"
key_unchanged() { [[ "$(sha256sum "$data_dir/keyring.json")" == "$key_digest" ]]; }
check "the key file is unchanged" key_unchanged
check "the key file is still 600 ferry:ferry" has_mode "$data_dir/keyring.json" "600 ferry:ferry"
check "the spool is still there" test -s "$data_dir/spool.db"
check "the admin's configuration is kept" grep -q "school-pkg" "$config"
check "$config is still 640 root:ferry" has_mode "$config" "640 root:ferry"
check "$data_dir is still 700 ferry:ferry" has_mode "$data_dir" "700 ferry:ferry"

step "the tenant is back; the upgraded agent drains the spool"
start_tenant
start_agent
wait_for "ferry status answers after the upgrade" 30 status_answers
more_rows() { local now; now=$(rows_received) && ((now > rows_before)); }
wait_for "the spooled rows reach the tenant" 120 more_rows
spool_empty() {
  local status
  status=$(status_json) && [[ "$status" == *'"spool":{"batches":0,'* ]]
}
wait_for "the spool is empty" 120 spool_empty
stop_agent
stop_tenant

step "apt-get purge ferry"
apt-get purge -y -q ferry >apt-purge.log 2>&1 || { cat apt-purge.log; fail "purge"; }
not_installed() { ! dpkg-query -W -f='${Status}' ferry 2>/dev/null | grep -q ' installed$'; }
check "ferry is gone" not_installed
check "$data_dir is removed" test ! -e "$data_dir"
check "/etc/ferry/token is removed" test ! -e /etc/ferry/token
check "$config is removed" test ! -e "$config"
check "the user ferry stays (Debian policy)" getent passwd ferry
check "the unit's enablement is gone" \
  test ! -L /etc/systemd/system/multi-user.target.wants/ferry.service
step "sd_notify, as systemd would see it (two runs)"
cat notify.log
notify_failures=()
grep -q '^CHECK ready control_socket=answers$' notify.log ||
  notify_failures+=("READY=1 never came once the control socket answered")
! grep -q '^CHECK ready control_socket=refused' notify.log ||
  notify_failures+=("READY=1 came before the control socket listened")
[[ -n "$watchdog_kept_coming" ]] ||
  notify_failures+=("WATCHDOG=1 did not come 3 times in 10 seconds (WATCHDOG_USEC=2000000)")
(($(grep -c ' STOPPING=1' notify.log) >= 2)) ||
  notify_failures+=("STOPPING=1 did not come on each SIGTERM")
grep -q ' STATUS=' notify.log || notify_failures+=("no STATUS= line")
if ((${#notify_failures[@]})); then
  printf '   FAILED: %s\n' "${notify_failures[@]}" >&2
  fail "sd_notify: ${#notify_failures[@]} checks failed"
fi
echo "   ok: READY=1 after the control socket answered, WATCHDOG=1 kept coming, STOPPING=1, STATUS="

step "passed"
