#!/usr/bin/env bash
# The Windows installer's tables, read back with msiinfo (docs/install-windows.md says what the
# MSI does; packaging/windows/build-msi.sh makes it): the files and where they go, the service as
# `ferry service install` registers it (name, account, start, arguments), its control (stopped
# on upgrade and removal, removed on uninstall, never started by the installer), its
# configuration (delayed start, SID, privileges, shutdown time) and failure actions, the Event
# Log source, the folder's access list, the configuration kept, and the sequence that applies
# them. The extended suite's windows part runs it.
#
#   bash tests/windows/check_msi.sh FILE.msi
set -euo pipefail
msi=$1
failures=0
tab=$'\t'
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
# The rows of a table, without msiinfo's three header lines.
rows() { msiinfo export "$msi" "$1" | tail -n +4 | tr -d '\r'; }
has_row() {
  local table=$1 pattern=$2 what=$3
  if rows "$table" | grep -Eq -- "$pattern"; then echo "  ok: $what"; else
    fail "$what: no row of $table matches $pattern"
    rows "$table" | sed 's/^/    /' >&2
  fi
}

echo "== $msi"
has_row File "^ferry\.exe${tab}Program${tab}ferry\.exe${tab}" "ferry.exe in the Program component"
has_row File "^ferry\.yaml${tab}Configuration${tab}ferry\.yaml${tab}" "the example ferry.yaml"
has_row Directory "^INSTALLDIR${tab}ProgramFiles64Folder${tab}Ferry$" "C:\\Program Files\\Ferry"
has_row Directory "^DATAFOLDER${tab}CommonAppDataFolder${tab}Ferry$" "C:\\ProgramData\\Ferry"
# Name, DisplayName, own process (16), automatic (2), normal errors (1), the virtual account, no
# password, its arguments.
has_row ServiceInstall \
  "^FerryService${tab}Ferry${tab}Ferry data agent${tab}16${tab}2${tab}1${tab}${tab}${tab}NT SERVICE\\\\Ferry${tab}${tab}run -c \"\[CommonAppDataFolder\]Ferry\\\\ferry\.yaml\"${tab}Program${tab}" \
  "the service Ferry: own process, automatic, NT SERVICE\\Ferry, ferry.exe run -c ferry.yaml"
# 162 = stop on install (2) and uninstall (32), remove on uninstall (128); no start (1, 16).
has_row ServiceControl "^FerryControl${tab}Ferry${tab}162${tab}${tab}1${tab}Program$" \
  "stopped on upgrade and removal, removed on uninstall, never started by the installer"
has_row MsiServiceConfig "^DelayedStart${tab}Ferry${tab}5${tab}3${tab}1${tab}Program$" "delayed automatic start"
has_row MsiServiceConfig "^RestartOnError${tab}Ferry${tab}5${tab}4${tab}1${tab}Program$" "restart on an error exit"
has_row MsiServiceConfig "^ServiceSid${tab}Ferry${tab}5${tab}5${tab}1${tab}Program$" "the service's own SID"
has_row MsiServiceConfig "^Privileges${tab}Ferry${tab}5${tab}6${tab}SeChangeNotifyPrivilege${tab}Program$" "one privilege"
has_row MsiServiceConfig "^Preshutdown${tab}Ferry${tab}5${tab}7${tab}30000${tab}Program$" "30 s to stop at shutdown"
has_row MsiServiceConfigFailureActions \
  "^Restart${tab}Ferry${tab}5${tab}86400${tab}${tab}${tab}1\[~\]1\[~\]1${tab}10000\[~\]30000\[~\]60000${tab}Program$" \
  "restarts after 10 s, 30 s, 60 s"
has_row Registry "EventLog\\\\Application\\\\Ferry\\\\?${tab}EventMessageFile${tab}\[#ferry\.exe\]${tab}Program$" \
  "the Event Log source's message file: ferry.exe"
has_row Registry "EventLog\\\\Application\\\\Ferry\\\\?${tab}TypesSupported${tab}#7${tab}Program$" "its event types"
has_row MsiLockPermissionsEx \
  "^DataFolder${tab}DATAFOLDER${tab}CreateFolder${tab}D:PAI\(A;OICI;FA;;;SY\)\(A;OICI;FA;;;BA\)\(A;OICI;FA;;;S-1-5-80-4052256970-1309774770-3364190890-822515559-807314234\)" \
  "C:\\ProgramData\\Ferry: SYSTEM, Administrators, NT SERVICE\\Ferry only"
has_row CreateFolder "^DATAFOLDER${tab}Configuration$" "the folder made with its access list"
# 400 = 64-bit (256) + permanent (16) + never overwritten (128).
has_row Component "^Configuration${tab}\{[0-9A-F-]+\}${tab}DATAFOLDER${tab}400${tab}" \
  "ferry.yaml kept on upgrade and uninstall"
has_row CustomAction "^RemoveData${tab}3170${tab}System64Folder${tab}cmd\.exe /c rmdir /s /q \"\[CommonAppDataFolder\]Ferry\"" \
  "RemoveData: C:\\ProgramData\\Ferry removed by cmd.exe as SYSTEM"
has_row InstallExecuteSequence "^RemoveData${tab}REMOVE=\"ALL\" AND REMOVEDATA=\"1\"${tab}3510$" \
  "RemoveData only on a whole uninstall with REMOVEDATA=1"
has_row Property "^SecureCustomProperties${tab}(.*;)?REMOVEDATA$" "REMOVEDATA passed to deferred actions"
has_row Environment "^Path${tab}=-\*Path${tab}\[~\];\[INSTALLDIR\]${tab}Program$" \
  "C:\\Program Files\\Ferry added to the system PATH, taken out on uninstall"
for action in InstallServices StopServices DeleteServices MsiConfigureServices CreateFolders \
  WriteRegistryValues InstallFiles WriteEnvironmentStrings RemoveEnvironmentStrings; do
  has_row InstallExecuteSequence "^$action${tab}" "$action in the install sequence"
done
if rows InstallExecuteSequence | grep -q "^StartServices${tab}"; then
  # wixl adds StartServices; with no ServiceControl row asking for a start it starts nothing.
  echo "  ok: StartServices is sequenced but no ServiceControl row asks it to start Ferry"
fi
if ((failures > 0)); then
  echo "== $msi: $failures checks FAILED"
  exit 1
fi
echo "== $msi: every check passed"
