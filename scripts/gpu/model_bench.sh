#!/usr/bin/env bash
# On the GPU machine: Llama-3-8B-shape (random bf16) load / prefill / decode, ours vs
# transformers in the same run. Results (JSON lines) under $OUT/model_bench.jsonl.
set -uo pipefail
B=${BUILD:-build-gpu}
W=/tmp/moa_bench; mkdir -p $W
t0=$(date +%s.%N)
$B/app/moa init-checkpoint --overwrite --shape llama3-8b --random-seed 8 --out $W/llama3_8b --shard-mb 5000
echo "init-checkpoint seconds: $(echo "$(date +%s.%N) - $t0" | bc)"
sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
for N in 4096; do
  $B/bench/bench_model --model $W/llama3_8b --device cuda --prefill $N --decode 64 --batch 1 | tee -a $OUT/model_bench.jsonl
  sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
  python3 bench/hf_model.py $W/llama3_8b $N 64 1 2>/dev/null | tail -1 | tee -a $OUT/model_bench.jsonl
done
$B/bench/bench_model --model tests/data/tiny_hf --device cpu --threads 2 --prefill 1024 --decode 32 | tee -a $OUT/model_bench.jsonl
