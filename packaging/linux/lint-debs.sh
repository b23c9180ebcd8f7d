#!/usr/bin/env bash
# Runs lintian, Debian's package checker, on the given .deb files: prints every error, warning
# and informational tag, and fails when any error is reported (warnings do not fail).
#   bash packaging/linux/lint-debs.sh DEB...
set -euo pipefail
(($#)) || { echo "usage: bash packaging/linux/lint-debs.sh DEB..." >&2; exit 2; }
command -v lintian >/dev/null ||
  { echo "lint-debs: no lintian: run bash packaging/install-build-deps.sh --package" >&2; exit 1; }
echo "== lintian $(lintian --print-version)"
# --display-info: the informational tags too, for whoever reads the log; only errors fail.
if lintian --fail-on error --display-info "$@"; then
  echo "== lintian: no errors"
else
  echo "== lintian: FAILED (errors above)" >&2
  exit 1
fi
