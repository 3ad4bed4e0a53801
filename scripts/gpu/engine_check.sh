#!/usr/bin/env bash
# On the GPU machine: build, the engine's GPU test, `moa generate` on the demo model (CUDA and
# CPU reference), and batch-1 decode latency with and without the CUDA graph. Logs under $OUT.
set -uo pipefail
B=${BUILD:-/tmp/be}
cmake -S . -B $B -G Ninja -DCMAKE_BUILD_TYPE=Release -DMOA_BUILD_APP=OFF > $OUT/cmake.log 2>&1 || { tail -40 $OUT/cmake.log; exit 1; }
ninja -C $B moa test_engine test_moa_cache > $OUT/build.log 2>&1 || { grep -E -A5 "error|FAILED" $OUT/build.log | head -80; exit 1; }
$B/tests/test_moa_cache 2>&1 | tail -1
timeout 150 $B/tests/test_engine 2>&1 | tee $OUT/test_engine.log | grep -E "OK \]|FAILED|PASSED|near-tie|memory|Failure|Which|step" | head -40
P="Record:
line alpha-7: REGISTER_CONTENT is <4182>
line beta-2: REGISTER_CONTENT is <9031>
What is the number in line beta-2? I need the number."
for d in cuda cpu; do timeout 60 $B/app/moa generate --model resources/demo-model --prompt "$P" --max-new-tokens 12 --device $d 2>&1 | tee -a $OUT/generate.log; done
for g in "" --no-graph; do timeout 60 $B/app/moa bench e2e --shape llama3-8b --density 0.5 --spread 0.3 --prompt-lengths 4096 --new-tokens 64 --batch 1 $g 2>&1 | tee -a $OUT/latency.log | cut -c1-260; done
