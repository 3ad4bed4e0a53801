#!/usr/bin/env bash
# On the GPU machine: the demo model's dense accuracy with `moa eval` (CUDA) on fresh prompts
# at 2k/4k/8k, transformers vs moa (same greedy answers on 20 fresh 8k prompts), and (unless
# CPU_BENCH=0) CPU forward speed ours vs transformers (2 threads, same machine).
# MODEL: checkpoint to check (default resources/demo-model); PER_DEPTH: prompts per depth (5 depths).
set -uo pipefail
B=${BUILD:-build-gpu}
M=${MODEL:-resources/demo-model}
PER_DEPTH=${PER_DEPTH:-8}
cmake -S . -B $B -G Ninja -DCMAKE_BUILD_TYPE=Release -DMOA_BUILD_APP=OFF > $OUT/cmake.log 2>&1 || { tail -20 $OUT/cmake.log; exit 1; }
ninja -C $B moa bench_model 2>&1 | grep -E "error|FAILED" -A5 | head -30
W=/tmp/demo_checks; mkdir -p $W
for L in 2048 4096 8192; do
  $B/app/moa longeval gen --tokens $L --tokenizer bytes --reserve 7 --keys pseudo --depths 0,0.25,0.5,0.75,1 \
    --per-depth $PER_DEPTH --seed 20261125 --out $W/p$L.jsonl 2>/dev/null
  $B/app/moa eval --model $M --dense --data $W/p$L.jsonl --device cuda --out $OUT/moa_eval_${L}_cuda.json --quiet
  python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print('dense', sys.argv[2], r['retrieval']['overall'])" \
    $OUT/moa_eval_${L}_cuda.json $L
done
python3 scripts/gpu/demo_hf_check.py $M $W/p8192.jsonl $OUT/moa_eval_8192_cuda.json 20 2>&1 | grep -v -i warn | tee $OUT/demo_hf_check.txt
[ "${CPU_BENCH:-1}" = 0 ] && exit 0
for N in 1024 4096; do
  $B/bench/bench_model --model tests/data/tiny_hf --device cpu --threads 2 --prefill $N --decode 2 | tee -a $OUT/cpu_bench.jsonl
  python3 bench/hf_cpu.py tests/data/tiny_hf $N 2 2>/dev/null | tail -1 | tee -a $OUT/cpu_bench.jsonl
  $B/bench/bench_model --model $M --device cpu --threads 2 --prefill $N --decode 2 | tee -a $OUT/cpu_bench.jsonl
  python3 bench/hf_cpu.py $M $N 2 2>/dev/null | tail -1 | tee -a $OUT/cpu_bench.jsonl
done
