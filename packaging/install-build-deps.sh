#!/usr/bin/env bash
# Installs everything Ferry needs to build and test on Debian 12 (bookworm), from Debian's own
# packages. Does nothing when all are present. Needs root (or sudo) only when something is missing.
#   bash packaging/install-build-deps.sh             # what building and testing Ferry needs
#   bash packaging/install-build-deps.sh --package   # that, and the tools that make and check the
#                                                    # .deb packages (packaging/linux/build-deb.sh)
set -euo pipefail

with_packaging=""
case "${1:-}" in
  "") ;;
  --package) with_packaging=yes ;;
  *)
    echo "usage: bash packaging/install-build-deps.sh [--package]" >&2
    exit 2
    ;;
esac

packages=(
  g++ cmake ninja-build pkg-config git
  libboost1.81-dev libboost-json1.81-dev   # Asio, Beast, JSON: 1.81, not bookworm's default 1.74
  libssl-dev openssl                       # OpenSSL 3.0: crypto and TLS; the CLI makes test certificates
  libssh-dev                               # SFTP sources
  libsqlite3-dev                           # the spool
  libarchive-dev                           # OneRoster CSV exports delivered as .zip, read as streams
  libyaml-cpp-dev libspdlog-dev libfmt-dev libzstd-dev libexpected-dev
  zlib1g-dev                               # gzip responses of API sources (inflate)
  catch2                                   # Catch2 v2, single header
  libsystemd-dev                           # sd_notify, the watchdog and the journal under systemd
  openssh-server                           # the SFTP tests start OpenSSH's sshd on 127.0.0.1
  unixodbc-dev                             # the ODBC driver manager: sql sources (type: sql)
  odbc-postgresql odbc-mariadb             # ODBC drivers the sql tests use
  postgresql mariadb-server                # the sql tests start their own servers on 127.0.0.1
)
if [[ -n "$with_packaging" ]]; then
  packages+=(
    dpkg-dev                               # dpkg-buildflags, and dpkg-shlibdeps for CPack's Depends
    devscripts                             # hardening-check (without its many recommends)
    lintian                                # Debian's package checker
    pandoc                                 # the man pages, made from docs/
    systemd                                # systemd-analyze: verify and score the unit
  )
fi

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$package")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-build-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null; then
    sudo_cmd=(sudo)
  else
    echo "install-build-deps: missing ${missing[*]}; run this script as root" >&2
    exit 1
  fi
fi

echo "install-build-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# openssh-server's postinst starts sshd on port 22, and postgresql's and mariadb-server's start
# their servers, where nothing forbids it (a fresh machine without systemd has no policy-rc.d): the
# tests start their own servers on 127.0.0.1 and want no others. A policy-rc.d that refuses every
# start (exit 101, invoke-rc.d(8)) is in place while apt runs, unless the machine has its own.
policy=/usr/sbin/policy-rc.d
added_policy=""
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\n# install-build-deps.sh: no service starts while it installs packages\nexit 101\n' |
    "${sudo_cmd[@]}" tee "$policy" >/dev/null
  "${sudo_cmd[@]}" chmod 0755 "$policy"
  added_policy=yes
  trap '"${sudo_cmd[@]}" rm -f "$policy"' EXIT
fi
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
if [[ -n $added_policy ]]; then
  "${sudo_cmd[@]}" rm -f "$policy"
  trap - EXIT
fi
