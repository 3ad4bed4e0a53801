#!/usr/bin/env bash
# On the GPU machine: build the engine, run its GPU test, then `moa bench e2e` (ours, MoA and
# dense, max batch) and the transformers baseline (bench/hf_e2e.py), all in one call.
# Logs and JSON under $OUT.
set -uo pipefail
B=${BUILD:-/tmp/be}
LENGTHS=${LENGTHS:-4096,8192,16384}
cmake -S . -B $B -G Ninja -DCMAKE_BUILD_TYPE=Release -DMOA_BUILD_APP=OFF > $OUT/cmake.log 2>&1 || { tail -40 $OUT/cmake.log; exit 1; }
ninja -C $B moa test_engine test_moa_cache > $OUT/build.log 2>&1 || { grep -E -A5 "error|FAILED" $OUT/build.log | head -80; exit 1; }
echo "build done $(date +%T)"
$B/tests/test_moa_cache 2>&1 | tail -3
timeout 150 $B/tests/test_engine 2>&1 | tee $OUT/test_engine.log | grep -E "OK|FAILED|PASSED|agreement|memory|Failure|error|Expected|Which|actual" | head -60
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm --format=csv,noheader | tee $OUT/gpu.txt
timeout 170 $B/app/moa bench e2e --shape llama3-8b --random-seed 8 --density 0.5 --spread 0.3 \
  --prompt-lengths $LENGTHS --new-tokens 64 --max-batch --out $OUT/e2e.json 2>&1 | tee $OUT/e2e.log | cut -c1-400
PYTHONUNBUFFERED=1 timeout 150 python3 bench/hf_e2e.py $LENGTHS 64 $OUT/hf_e2e.jsonl 2>&1 | grep -v Warning | tail -8
