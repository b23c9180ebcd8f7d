#!/usr/bin/env bash
# Builds the Debian packages `ferry` and `ferry-tenant` the way Debian builds packages: a plain
# CMake build (no preset, so no -Werror) with the compiler and linker flags of dpkg-buildflags and
# every hardening feature on, then CPack's DEB generator, then hardening-check on both binaries.
# Prints the paths of the .deb files. docs/packaging.md says what the packages hold.
#   bash packaging/linux/build-deb.sh [OUT_DIR]        # default OUT_DIR: build/package/deb
#   FERRY_PACKAGE_VERSION=0.0.1 bash packaging/linux/build-deb.sh OUT_DIR
#       the same tree packaged with another version (the upgrade test installs a lower one
#       first); only the packages are made again, nothing is recompiled
#   bash packaging/linux/build-deb.sh --from-build build/release [OUT_DIR]
#       packages the binaries of an existing build tree instead of compiling them again: what
#       CI does with the release preset's tree, whose binaries the tests ran. The tree must have
#       been configured with FERRY_HARDENING (the release preset does: cmake/FerryHardening.cmake
#       has Debian's hardening flags); it is configured again for packaging (prefix /usr, man
#       pages), which recompiles nothing. hardening-check verifies the binaries either way. The
#       packager's own build, from dpkg-buildflags, is the default above (the extended suite's
#       package part builds and installs that one).
# Needs the build dependencies and the packaging tools:
#   bash packaging/install-build-deps.sh --package
# FERRY_JOBS sets the build's parallel jobs (default: nproc).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
build="$root/build/package"
from_build=""
if [[ ${1:-} == --from-build ]]; then
  if [[ -z ${2:-} ]]; then
    echo "build-deb: --from-build needs a build tree, e.g. --from-build build/release" >&2
    exit 2
  fi
  from_build=$(cd "$2" 2>/dev/null && pwd) || {
    echo "build-deb: --from-build $2: no such folder" >&2
    exit 1
  }
  if ! grep -q '^FERRY_HARDENING:BOOL=ON$' "$from_build/CMakeCache.txt" 2>/dev/null; then
    echo "build-deb: --from-build $2: not a build tree configured with FERRY_HARDENING=ON" \
      "(configure it with: cmake --preset release)" >&2
    exit 1
  fi
  build=$from_build
  shift 2
fi
out=${1:-$build/deb}
mkdir -p "$out"
out=$(cd "$out" && pwd)
jobs=${FERRY_JOBS:-$(nproc)}

missing=()
for tool in cmake ninja pandoc readelf dpkg-architecture dpkg-buildflags dpkg-shlibdeps dpkg-deb \
  hardening-check; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if ((${#missing[@]})); then
  echo "build-deb: missing ${missing[*]}: run bash packaging/install-build-deps.sh --package" >&2
  exit 1
fi

# Debian's flags (dpkg-buildflags(1)) with every hardening feature: -O2, the stack protector,
# _FORTIFY_SOURCE=2, format-security errors, full RELRO with immediate binding; Debian's gcc makes
# position-independent executables by default. Two changes, both through dpkg-buildflags' own
# variables:
# - Added: -fstack-clash-protection, and on x86 -fcf-protection (control-flow protection). Debian
#   adds them from dpkg 1.22 (trixie) on; bookworm's dpkg 1.21 does not yet, but hardening-check
#   already checks control-flow protection, and gcc 12 has both.
# - Removed: -g. Debian compiles debug information for its -dbgsym packages; CPack makes none and
#   strips the binaries, so it would be built only to be thrown away, and it makes this build
#   about 70% slower (a build CI runs on every change).
# CMake does not read CPPFLAGS, and reads CXXFLAGS and LDFLAGS only when it first configures a
# folder: they are passed explicitly, so a second run builds with the same flags as the first.
export DEB_BUILD_MAINT_OPTIONS=hardening=+all
export DEB_CXXFLAGS_MAINT_STRIP="-g"
hardening_check_options=()
case "$(dpkg-architecture -qDEB_HOST_ARCH)" in
  amd64 | i386) export DEB_CXXFLAGS_MAINT_APPEND="-fstack-clash-protection -fcf-protection" ;;
  *)
    export DEB_CXXFLAGS_MAINT_APPEND="-fstack-clash-protection"
    hardening_check_options+=(--nocfprotection)  # -fcf-protection is x86 only
    ;;
esac
# A binary is marked as control-flow protected only when every object linked into it is, the C
# library's start files included; bookworm's glibc does not mark its own (Scrt1.o, crti.o,
# crtn.o), so no program built on bookworm is marked, however it is compiled. hardening-check then
# skips that one check, and says so; where the start files are marked, it checks it.
if [[ " ${DEB_CXXFLAGS_MAINT_APPEND} " == *" -fcf-protection "* ]] &&
  ! readelf -n "$(g++ -print-file-name=Scrt1.o)" 2>/dev/null | grep -q 'x86 feature: IBT, SHSTK'; then
  echo "build-deb: this C library's start files are not marked for control-flow protection;" \
    "hardening-check will not require the mark (the code is compiled with -fcf-protection)"
  hardening_check_options+=(--nocfprotection)
fi
cxxflags="$(dpkg-buildflags --get CPPFLAGS) $(dpkg-buildflags --get CXXFLAGS)"
ldflags=$(dpkg-buildflags --get LDFLAGS)
# Dates inside the packages (changelog, man pages) are the last commit's, so that the same tree
# gives the same files.
if [[ -z "${SOURCE_DATE_EPOCH:-}" ]]; then
  SOURCE_DATE_EPOCH=$(git -C "$root" log -1 --format=%ct 2>/dev/null || date +%s)
  export SOURCE_DATE_EPOCH
fi

if [[ -n $from_build ]]; then
  # The tree keeps its own flags (its preset's, with FERRY_HARDENING); packaging needs only the
  # install prefix, the man pages and ferry-tenant, none of which recompiles anything.
  echo "== build-deb: configure $build for packaging (its own flags, FERRY_HARDENING=ON)"
  cmake -S "$root" -B "$build" \
    -DCMAKE_INSTALL_PREFIX=/usr \
    -DFERRY_BUILD_TENANT=ON \
    -DFERRY_MAN_PAGES=ON \
    -DFERRY_PACKAGE_VERSION="${FERRY_PACKAGE_VERSION:-}" >/dev/null
  echo "== build-deb: build ferry, ferry-tenant, man pages ($jobs jobs)"
  cmake --build "$build" -j "$jobs" --target ferry ferry-tenant ferry-docs
else
  echo "== build-deb: configure $build (CMAKE_BUILD_TYPE=None, no preset)"
  echo "   CXXFLAGS: $cxxflags"
  echo "   LDFLAGS:  $ldflags"
  cmake -S "$root" -B "$build" -G Ninja \
    -DCMAKE_BUILD_TYPE=None \
    -DCMAKE_INSTALL_PREFIX=/usr \
    -DCMAKE_CXX_FLAGS="$cxxflags" \
    -DCMAKE_EXE_LINKER_FLAGS="$ldflags" \
    -DFERRY_BUILD_TESTS=OFF \
    -DFERRY_BUILD_TENANT=ON \
    -DFERRY_MAN_PAGES=ON \
    -DFERRY_PACKAGE_VERSION="${FERRY_PACKAGE_VERSION:-}" >/dev/null

  echo "== build-deb: build ferry, ferry-tenant, man pages ($jobs jobs)"
  cmake --build "$build" -j "$jobs"
fi

echo "== build-deb: cpack -G DEB"
rm -rf "$build/cpack"
(cd "$build" && cpack -G DEB -B "$build/cpack")
mapfile -t debs < <(find "$build/cpack" -maxdepth 1 -name '*.deb' | sort)
if ((${#debs[@]} != 2)); then
  echo "build-deb: expected 2 packages in $build/cpack, found ${#debs[@]}" >&2
  exit 1
fi

# hardening-check on the binaries as shipped (stripped), each from its package. It exits non-zero
# when a feature it checks is missing ("no"). "unknown" is not a failure: for stack clash
# protection it means no function has a frame large enough to need a probe.
echo "== build-deb: hardening-check"
unpacked=$(mktemp -d)
trap 'rm -rf "$unpacked"' EXIT
failed=0
for deb in "${debs[@]}"; do
  dpkg-deb -x "$deb" "$unpacked"
done
for binary in "$unpacked/usr/bin/ferry" "$unpacked/usr/bin/ferry-tenant"; do
  hardening-check "${hardening_check_options[@]}" "$binary" | sed "s#$unpacked##" || failed=1  # pipefail: its status counts
done
if ((failed)); then
  echo "build-deb: hardening-check FAILED" >&2
  exit 1
fi

echo "== build-deb: packages"
for deb in "${debs[@]}"; do
  cp "$deb" "$out/"
  echo "$out/$(basename "$deb")"
done
