#!/usr/bin/env bash
# On the GPU machine, first call of a session: build everything the GPU needs into build-gpu (kept
# on a warm machine for the next call), the `gpu` tests, bench_kernels (every implementation) and
# the L2 chunk sweep of the persistent prefill. Logs and JSON under $OUT.
set -uo pipefail
B=build-gpu
nvidia-smi --query-gpu=name,clocks.sm,clocks.max.sm,memory.total --format=csv,noheader | tee "$OUT/gpu.txt"
cmake -S . -B $B -G Ninja -DCMAKE_BUILD_TYPE=Release -DMOA_BUILD_APP=OFF > "$OUT/cmake.log" 2>&1 || { tail -40 "$OUT/cmake.log"; exit 1; }
targets="moa bench_kernels test_engine test_fused_ops test_kernel_prefill test_kernel_decode test_kernel_influence test_influence_kernel"
ninja -C $B $targets > "$OUT/build.log" 2>&1 || { grep -E -A5 "error|FAILED" "$OUT/build.log" | head -60; exit 1; }
echo "build done $(date +%T)"
timeout 200 ctest --test-dir $B -L gpu --timeout 150 > "$OUT/ctest_gpu.log" 2>&1; echo "ctest rc=$?"
grep -E "Test +#|tests passed|FAILED|Failure" "$OUT/ctest_gpu.log" | tail -12
timeout 100 $B/bench/kernels/bench_kernels "$OUT/kernels.json" > "$OUT/bench.log" 2>&1; echo "bench rc=$?"
grep -v "^  prefill" "$OUT/bench.log"
timeout 150 bash bench/kernels/l2_sweep.sh $B/bench/kernels/bench_kernels ${SWEEP_ROUNDS:-3} ${SWEEP_MB:-16 32 48 0} | tee "$OUT/l2_sweep.txt" | cut -c1-120
