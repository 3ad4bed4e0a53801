#!/usr/bin/env bash
# On the GPU machine: widen the demo model to one KV head per query head (each KV head copied to
# the query heads of its group: the same function at step 0) and fine-tune it with a group lasso
# on every head's output path (structured head pruning), at one or more strengths side by side.
# Weights come back as $OUT/models.tar.* (split to fit the transfer limits; `cat` them, untar).
set -euo pipefail
B=${BUILD:-build-gpu}
cmake -S . -B $B -G Ninja -DCMAKE_BUILD_TYPE=Release -DMOA_BUILD_APP=OFF > /tmp/cmake.log 2>&1 || { tail -30 /tmp/cmake.log; exit 1; }
ninja -C $B moa > /tmp/ninja.log 2>&1 || { grep -A8 -E "error|FAILED" /tmp/ninja.log | head -40; exit 1; }
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
for lam in ${LASSOS:-0.003 0.01}; do
  $B/app/moa train-demo --out /tmp/wide/lasso_$lam --device cuda --seed 1 --steps ${STEPS:-3000} --minutes ${MINUTES:-5} \
    --tokens-per-step 65536 --max-len 8192 --stage0 1500 --stage1 1200 --init ${INIT:-resources/demo-model} \
    --start-step ${START:-19000} --kv-heads 6 --head-lasso $lam --lr ${LR:-2e-4} --warmup 50 --full-row-fraction 0.4 \
    --eval-every 0 --eval-lengths ${EVAL_LENGTHS:-2048,4096,8192} --eval-prompts 20 > $OUT/train_$lam.txt 2>&1 &
done
wait
# Small files first: the transfer back keeps at most 64 MB.
(cd /tmp/wide && tar -cf - */config.json */train_log.txt */model.safetensors) | split -b 15M - $OUT/models.tar.
grep -h -E "final eval|^step .*(00|99) " $OUT/train_*.txt | tail -12
