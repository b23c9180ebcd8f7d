#!/usr/bin/env bash
# Scores the sandbox of a systemd unit with `systemd-analyze security --offline=true` and fails
# when its overall exposure is above a maximum.
#   bash packaging/linux/score-unit.sh [UNIT_FILE] [MAX]
# UNIT_FILE defaults to packaging/linux/ferry.service (next to this script), MAX to 1.5.
# Prints systemd-analyze's table and its "Overall exposure level" line, then one verdict line.
# Exit 0: exposure <= MAX; 1: above MAX, or the analysis failed; 2: usage error or
# systemd-analyze missing. Installs nothing: on a machine without systemd-analyze it says which
# Debian package provides it (systemd).
# --offline=true reads the unit file only: no running systemd, no D-Bus and no installed unit are
# needed, so this works as root in a chroot (or a container) where systemd is not PID 1.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
unit=${1:-$here/ferry.service}
max=${2:-1.5}

die() {
  local code=$1
  shift
  printf 'score-unit: %s\n' "$*" >&2
  exit "$code"
}

[[ $# -le 2 ]] || die 2 "usage: bash packaging/linux/score-unit.sh [UNIT_FILE] [MAX] (got $# arguments)"
[[ $max =~ ^[0-9]+(\.[0-9]+)?$ ]] || die 2 "MAX must be a number such as 1.5, got '$max'"
[[ -f $unit ]] || die 2 "no unit file at $unit"
case $unit in
  *.service | *.socket | *.timer | *.mount | *.swap | *.path | *.target | *.slice | *.scope) ;;
  *) die 2 "$unit: systemd-analyze only reads unit files whose name ends in .service (or another unit type)" ;;
esac

command -v systemd-analyze >/dev/null 2>&1 ||
  die 2 "systemd-analyze is not installed: it comes with the Debian package systemd (apt-get install systemd); the unit was not scored"

# --offline appeared in systemd 250 (Debian 12 has 252).
version=$(systemd-analyze --version 2>/dev/null | awk 'NR == 1 && $1 == "systemd" { print $2 }' || true)
if [[ $version =~ ^[0-9]+ ]] && ((BASH_REMATCH[0] < 250)); then
  die 2 "systemd-analyze is from systemd $version; 'security --offline=true' needs systemd 250 or newer (Debian 12 or later)"
fi

# No pager, no colours, and a UTF-8-independent output: only the number is parsed.
output_file=$(mktemp)
trap 'rm -f "$output_file"' EXIT
status=0
SYSTEMD_PAGER=cat SYSTEMD_COLORS=0 systemd-analyze --no-pager security --offline=true "$unit" \
  >"$output_file" 2>&1 || status=$?
cat "$output_file"

# The last line reads "→ Overall exposure level for ferry.service: 1.2 OK 🙂" (with "->" and
# ":-)" in a non-UTF-8 locale). Take the number after the colon of the last such line.
exposure=$(sed -n 's/.*Overall exposure level for [^:]*:[[:space:]]*\([0-9][0-9]*\(\.[0-9][0-9]*\)\{0,1\}\).*/\1/p' \
  "$output_file" | tail -n 1)
if [[ -z $exposure ]]; then
  die 1 "systemd-analyze printed no 'Overall exposure level' line for $unit (exit status $status): see its output above"
fi

if awk -v e="$exposure" -v m="$max" 'BEGIN { exit !(e + 0 > m + 0) }'; then
  die 1 "$unit: exposure $exposure is above the maximum $max: harden the unit (the lines above with a value in the EXPOSURE column say where)"
fi
printf 'score-unit: %s: exposure %s, at most %s: ok\n' "$unit" "$exposure" "$max"
