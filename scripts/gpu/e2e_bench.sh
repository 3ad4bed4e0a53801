#!/usr/bin/env bash
# On the GPU machine, one call: build (build-gpu), the engine's GPU tests (fused decode ops, decode
# kernel, cache, engine vs the CPU reference), batch-1 decode latency with and without the CUDA graph, then
# `moa bench e2e` (ours, MoA and dense, largest batch) and the transformers baseline
# (bench/hf_e2e.py, its largest batch). LENGTHS, SKIP_HF=1 adjust it. Logs and JSON under $OUT
# (at most 8 files come back).
set -uo pipefail
B=build-gpu
cmake -S . -B $B -G Ninja -DCMAKE_BUILD_TYPE=Release -DMOA_BUILD_APP=OFF > /tmp/cmake.log 2>&1 || { tail -40 /tmp/cmake.log; exit 1; }
ninja -C $B moa test_engine test_moa_cache test_fused_ops test_kernel_decode > /tmp/build.log 2>&1 || { grep -E -A5 "error|FAILED" /tmp/build.log | head -60; exit 1; }
echo "build done $(date +%T)"
for t in test_fused_ops test_kernel_decode test_moa_cache test_engine; do timeout 150 $B/tests/$t > /tmp/$t.log 2>&1; echo "$t rc=$? $(grep -E 'PASSED|FAILED|SKIPPED \]' /tmp/$t.log | tail -3 | tr '\n' ' ')"; done
cat /tmp/test_fused_ops.log /tmp/test_kernel_decode.log /tmp/test_engine.log > "$OUT/tests.log"
for g in "" --no-graph; do timeout 60 $B/app/moa bench e2e --shape llama3-8b --density 0.5 --spread 0.3 --prompt-lengths 4096 \
  --new-tokens 64 --batch 1 $g 2>&1 | grep -o '"mode":"[a-z]*".*"step_ms":[0-9.]*' | sed 's/"plan".*"step_ms"/ step_ms/' | tee -a "$OUT/latency.log"; done
timeout 200 $B/app/moa bench e2e --shape llama3-8b --random-seed 8 --density 0.5 --spread 0.3 \
  --prompt-lengths ${LENGTHS:-4096,8192,16384} --new-tokens 64 --max-batch --out "$OUT/e2e.json" 2>&1 | tee "$OUT/e2e.log" | cut -c1-200
[ -n "${SKIP_HF:-}" ] || PYTHONUNBUFFERED=1 timeout 200 python3 bench/hf_e2e.py ${LENGTHS:-4096,8192,16384} 64 "$OUT/hf_e2e.jsonl" 2>&1 | grep -v Warning | tail -4
