#!/usr/bin/env bash
# On the GPU machine: which KV heads the demo model's 8k retrieval needs. For each (layer, KV
# head), that head alone is cut to sink + 256 tokens (all others dense) and `moa eval` scores 40
# fresh 8k prompts; then hand-made plans: only the heads of each set in KEEP (";"-separated sets
# of LxKy) stay dense, all others get the rule OTHER ("alpha,beta"; default sink + 256 tokens).
# Uses a plan file from the pipeline (PLAN, any moa-plan JSON of this model) as the template.
set -uo pipefail
B=${BUILD:-build-gpu}
M=${MODEL:-resources/demo-model}
W=${WORK:-/tmp/ablation}; mkdir -p $W
$B/app/moa longeval gen --tokens 8192 --tokenizer bytes --reserve 7 --keys pseudo --depths 0,0.25,0.5,0.75,1 \
  --per-depth 8 --seed 777 --out $W/p8k.jsonl > /dev/null
python3 - "$PLAN" $W "${KEEP:-}" "${OTHER:-256,0}" <<'PY'
import json, sys, itertools
tpl = json.load(open(sys.argv[1])); w = sys.argv[2]
keep_sets = [s for s in sys.argv[3].split(";") if s]
other = [float(x) for x in sys.argv[4].split(",")]
L, K = tpl["num_layers"], tpl["num_kv_heads"]
def write(name, rules):
    p = dict(tpl); p["rules"] = rules; p["locked"] = [[False] * K for _ in range(L)]
    json.dump(p, open(f"{w}/{name}.json", "w"))
dense, local = [0.0, 1.0], [256.0, 0.0]
for l, k in itertools.product(range(L), range(K)):
    write(f"cut_L{l}K{k}", [[local if (i, j) == (l, k) else dense for j in range(K)] for i in range(L)])
for s in keep_sets:
    keep = set(s.split(","))
    write("keep_" + s.replace(",", "+"), [[dense if f"L{i}K{j}" in keep else other for j in range(K)] for i in range(L)])
PY
[ "${SKIP_CUTS:-0}" = 1 ] && rm -f $W/cut_*.json
shopt -s nullglob
for f in $W/cut_*.json $W/keep_*.json; do
  n=$(basename $f .json)
  $B/app/moa eval --model $M --plan $f --data $W/p8k.jsonl --device cuda --out $W/eval_$n.json --quiet > /dev/null
  python3 -c "import json,sys; r=json.load(open(sys.argv[1])); o=r['retrieval']['overall']; print(sys.argv[2], 'density %.3f' % r['mean_density'], o['correct'], '/', o['total'])" $W/eval_$n.json $n
done
