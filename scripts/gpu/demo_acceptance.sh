#!/usr/bin/env bash
# On the GPU machine: issue 7's acceptance on the demo model at its longest level (8192):
# the main job's pipeline with profiling and evaluation on CUDA, 40 fresh prompts at 8k,
# perplexity on 8 answer-only records; plans selected among each budget's Pareto set by the real
# answer loss on 16 held-out 8k records (VALIDATE=0: one CBC plan per budget, no selection).
# Results: $OUT/pipe8k (report.md, eval_*.json, plans).
set -uo pipefail
B=${BUILD:-build-gpu}
cmake -S . -B $B -G Ninja -DCMAKE_BUILD_TYPE=Release -DMOA_BUILD_APP=OFF > $OUT/cmake.log 2>&1 || { tail -20 $OUT/cmake.log; exit 1; }
ninja -C $B moa 2>&1 | grep -E "error|FAILED" -A5 | head -30
$B/app/moa pipeline --model ${MODEL:-resources/demo-model} --device cuda --lengths ${LENGTHS:-2048,4096,8192} --samples ${SAMPLES:-4} --eval-lengths 8192 \
  --eval-prompts ${PROMPTS:-40} --ppl-records ${PPL:-8} --seed ${SEED:-2026} --out ${PIPE_OUT:-$OUT/pipe8k} \
  --validate-records ${VALIDATE:-16} --validate-length 8192
