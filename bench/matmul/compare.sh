#!/bin/sh
# compare.sh times tensor.Gemm against OpenBLAS's AVX-512 (SkylakeX) sgemm in
# one process, two threads each. Needs cgo and libopenblas-dev
# (apt-get install -y libopenblas-dev). Extra flags go to the matmul command,
# e.g. ./bench/matmul/compare.sh -impl avx512 -rounds 11.
set -eu
cd "$(dirname "$0")/../.."
dpkg -s libopenblas-dev >/dev/null 2>&1 || { echo "compare.sh: install libopenblas-dev first" >&2; exit 2; }
# Debian ships the pthread build; OPENBLAS_NUM_THREADS caps its pool. An
# OpenMP build would read OMP_NUM_THREADS, so set both.
export OPENBLAS_CORETYPE=SkylakeX OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2
bin=$(mktemp -d)/matmul
trap 'rm -rf "$(dirname "$bin")"' EXIT
CGO_ENABLED=1 go build -tags openblas -o "$bin" ./bench/matmul
"$bin" -threads 2 "$@"
