#!/bin/sh
# Runs a Windows program under Wine, for CTest and for Catch's test discovery in the windows-cross
# build (CMAKE_CROSSCOMPILING_EMULATOR, set by cmake/mingw-w64.cmake): quiet (WINEDEBUG=-all), in
# a Wine prefix of its own that persists between runs (the first run creates it, which takes some
# seconds), and without the prompts to install Wine's .NET and HTML engines, which Ferry does not
# use. Debian's wine64 package puts its binary outside PATH.
export WINEDEBUG="${WINEDEBUG:--all}"
export WINEPREFIX="${WINEPREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/ferry/wineprefix}"
export WINEDLLOVERRIDES="${WINEDLLOVERRIDES:-mscoree,mshtml=}"
for wine in /usr/lib/wine/wine64 "$(command -v wine64)" "$(command -v wine)"; do
  if [ -n "$wine" ] && [ -x "$wine" ]; then exec "$wine" "$@"; fi
done
echo "wine-run.sh: Wine is not installed (apt-get install wine64)" >&2
exit 127
