#!/usr/bin/env bash
# On the GPU machine: build, write checkpoints with our tool, check logits against
# transformers, and time load/prefill/decode against transformers. Results under $OUT.
set -uo pipefail
B=${BUILD:-build-gpu}
W=/tmp/moa_checks; mkdir -p $W
moa=$B/app/moa

$moa init-checkpoint --overwrite --shape tiny --random-seed 2 --schema v5 --out $W/tiny_v5 >/dev/null
$moa init-checkpoint --overwrite --shape tiny-linear --random-seed 3 --out $W/tiny_linear_tied >/dev/null
$moa init-checkpoint --overwrite --shape tiny-llama3 --random-seed 4 --schema v5 --out $W/tiny_llama3_v5 >/dev/null
$moa init-checkpoint --overwrite --shape llama3-8b --layers 2 --random-seed 5 --schema v5 --out $W/llama3_8b_2l --shard-mb 2000
python3 scripts/gpu/hf_parity.py --moa $moa --work $W/p --out $OUT/parity.json \
  --fixture $OUT/hf_logits.json tests/data/tiny_hf $W/tiny_v5 $W/tiny_linear_tied $W/tiny_llama3_v5 $W/llama3_8b_2l 2>&1 | grep -v Warning
