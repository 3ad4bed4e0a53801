#!/usr/bin/env bash
# On the GPU machine: build (build-gpu), the decode kernel's and the engine's GPU tests, the decode
# rows of bench_kernels, then scripts/gpu/e2e_bench.sh's measurements (ours MoA + dense at the
# largest batch, transformers at its largest batch) in the same call. Logs and JSON under $OUT.
set -uo pipefail
B=build-gpu
cmake -S . -B $B -G Ninja -DCMAKE_BUILD_TYPE=Release -DMOA_BUILD_APP=OFF > "$OUT/cmake.log" 2>&1 || { tail -40 "$OUT/cmake.log"; exit 1; }
ninja -C $B moa bench_kernels test_engine test_moa_cache test_kernel_decode > "$OUT/build.log" 2>&1 || { grep -E -A5 "error|FAILED" "$OUT/build.log" | head -60; exit 1; }
echo "build done $(date +%T)"
for t in test_kernel_decode test_moa_cache test_engine; do timeout 150 $B/tests/$t > "$OUT/$t.log" 2>&1; echo "$t rc=$? $(grep -E 'PASSED|FAILED' "$OUT/$t.log" | tail -2 | tr '\n' ' ')"; done
MOA_BENCH_PREFILL_N=none timeout 60 $B/bench/kernels/bench_kernels /tmp/decode.json | grep -E "device|decode"
timeout 200 $B/app/moa bench e2e --shape llama3-8b --random-seed 8 --density 0.5 --spread 0.3 \
  --prompt-lengths ${LENGTHS:-4096,8192,16384} --new-tokens 64 --max-batch --out "$OUT/e2e.json" 2>&1 | tee "$OUT/e2e.log" | cut -c1-200
[ -n "${SKIP_HF:-}" ] || PYTHONUNBUFFERED=1 timeout 200 python3 bench/hf_e2e.py ${LENGTHS:-4096,8192,16384} 64 "$OUT/hf_e2e.jsonl" 2>&1 | grep -v Warning | tail -4
