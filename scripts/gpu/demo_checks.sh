#!/usr/bin/env bash
# On the GPU machine: the demo model in transformers vs moa (same greedy answers on 20 fresh
# 8k prompts), and CPU forward speed ours vs transformers (2 threads, same machine).
set -uo pipefail
B=${BUILD:-build-gpu}
cmake -S . -B $B -G Ninja -DCMAKE_BUILD_TYPE=Release -DMOA_BUILD_APP=OFF > $OUT/cmake.log 2>&1 || { tail -20 $OUT/cmake.log; exit 1; }
ninja -C $B moa bench_model 2>&1 | grep -E "error|FAILED" -A5 | head -30
W=/tmp/demo_checks; mkdir -p $W
$B/app/moa longeval gen --tokens 8192 --tokenizer bytes --reserve 7 --keys pseudo --depths 0,0.25,0.5,0.75,1 --per-depth 4 --seed 20261125 --out $W/p8k.jsonl 2>/dev/null
$B/app/moa eval --model resources/demo-model --dense --data $W/p8k.jsonl --device cuda --out $OUT/moa_eval_8k_cuda.json --quiet
python3 scripts/gpu/demo_hf_check.py resources/demo-model $W/p8k.jsonl $OUT/moa_eval_8k_cuda.json 20 2>&1 | grep -v -i warn | tee $OUT/demo_hf_check.txt
for N in 1024 4096; do
  $B/bench/bench_model --model tests/data/tiny_hf --device cpu --threads 2 --prefill $N --decode 2 | tee -a $OUT/cpu_bench.jsonl
  python3 bench/hf_cpu.py tests/data/tiny_hf $N 2 2>/dev/null | tail -1 | tee -a $OUT/cpu_bench.jsonl
  $B/bench/bench_model --model resources/demo-model --device cpu --threads 2 --prefill $N --decode 2 | tee -a $OUT/cpu_bench.jsonl
  python3 bench/hf_cpu.py resources/demo-model $N 2 2>/dev/null | tail -1 | tee -a $OUT/cpu_bench.jsonl
done
