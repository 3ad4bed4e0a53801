#!/usr/bin/env bash
# On the GPU machine: build `moa` and train the demo model; the checkpoint (sharded so the
# files travel back) lands in $OUT/demo-model. Merge locally: scripts/merge_safetensors.py.
set -euo pipefail
B=${BUILD:-build-gpu}
MINUTES=${MINUTES:-7}
cmake -S . -B $B -G Ninja -DCMAKE_BUILD_TYPE=Release -DMOA_BUILD_APP=OFF >/dev/null
ninja -C $B moa >/dev/null
nvidia-smi --query-gpu=name --format=csv,noheader
/usr/bin/time -v $B/app/moa train-demo --out $OUT/demo-model --device cuda --seed 1 --steps ${STEPS:-6000} \
  --minutes $MINUTES --tokens-per-step 65536 --max-len 8192 --eval-every ${EVAL_EVERY:-500} --eval-prompts 20 --shard-mb 15 \
  --stage0 ${STAGE0:-1500} --stage1 ${STAGE1:-1200} --eval-lengths ${EVAL_LENGTHS:-768,1536,2048,4096,8192} ${EXTRA:-} \
  2> $OUT/time.txt | tee $OUT/train_stdout.txt
# CHECK=1: then check the new checkpoint (moa eval on CUDA at 2k/4k/8k, transformers answers).
if [ "${CHECK:-0}" = 1 ]; then MODEL=$OUT/demo-model CPU_BENCH=0 BUILD=$B bash scripts/gpu/demo_checks.sh; fi
