#!/bin/sh
# Builds the release preset, runs bench_tokens on one core, then prints OpenSSL's own figures for
# the primitives underneath, for comparison. Usage: tests/bench/run_bench_tokens.sh [seconds]
set -eu
cd "$(dirname "$0")/../.."
build_dir=${FERRY_BENCH_BUILD_DIR:-build/release}
seconds=${1:-1}

cmake --preset release -B "$build_dir" >/dev/null
cmake --build "$build_dir" --target bench_tokens
echo
"$build_dir/tests/bench/bench_tokens" "$seconds"

echo
echo "openssl speed, for comparison ($(openssl version)):"
openssl speed -seconds 2 -evp aes-256-ctr 2>/dev/null | grep -E '^(type|AES-256-CTR)'
openssl speed -seconds 2 -evp sha256 2>/dev/null | grep -E '^(type|sha256)'
openssl speed -seconds 2 -hmac sha256 2>/dev/null | grep -E '^(type|hmac)'
