#!/usr/bin/env bash
# On the GPU machine, after scripts/gpu/demo_acceptance.sh (PIPE_OUT holds run.moaprof.h5 and
# longeval.jsonl): MoA's plan selection by validation — the Pareto plans at each budget, the
# real answer loss of each at 8192 tokens (16 demo records), the best one evaluated on the
# pipeline's 40 prompts like the pipeline's own plans.
set -uo pipefail
B=${BUILD:-build-gpu}
M=${MODEL:-resources/demo-model}
P=${PIPE_OUT:?}
for b in 0.5 0.25; do
  $B/app/moa plans --profile $P/run.moaprof.h5 --budget $b --alpha-step 256 --points ${POINTS:-4} \
    --validate-model $M --validate-demo-length 8192 --validate-records ${RECORDS:-16} --validate-device cuda \
    --select-out $P/selected_$b.moaplan.json
  $B/app/moa eval --model $M --plan $P/selected_$b.moaplan.json --data $P/longeval.jsonl --device cuda \
    --out $P/eval_selected_$b.json --quiet
done
