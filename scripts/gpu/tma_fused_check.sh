#!/usr/bin/env bash
# On the GPU machine, one call (the one that measured TMA vs cp.async, 2026-12-03): build, every `gpu` test (the TMA prefill
# producer and the fused q|k|v / gate|up weights included), wgmma_ws vs wgmma_tma prefill timed in
# the same process (ROUNDS rounds), then the 8k end-to-end point with the transformers baseline.
set -uo pipefail
B=build-gpu
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
cmake -S . -B $B -G Ninja -DCMAKE_BUILD_TYPE=Release -DMOA_BUILD_APP=OFF > /tmp/cmake.log 2>&1 || { tail -40 /tmp/cmake.log; exit 1; }
ninja -C $B > /tmp/build.log 2>&1 || { grep -E -A5 "error|FAILED" /tmp/build.log | head -60; exit 1; }
echo "build done $(date +%T)"
MOA_KERNEL_TEST_TIMEOUT_S=30 timeout 300 ctest --test-dir $B -L gpu --timeout 240 > "$OUT/ctest_gpu.log" 2>&1; echo "ctest rc=$?"
grep -E "Test +#|tests passed|FAILED|Failure|HANG" "$OUT/ctest_gpu.log" | tail -14
for r in $(seq 1 ${ROUNDS:-2}); do
  MOA_BENCH_IMPLS=wgmma_ws,wgmma_tma MOA_BENCH_NO_DECODE=1 timeout 120 $B/bench/kernels/bench_kernels "$OUT/tma_vs_ws_$r.json" 2>&1 | grep -E "^prefill" | cut -c1-150
done
LENGTHS=${LENGTHS:-8192}
timeout 150 $B/app/moa bench e2e --shape llama3-8b --random-seed 8 --density 0.5 --spread 0.3 --prompt-lengths $LENGTHS \
  --new-tokens 64 --max-batch --out "$OUT/e2e.json" 2>&1 | grep -o '"batch":[0-9]*\|"decode_tokens_per_s":[0-9.]*\|"mode":"[a-z]*"\|"prompt_tokens":[0-9]*' | paste -sd' ' | sed 's/"batch"/\n"batch"/g'
echo
PYTHONUNBUFFERED=1 timeout 150 python3 bench/hf_e2e.py $LENGTHS 64 "$OUT/hf_e2e.jsonl" 2>&1 | grep -v Warning | tail -2 | cut -c1-200
