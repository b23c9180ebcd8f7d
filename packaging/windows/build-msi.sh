#!/usr/bin/env bash
# Builds the Windows installer, ferry-VERSION-x64.msi, from a windows-cross build's ferry.exe:
# wixl (Debian's msitools) makes it from ferry.wxs; msibuild then adds the tables wixl has no
# element for:
#   MsiServiceConfig                delayed automatic start, restart also on an error exit, the
#                                   service's own SID (NT SERVICE\Ferry), its one privilege, 30 s
#                                   to stop at shutdown (as `ferry service install` sets them);
#   MsiServiceConfigFailureActions  restart after 10 s, 30 s, then 60 s; the count reset daily;
#   MsiLockPermissionsEx            C:\ProgramData\Ferry: SYSTEM, Administrators and
#                                   NT SERVICE\Ferry only (nothing inherited from ProgramData,
#                                   where every user may create files);
#   Environment                     C:\Program Files\Ferry at the end of the system PATH, taken
#                                   out again on uninstall;
# marks the example configuration permanent and never overwritten; adds RemoveData, which on an
# uninstall asked with REMOVEDATA=1 (and only then) removes C:\ProgramData\Ferry (configuration,
# token, keys, spool, logs); and puts the actions that read those tables into the sequence. docs/install-windows.md describes the result;
# tests/windows/check_msi.sh checks its tables.
#
#   bash packaging/windows/build-msi.sh [WINDOWS_BUILD [OUT_DIR]]
# (defaults build/windows-cross and build/msi). Needs wixl and msitools (apt-get install wixl
# msitools). Prints the MSI's path.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=$(cd "${1:-build/windows-cross}" && pwd)
out=${2:-build/msi}
for tool in wixl msibuild; do
  command -v "$tool" >/dev/null || { echo "build-msi.sh: $tool is missing: apt-get install wixl msitools" >&2; exit 2; }
done
rm -f "$out/ferry-"*.msi
[[ -f "$build/agent/ferry.exe" ]] || { echo "build-msi.sh: no $build/agent/ferry.exe: build the windows-cross preset first" >&2; exit 2; }
version=$(sed -n 's/^project(ferry VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
mkdir -p "$out"
msi="$(cd "$out" && pwd)/ferry-$version-x64.msi"
work=$(mktemp -d /tmp/ferry-msi.XXXXXX)
trap 'rm -rf "$work"' EXIT

# What goes into the package, with Windows line ends for the text files Notepad opens.
stage="$work/stage"
mkdir -p "$stage"
# Stripped: the symbols of the statically linked libraries are most of the file.
x86_64-w64-mingw32-strip -o "$stage/ferry.exe" "$build/agent/ferry.exe"
sed 's/$/\r/' packaging/windows/ferry.yaml >"$stage/ferry.yaml"
sed 's/$/\r/' >"$stage/README.txt" <<TEXT
Ferry $version, the data agent for schools.

ferry.exe is on the PATH. The configuration is C:\\ProgramData\\Ferry\\ferry.yaml. In a command
prompt opened with "Run as administrator":
  ferry validate          check the configuration
  ferry keys init         make the key file (back it up: ferry keys export --out FILE)
  ferry check             check the key file, the sources and the way to the tenant
  ferry service start     start the service Ferry (it starts at boot from then on)
  ferry status            what the agent is doing
The service writes its start, stop, warnings and errors to the Event Log (Windows Logs >
Application, source Ferry) and every line to C:\\ProgramData\\Ferry\\data\\logs\\ferry.log.
Uninstalling keeps the configuration and the data folder. Documentation: docs/install-windows.md.
TEXT

# wixl takes a file's Source relative to the .wxs (an absolute one it cannot open).
cp packaging/windows/ferry.wxs "$stage/ferry.wxs"
(cd "$stage" && wixl -a x64 -D Version="$version" -D StageDir=. -o "$msi" ferry.wxs 2>&1 |
  { grep -v -e 'GLib-GObject-WARNING' -e '^$' >&2 || true; })
[[ -s "$msi" ]] || { echo "build-msi.sh: wixl made no MSI" >&2; exit 1; }

# The tables wixl cannot write, as msibuild imports them: a header of column names, one of types,
# one naming the table and its key, then the rows; fields separated by tabs.
tab=$'\t'
idt() {
  local file=$1
  shift
  printf '%s\r\n' "$@" >"$work/$file"
}
ferry_sid='S-1-5-80-4052256970-1309774770-3364190890-822515559-807314234'
# Event 5: on install and on reinstall (msidbServiceConfigEventInstall | ...Reinstall).
idt MsiServiceConfig.idt \
  "MsiServiceConfig${tab}Name${tab}Event${tab}ConfigType${tab}Argument${tab}Component_" \
  "s72${tab}s255${tab}i2${tab}i4${tab}S0${tab}s72" \
  "MsiServiceConfig${tab}MsiServiceConfig" \
  "DelayedStart${tab}Ferry${tab}5${tab}3${tab}1${tab}Program" \
  "RestartOnError${tab}Ferry${tab}5${tab}4${tab}1${tab}Program" \
  "ServiceSid${tab}Ferry${tab}5${tab}5${tab}1${tab}Program" \
  "Privileges${tab}Ferry${tab}5${tab}6${tab}SeChangeNotifyPrivilege${tab}Program" \
  "Preshutdown${tab}Ferry${tab}5${tab}7${tab}30000${tab}Program"
idt MsiServiceConfigFailureActions.idt \
  "MsiServiceConfigFailureActions${tab}Name${tab}Event${tab}ResetPeriod${tab}RebootMessage${tab}Command${tab}Actions${tab}DelayActions${tab}Component_" \
  "s72${tab}s255${tab}i2${tab}I4${tab}L255${tab}L255${tab}S0${tab}S0${tab}s72" \
  "MsiServiceConfigFailureActions${tab}MsiServiceConfigFailureActions" \
  "Restart${tab}Ferry${tab}5${tab}86400${tab}${tab}${tab}1[~]1[~]1${tab}10000[~]30000[~]60000${tab}Program"
idt MsiLockPermissionsEx.idt \
  "MsiLockPermissionsEx${tab}LockObject${tab}Table${tab}SDDLText${tab}Condition" \
  "s72${tab}s72${tab}s32${tab}S0${tab}S255" \
  "MsiLockPermissionsEx${tab}MsiLockPermissionsEx" \
  "DataFolder${tab}DATAFOLDER${tab}CreateFolder${tab}D:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FA;;;$ferry_sid)${tab}"
# "=-*Path": the system's (*) PATH, set on install (=), taken out on uninstall (-); "[~];" puts
# the folder after what is there.
idt Environment.idt \
  "Environment${tab}Name${tab}Value${tab}Component_" \
  "s72${tab}l255${tab}L255${tab}s72" \
  "Environment${tab}Environment" \
  "Path${tab}=-*Path${tab}[~];[INSTALLDIR]${tab}Program"
msibuild "$msi" -i "$work/MsiServiceConfig.idt" -i "$work/MsiServiceConfigFailureActions.idt" \
  -i "$work/MsiLockPermissionsEx.idt" -i "$work/Environment.idt"

# The configuration: 64-bit (256), permanent (16), never overwritten (128).
msibuild "$msi" -q "UPDATE \`Component\` SET \`Attributes\` = 400 WHERE \`Component\` = 'Configuration'"
# RemoveData: cmd.exe from System64Folder (type 34), deferred (1024), as SYSTEM (2048), its exit
# code ignored (64): only when the whole product goes (REMOVE="ALL", not an upgrade's removal of
# the old version) and the admin asked for it. SecureCustomProperties lets REMOVEDATA through to
# the part of Windows Installer that runs deferred actions.
msibuild "$msi" -q "INSERT INTO \`CustomAction\` (\`Action\`, \`Type\`, \`Source\`, \`Target\`) VALUES ('RemoveData', 3170, 'System64Folder', 'cmd.exe /c rmdir /s /q \"[CommonAppDataFolder]Ferry\"')"
msibuild "$msi" -q "INSERT INTO \`InstallExecuteSequence\` (\`Action\`, \`Condition\`, \`Sequence\`) VALUES ('RemoveData', 'REMOVE=\"ALL\" AND REMOVEDATA=\"1\"', 3510)"
secure=$(msiinfo export "$msi" Property | tr -d '\r' | sed -n "s/^SecureCustomProperties$tab//p")
if [[ -n "$secure" ]]; then
  msibuild "$msi" -q "UPDATE \`Property\` SET \`Value\` = '$secure;REMOVEDATA' WHERE \`Property\` = 'SecureCustomProperties'"
else
  msibuild "$msi" -q "INSERT INTO \`Property\` (\`Property\`, \`Value\`) VALUES ('SecureCustomProperties', 'REMOVEDATA')"
fi
# The standard actions that read the tables above, where Windows Installer's sequence has them,
# unless wixl put them in already.
sequence=$(msiinfo export "$msi" InstallExecuteSequence)
add_action() {
  local action=$1 number=$2
  if ! grep -q "^$action$tab" <<<"$sequence"; then
    msibuild "$msi" -q "INSERT INTO \`InstallExecuteSequence\` (\`Action\`, \`Condition\`, \`Sequence\`) VALUES ('$action', 'VersionNT', $number)"
  fi
}
add_action RemoveEnvironmentStrings 3300
add_action CreateFolders 3700
add_action WriteEnvironmentStrings 5200
add_action MsiConfigureServices 5850
echo "$msi"
