#!/bin/bash
# One GPU-machine call: build (kernels only), GPU tests, compute-sanitizer on small cases,
# benchmark + baselines. Run from the directory holding CMakeLists.txt; logs and JSON go to $OUT.
# Usage: bench/kernels/run_gpu.sh [tests|bench|all]
set -o pipefail
what=${1:-all}
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
B=/tmp/bk
nvidia-smi --query-gpu=name,clocks.sm,clocks.max.sm,memory.total --format=csv,noheader | tee "$OUT/gpu.txt"
cmake -S . -B $B -G Ninja -DMOA_KERNELS_ONLY=ON -DCMAKE_BUILD_TYPE=Release -DMOA_PTXAS_VERBOSE=ON > "$OUT/configure.log" 2>&1 || { tail -30 "$OUT/configure.log"; exit 1; }
ninja -C $B > "$OUT/build.log" 2>&1 || { grep -E "error|FAILED" "$OUT/build.log" | head -40; exit 1; }
grep -E "registers|spill" "$OUT/build.log" | sort | uniq -c | head -20
if [ "$what" != bench ]; then
  timeout 200 ctest --test-dir $B -L gpu -V 2>&1 | grep -E "^\[|\[prefill\]|\[decode\]|Passed|Failed|tests passed|FAILED|Failure|error|Expected|Which is|relative" | tee "$OUT/ctest.log" | tail -60
  export MOA_KERNEL_TEST_QUICK=1
  for tool in memcheck racecheck; do
    for t in test_kernel_prefill test_kernel_decode; do
      timeout 90 compute-sanitizer --tool $tool --error-exitcode 7 $B/tests/$t > "$OUT/san_${tool}_$t.log" 2>&1
      echo "compute-sanitizer $tool $t: rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' "$OUT/san_${tool}_$t.log" | tail -1)"
    done
  done
  unset MOA_KERNEL_TEST_QUICK
fi
if [ "$what" != tests ]; then
  timeout 120 $B/bench/kernels/bench_kernels "$OUT/kernels.json" 2>&1 | tee "$OUT/bench.log"
  PYTHONUNBUFFERED=1 timeout 240 python3 bench/kernels/baselines.py "$OUT/kernels.json" 2> "$OUT/baselines.err"; echo "baselines rc=$?"
  tail -5 "$OUT/baselines.err"
fi
