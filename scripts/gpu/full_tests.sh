#!/usr/bin/env bash
# On the GPU machine: the whole library against PyTorch's LibTorch with CUDA (build-gpu, no app),
# the `gpu` tests, and the model-load checks on the GPU (test_checkpoint: NaN/Inf weights and
# dtype overflow refused when the weights are copied to the GPU and checked there). Logs in
# $OUT/full_tests.tgz; a summary on stdout.
set -uo pipefail
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"; L=/tmp/full_tests; mkdir -p $L
B=${BUILD:-build-gpu}
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
t0=$(date +%s)
cmake -S . -B $B -G Ninja -DCMAKE_BUILD_TYPE=Release -DMOA_BUILD_APP=OFF > $L/cmake.log 2>&1 || { tail -40 $L/cmake.log; exit 1; }
targets="moa test_checkpoint test_engine test_fused_ops test_kernel_prefill test_kernel_decode test_kernel_influence test_influence_kernel test_moa_cache"
ninja -C $B $targets > $L/build.log 2>&1 || { grep -E -A5 "error|FAILED" $L/build.log | head -60; exit 1; }
echo "build $(( $(date +%s) - t0 )) s"
timeout 300 ctest --test-dir $B -L gpu --timeout 200 > $L/ctest_gpu.log 2>&1; echo "ctest -L gpu rc=$?"
grep -E "Test +#|tests passed|FAILED|Failure" $L/ctest_gpu.log | tail -12
timeout 120 $B/tests/test_checkpoint > $L/test_checkpoint.log 2>&1; echo "test_checkpoint (CUDA present) rc=$?"
grep -E "^\[  (PASSED|FAILED)|Failure|Which is|e = " $L/test_checkpoint.log | head -12
tar czf "$OUT/full_tests.tgz" -C $L .
