#!/bin/sh
# Builds the libraries Ferry links for Windows (x86_64-w64-mingw32, static) from Debian's own
# source packages, into a prefix outside the clone that the windows-cross preset reads. Nothing is
# downloaded but Debian's packages: the sources come through `apt-get source`, with a sources list
# and an apt state folder of this script's own, so the machine's apt configuration is not changed.
#
# Usage: packaging/windows/build-deps.sh [--print-prefix]
#   --print-prefix   print the prefix the current sources would build into, build nothing
#
# The prefix is $FERRY_MINGW_DEPS/<key> (FERRY_MINGW_DEPS defaults to
# ${XDG_CACHE_HOME:-$HOME/.cache}/ferry/mingw-deps), where <key> is a hash of the source packages'
# versions, this script and the cross compiler's version: a Debian update or a change here builds
# a new prefix, and an unchanged one is reused at once. $FERRY_MINGW_DEPS/current links to the
# last prefix built, which the windows-cross preset (CMakePresets.json) uses; earlier prefixes are
# removed once a new one is built.
#
# What goes in:
#   lib/, include/   OpenSSL 3.0 (openssl), SQLite (sqlite3), zstd (libzstd), yaml-cpp (yaml-cpp),
#                    zlib (zlib), libarchive (libarchive), libssh (libssh): static libraries,
#                    built with cmake/mingw-w64.cmake
#   headers/         header-only libraries copied from this machine's Debian packages: Boost
#                    (Asio, Beast, JSON in header-only mode), fmt and spdlog (header-only mode),
#                    tl-expected, Catch2. Their own folder, not /usr/include, which would put
#                    glibc's headers in a Windows build.
#   VERSIONS         the source package versions it was built from
#
# Environment:
#   FERRY_MINGW_DEPS       the cache folder (above)
#   FERRY_MINGW_SECURITY   1: also Debian's security suite (bookworm-security), for fixes not yet in
#                          a point release. Off by default: not every mirror serves its sources
#                          (this machine's deb.debian.org answers 404 for them).
#
# Needs the network to Debian's mirror (deb.debian.org) for the sources; installs what it needs to
# build with apt-get when it is missing (as root, or through sudo).
set -eu
cd "$(dirname "$0")/../.."
root=$(pwd)
toolchain=$root/cmake/mingw-w64.cmake
host=x86_64-w64-mingw32
cache=${FERRY_MINGW_DEPS:-${XDG_CACHE_HOME:-$HOME/.cache}/ferry/mingw-deps}
jobs=$(nproc)
print_only=0
if [ "${1:-}" = "--print-prefix" ]; then print_only=1; fi

# The Debian source packages, and the Debian -dev packages whose headers are copied.
sources="openssl zlib libzstd sqlite3 yaml-cpp libarchive libssh"
header_packages="libboost1.81-dev libboost-json1.81-dev libfmt-dev libspdlog-dev
  libexpected-dev catch2"

# 1. Tools.
missing=""
command -v $host-g++-posix >/dev/null || missing="$missing g++-mingw-w64-x86-64-posix"
command -v dpkg-source >/dev/null || missing="$missing dpkg-dev"
command -v cmake >/dev/null || missing="$missing cmake"
command -v ninja >/dev/null || missing="$missing ninja-build"
command -v make >/dev/null || missing="$missing make"
command -v perl >/dev/null || missing="$missing perl"
command -v tclsh >/dev/null || missing="$missing tcl"  # SQLite makes its amalgamation with it
for package in $header_packages; do
  dpkg-query -W -f '${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' ||
    missing="$missing $package"
done
if [ -n "$missing" ]; then
  echo "installing:$missing"
  if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
  # shellcheck disable=SC2086  # $missing: package names, split on purpose
  $sudo apt-get install -y -qq $missing >/dev/null
fi

# 2. A private apt for the source packages: Debian 12's suites, as deb-src.
mkdir -p "$cache"
apt_dir=$cache/apt
mkdir -p "$apt_dir/state/lists/partial" "$apt_dir/cache/archives/partial"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
cat >"$apt_dir/sources.list" <<EOF
deb-src [signed-by=$keyring] http://deb.debian.org/debian bookworm main
deb-src [signed-by=$keyring] http://deb.debian.org/debian bookworm-updates main
EOF
if [ "${FERRY_MINGW_SECURITY:-0}" = 1 ]; then
  echo "deb-src [signed-by=$keyring] http://deb.debian.org/debian-security bookworm-security main" \
    >>"$apt_dir/sources.list"
fi
private_apt() {  # COMMAND ARGS...: apt-get or apt-cache with the private configuration
  command=$1
  shift
  "$command" -q -o "Dir::Etc::SourceList=$apt_dir/sources.list" \
    -o Dir::Etc::SourceParts=/dev/null -o "Dir::State=$apt_dir/state" \
    -o "Dir::Cache=$apt_dir/cache" -o Dir::State::status=/var/lib/dpkg/status \
    -o APT::Sandbox::User=root "$@"
}
# Lists older than a day, or of other suites, are read again.
if [ -z "$(find "$apt_dir/state/lists" -maxdepth 1 -name '*Sources*' -mtime -1 2>/dev/null)" ] ||
  ! cmp -s "$apt_dir/sources.list" "$apt_dir/sources.list.read"; then
  rm -f "$apt_dir/state/lists/"*Sources* 2>/dev/null || true
  private_apt apt-get update >/dev/null
  cp "$apt_dir/sources.list" "$apt_dir/sources.list.read"
fi
newest_version() {  # SOURCE_PACKAGE: the highest version the private lists know
  private_apt apt-cache showsrc "$1" 2>/dev/null | awk -v p="$1" '
    /^Package: / { ours = ($2 == p) } ours && /^Version: / { print $2 }' |
    sort -V | tail -1  # dpkg's order and sort -V's agree on these versions
}
versions=""
for package in $sources; do
  version=$(newest_version "$package")
  if [ -z "$version" ]; then
    echo "$0: no source package $package in Debian 12's lists" >&2
    exit 1
  fi
  versions="$versions$package $version
"
done
for package in $header_packages; do
  versions="$versions$package $(dpkg-query -W -f '${Version}' "$package") (headers)
"
done
key=$({ printf '%s' "$versions"; cat "$0"; $host-g++-posix --version | head -1; } |
  sha256sum | cut -c1-16)
prefix=$cache/$key
if [ "$print_only" = 1 ]; then
  echo "$prefix"
  exit 0
fi
if [ -f "$prefix/VERSIONS" ]; then
  echo "up to date: $prefix"
  ln -sfn "$key" "$cache/current"
  exit 0
fi

# 3. Sources, unpacked into a work folder removed at the end.
work=$(mktemp -d "${TMPDIR:-/tmp}/ferry-mingw-deps.XXXXXX")
trap 'rm -rf "$work" "$prefix.partial"' EXIT  # a failed build leaves nothing half-made
rm -rf "$prefix.partial"
mkdir -p "$prefix.partial/lib" "$prefix.partial/include" "$prefix.partial/headers"
stage=$prefix.partial
unpack() {  # SOURCE_PACKAGE: unpacks it under $work/<package>; sets src to its folder
  version=$(printf '%s' "$versions" | awk -v p="$1" '$1 == p { print $2 }')
  mkdir -p "$work/$1"
  (cd "$work/$1" && private_apt apt-get source --only-source "$1=$version" >"$work/$1.log" 2>&1) || {
    tail -20 "$work/$1.log"
    echo "$0: apt-get source $1=$version failed" >&2
    exit 1
  }
  src=$(find "$work/$1" -mindepth 1 -maxdepth 1 -type d -name "$1-*" | head -1)
  if [ -z "$src" ]; then
    echo "$0: apt-get source $1=$version unpacked no folder $1-*" >&2
    exit 1
  fi
}
cmake_build() {  # SOURCE_DIR BUILD_DIR CMAKE_ARGS...
  src=$1 build=$2
  shift 2
  cmake -S "$src" -B "$build" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$toolchain" \
    -DFERRY_MINGW_PREFIX="$stage" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$stage" \
    -DBUILD_SHARED_LIBS=OFF "$@" >"$build.log" 2>&1 || { tail -30 "$build.log"; exit 1; }
  cmake --build "$build" -j "$jobs" >>"$build.log" 2>&1 || { tail -30 "$build.log"; exit 1; }
  cmake --install "$build" >>"$build.log" 2>&1 || { tail -30 "$build.log"; exit 1; }
}
started=$(date +%s)

echo "zlib ..."
unpack zlib
# Debian's zlib source leaves out upstream's win32/ makefiles: the library's C files, compiled
# and archived as they would.
mkdir -p "$work/zlib-build"
for file in adler32 compress crc32 deflate gzclose gzlib gzread gzwrite infback inffast inflate \
  inftrees trees uncompr zutil; do
  $host-gcc-posix -O2 -c "$src/$file.c" -o "$work/zlib-build/$file.o" >>"$work/zlib.log" 2>&1 ||
    { tail -30 "$work/zlib.log"; exit 1; }
done
$host-ar rcs "$stage/lib/libz.a" "$work/zlib-build/"*.o
cp "$src/zlib.h" "$src/zconf.h" "$stage/include/"

echo "zstd ..."
unpack libzstd
cmake_build "$src/build/cmake" "$work/zstd-build" -DZSTD_BUILD_SHARED=OFF -DZSTD_BUILD_STATIC=ON \
  -DZSTD_BUILD_PROGRAMS=OFF -DZSTD_BUILD_TESTS=OFF -DZSTD_MULTITHREAD_SUPPORT=OFF

echo "yaml-cpp ..."
unpack yaml-cpp
cmake_build "$src" "$work/yaml-build" -DYAML_CPP_BUILD_TESTS=OFF -DYAML_CPP_BUILD_TOOLS=OFF \
  -DYAML_CPP_BUILD_CONTRIB=OFF -DYAML_BUILD_SHARED_LIBS=OFF

echo "SQLite ..."
unpack sqlite3
# The amalgamation (sqlite3.c) is made by the source tree's own tools, built for this machine;
# then compiled for Windows, thread-safe (SQLite's default; Ferry's threads share the library).
mkdir -p "$work/sqlite-native"
(cd "$work/sqlite-native" && "$src/configure" --disable-tcl >"$work/sqlite.log" 2>&1 &&
  make sqlite3.c >>"$work/sqlite.log" 2>&1) || { tail -30 "$work/sqlite.log"; exit 1; }
$host-gcc-posix -O2 -DSQLITE_THREADSAFE=1 -c "$work/sqlite-native/sqlite3.c" \
  -o "$work/sqlite3.o" >>"$work/sqlite.log" 2>&1 || { tail -30 "$work/sqlite.log"; exit 1; }
$host-ar rcs "$stage/lib/libsqlite3.a" "$work/sqlite3.o"
cp "$work/sqlite-native/sqlite3.h" "$stage/include/"

echo "OpenSSL (a few minutes) ..."
unpack openssl
# libcrypto keeps the folders it was configured for, and looks there for openssl.cnf, engines and
# providers. A build prefix such as /root/.cache/... would mean C:\root\.cache\... on Windows,
# a folder any user may create (CVE-2019-1552): the folders are those of an installed Ferry
# under Program Files, which only administrators may write (--openssldir relative to it: this
# Configure takes "C:/..." for a relative path), and the files are installed into a staging root
# (DESTDIR, with a final slash: it is put in front of "C:/...") and moved into the prefix.
openssl_home="C:/Program Files/Ferry/openssl"
(cd "$src" && ./Configure mingw64 --cross-compile-prefix=$host- no-shared no-tests \
  --prefix="$openssl_home" --openssldir=ssl --libdir=lib \
  >"$work/openssl.log" 2>&1 &&
  make -j "$jobs" build_libs >>"$work/openssl.log" 2>&1 &&
  make install_dev DESTDIR="$work/openssl-root/" >>"$work/openssl.log" 2>&1) ||
  { tail -30 "$work/openssl.log"; exit 1; }
# (Where under DESTDIR a drive-letter prefix lands is OpenSSL's business: found by its files.)
header=$(find "$work/openssl-root" -path '*/include/openssl/opensslv.h' | head -1)
library=$(find "$work/openssl-root" -name libcrypto.a | head -1)
if [ -z "$header" ] || [ -z "$library" ]; then
  find "$work/openssl-root" -maxdepth 4
  echo "$0: OpenSSL's install_dev left no include/openssl or libcrypto.a" >&2
  exit 1
fi
cp -a "$(dirname "$(dirname "$header")")/." "$stage/include/"
cp -a "$(dirname "$library")/." "$stage/lib/"
if grep -qF -e "$work" -e "$cache" "$stage/lib/libcrypto.a" ||
  ! grep -qF "$openssl_home/ssl" "$stage/lib/libcrypto.a"; then
  echo "$0: libcrypto.a names a build folder, or not $openssl_home/ssl" >&2
  exit 1
fi

echo "libarchive ..."
unpack libarchive
# The readers Ferry uses (zip, with deflate from zlib); no compressors or formats beyond what
# Debian's own build would need here, no programs, no tests.
cmake_build "$src" "$work/libarchive-build" -DENABLE_OPENSSL=OFF -DENABLE_MBEDTLS=OFF \
  -DENABLE_NETTLE=OFF -DENABLE_LZMA=OFF -DENABLE_LZO=OFF -DENABLE_LZ4=OFF -DENABLE_BZip2=OFF \
  -DENABLE_ZSTD=OFF -DENABLE_LIBB2=OFF -DENABLE_LIBXML2=OFF -DENABLE_EXPAT=OFF \
  -DENABLE_PCREPOSIX=OFF -DENABLE_PCRE2POSIX=OFF -DENABLE_ICONV=OFF -DENABLE_CNG=OFF \
  -DENABLE_TAR=OFF -DENABLE_CPIO=OFF -DENABLE_CAT=OFF -DENABLE_UNZIP=OFF -DENABLE_TEST=OFF \
  -DENABLE_ACL=OFF -DENABLE_XATTR=OFF -DENABLE_WERROR=OFF -DZLIB_ROOT="$stage"
# libarchive builds a DLL beside the static library whatever BUILD_SHARED_LIBS says: keep the
# static one under the name -larchive finds.
rm -f "$stage/lib/libarchive.dll.a" "$stage/bin/libarchive.dll"
mv "$stage/lib/libarchive_static.a" "$stage/lib/libarchive.a"

echo "libssh ..."
unpack libssh
# libssh with OpenSSL's cryptography (built above) and zlib, client side only; static, as
# BUILD_SHARED_LIBS=OFF makes it (BUILD_STATIC_LIB would add a second libssh.a).
cmake_build "$src" "$work/libssh-build" -DWITH_EXAMPLES=OFF \
  -DUNIT_TESTING=OFF -DCLIENT_TESTING=OFF -DWITH_GSSAPI=OFF -DWITH_SERVER=OFF -DWITH_PCAP=OFF \
  -DWITH_ZLIB=ON -DWITH_SYMBOL_VERSIONING=OFF -DOPENSSL_ROOT_DIR="$stage" \
  -DOPENSSL_USE_STATIC_LIBS=ON -DZLIB_ROOT="$stage"

echo "headers ..."
cp -a /usr/include/boost "$stage/headers/"
cp -a /usr/include/fmt /usr/include/spdlog /usr/include/tl /usr/include/catch2 "$stage/headers/"

# The libraries were installed into the staging folder. The pkg-config files find their prefix
# from where they are (${pcfiledir}): found through current/, they give paths under current/,
# which stay right when a later build replaces the prefix behind it (CMake keeps what pkg-config
# said in its cache). The CMake files that name the staging folder name the prefix instead.
sed -i -e 's|^prefix=.*|prefix=${pcfiledir}/../..|' -e "s|$stage|\${prefix}|g" \
  "$stage"/lib/pkgconfig/*.pc  # libssh's names its folders outright
grep -rlF "$stage" "$stage/lib/cmake" "$stage/share" 2>/dev/null |
  while read -r file; do
    sed -i "s|$stage|$prefix|g" "$file"
  done
printf '%s' "$versions" >"$stage/VERSIONS"
rm -rf "$prefix"
mv "$stage" "$prefix"
ln -sfn "$key" "$cache/current"
# Earlier prefixes (other sources or an older script) are not used again: removed.
find "$cache" -mindepth 1 -maxdepth 1 -type d -regextype posix-extended -regex '.*/[0-9a-f]{16}' \
  ! -name "$key" -exec rm -rf {} +
echo "built in $(($(date +%s) - started)) s: $prefix"
cat "$prefix/VERSIONS"
