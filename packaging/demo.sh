#!/usr/bin/env bash
# The Ferry demo, from a fresh clone on Debian 12: installs the build dependencies, builds, makes
# a tenant key pair, a local CA and server certificate, an agent token and a key file, generates a
# small synthetic OneRoster export (no real people), starts ferry-tenant and `ferry run`, waits
# until the tenant has acknowledged everything, prints `ferry status` and the first rows the
# tenant received, and stops both.
#   bash packaging/demo.sh                 # everything, in a new temporary folder
#   FERRY_DEMO_DIR=/tmp/demo bash packaging/demo.sh   # keep the demo's files there
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

bash packaging/install-build-deps.sh
echo "== build (release preset)"
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target ferry ferry-tenant ferry-gen-oneroster

ferry="$root/build/release/agent/ferry"
tenant="$root/build/release/tests/tenant/ferry-tenant"
generate="$root/build/release/tests/tools/ferry-gen-oneroster"

demo=${FERRY_DEMO_DIR:-$(mktemp -d /tmp/ferry-demo.XXXXXX)}
mkdir -p "$demo"
demo=$(cd "$demo" && pwd)
rm -rf "$demo/data" "$demo/received" "$demo/export"
cd "$demo"
echo "== demo folder: $demo"

tenant_pid=""
agent_pid=""
stop_all() {
  [[ -n "$agent_pid" ]] && kill -TERM "$agent_pid" 2>/dev/null && wait "$agent_pid" 2>/dev/null
  [[ -n "$tenant_pid" ]] && kill -TERM "$tenant_pid" 2>/dev/null && wait "$tenant_pid" 2>/dev/null
  agent_pid=""
  tenant_pid=""
}
trap stop_all EXIT

echo "== the tenant: a key pair, a local CA and server certificate, an agent token"
[[ -f tenant.key ]] || "$tenant" keygen --out tenant.key >tenant.pub
"$tenant" certs --out pki >/dev/null
token=$(head -c 24 /dev/urandom | base64 | tr '+/' '-_')
echo "demo-school demo-district $token" >tokens
chmod 600 tokens

echo "== a synthetic OneRoster export: 50 students with their classes and enrollments"
"$generate" --out export --users 50 --seed 7 >/dev/null

"$tenant" serve --listen 127.0.0.1:0 --cert pki/server.pem --key pki/server.key \
  --private-key tenant.key --tokens tokens --out received >tenant.out 2>tenant.log &
tenant_pid=$!
port=""
for _ in $(seq 1 100); do
  port=$(sed -n 's/^ferry-tenant: listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' tenant.out)
  [[ -n "$port" ]] && break
  sleep 0.1
done
[[ -n "$port" ]] || { echo "ferry-tenant did not start; see $demo/tenant.log" >&2; exit 1; }
echo "== ferry-tenant listening on 127.0.0.1:$port"

cat >ferry.yaml <<EOF
agent:
  id: demo-school
  tenant: demo-district
  data_dir: $demo/data
  log: {level: info, file: $demo/ferry.log}
uplink:
  url: wss://127.0.0.1:$port/v1/agent
  token_file: $demo/agent.token
  tenant_public_key_file: $demo/tenant.pub
  ca_file: $demo/pki/ca.pem
sources:
  - name: sis
    type: oneroster_csv
    path: $demo/export
    preset: oneroster
    schedule: every 15m
EOF
echo "$token" >agent.token
chmod 600 agent.token
"$ferry" keys init -c ferry.yaml >/dev/null
"$ferry" validate -c ferry.yaml

echo "== ferry run"
"$ferry" run -c ferry.yaml 2>agent.stderr &
agent_pid=$!

# Delivered: the first run of the source succeeded and the spool is empty.
delivered=""
for _ in $(seq 1 600); do
  if status=$("$ferry" status -c ferry.yaml --json 2>/dev/null) &&
    [[ "$status" == *'"spool":{"batches":0,'* && "$status" == *'"last_success_at":"'* ]]; then
    delivered=yes
    break
  fi
  kill -0 "$agent_pid" 2>/dev/null || { echo "ferry run stopped; see $demo/ferry.log" >&2; exit 1; }
  sleep 0.2
done
[[ -n "$delivered" ]] || { echo "not delivered within 2 minutes; see $demo/ferry.log" >&2; exit 1; }

echo
"$ferry" status -c ferry.yaml
echo
echo "== ferry check"
"$ferry" check -c ferry.yaml
echo
echo "== the first rows the tenant received ($demo/received/demo-school/sis/users.jsonl):"
head -n 3 received/demo-school/sis/users.jsonl
echo
echo "== rows per stream at the tenant:"
wc -l received/demo-school/sis/*.jsonl | sed "s#$demo/##"

stop_all
trap - EXIT
echo
echo "== ferry audit verify"
"$ferry" audit verify -c ferry.yaml
echo
echo "== both stopped. Files: $demo (ferry.yaml, ferry.log, tenant.log, received/)"
