#!/bin/sh
# Builds the release preset's bench_sftp and runs it: Ferry's SFTP download next to OpenSSH's own
# sftp client, the same file from the same sshd on 127.0.0.1, alternately (docs/benchmarks.md).
# As root, with openssh-server installed (bash packaging/install-build-deps.sh).
#   tests/bench/bench_sftp.sh [MIB] [RUNS] [CHUNK_KIB] [IN_FLIGHT]   default 1024 3 32 64
set -eu
cd "$(dirname "$0")/../.."
build_dir=${FERRY_BENCH_BUILD_DIR:-build/release}
cmake --preset release -B "$build_dir" >/dev/null
cmake --build "$build_dir" --target bench_sftp
"$build_dir/tests/bench/bench_sftp" "$@"
