# Shared by the benchmark scripts that deliver to ferry-tenant (bench_delivery.sh,
# bench_restart.sh): sourced (`. tests/bench/lib.sh`) from the top of the tree once $tenant (the
# ferry-tenant binary) and $work (the work folder, an absolute path) are set.

# The sqlite3 shell, to read a spool from outside: not a build dependency of Ferry, so installed
# when missing.
need_sqlite3() {
  command -v sqlite3 >/dev/null && return 0
  echo "installing the sqlite3 shell (apt-get install sqlite3) ..."
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get install -y -qq sqlite3 >/dev/null
}

# A tenant key pair ($work/tenant.key), a test CA and server certificate ($work/pki) and a tokens
# file ($work/tokens) giving agent "bench" of tenant "bench" the token $1, each made anew; sets
# tenant_public_key.
make_tenant_files() {
  rm -rf "$work/tenant.key" "$work/pki"
  tenant_public_key=$("$tenant" keygen --out "$work/tenant.key")
  "$tenant" certs --out "$work/pki" >/dev/null
  printf 'bench bench %s\n' "$1" >"$work/tokens"
  chmod 600 "$work/tokens"
}

# Starts `ferry-tenant serve` on 127.0.0.1 (a port it picks) with its output in $work/$1, its
# standard output in $work/$2.stdout and its log in $work/$2.log; sets tenant_pid, and port once it
# listens. Exits the script when it does not start listening within 10 s.
start_tenant() {
  : >"$work/$2.stdout"
  "$tenant" serve --listen 127.0.0.1:0 --cert "$work/pki/server.pem" \
    --key "$work/pki/server.key" --private-key "$work/tenant.key" --tokens "$work/tokens" \
    --out "$work/$1" >"$work/$2.stdout" 2>"$work/$2.log" &
  tenant_pid=$!
  port=""
  tenant_tries=0
  while [ -z "$port" ]; do
    port=$(sed -n 's/^ferry-tenant: listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' \
      "$work/$2.stdout")
    [ -n "$port" ] && break
    tenant_tries=$((tenant_tries + 1))
    if [ "$tenant_tries" -gt 100 ] || ! kill -0 "$tenant_pid" 2>/dev/null; then
      echo "ferry-tenant did not start listening:" >&2
      cat "$work/$2.log" >&2
      exit 1
    fi
    sleep 0.1
  done
}
