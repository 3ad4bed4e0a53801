#!/bin/bash
# CPU experiment: per-query-head (MHA-expanded) plans at 25% on the GQA demo model, 8k.
set -x
cd /work/main; M=resources/demo-model; D=/tmp/pq; X=build/app/moa
time $X calib build --model $M --demo --count 2 --seed 2026 --lengths 2048,4096,8192 --out $D/calib.jsonl --device cpu --quiet
time $X profile --model $M --calib $D/calib.jsonl --lengths 2048,4096,8192 --samples 2 --out $D/run.moaprof.h5 --overwrite --threads 2 --quiet
time $X plans --profile $D/run.moaprof.h5 --budget 0.25 --granularity head --alpha-step 256 --points 4 --validate-model $M --validate-demo-length 8192 --validate-records 8 --validate-device cpu --select-out $D/sel_head_0.25.json
$X longeval gen --tokens 8192 --tokenizer bytes --reserve 7 --keys pseudo --depths 0,0.25,0.5,0.75,1 --per-depth 8 --seed 20261125 --out $D/le8k.jsonl
time $X eval --model $M --plan $D/sel_head_0.25.json --data $D/le8k.jsonl --out $D/eval_head_0.25.json --threads 2
echo DONE
