#!/usr/bin/env bash
# On the GPU machine: the issue's prefill ratios read from isolated launches (Nsight Compute,
# bench/kernels/isolated.py) for this tree's prefill (and every other tree in TREES, "label=dir",
# as in ncu_ab.sh), PyTorch SDPA (every backend, fastest kept) and FlexAttention with the same block
# mask; then, unless SP=0, the same plans back to back in one process (same_process.py) with the
# SM clock, power and throttle reasons logged every 100 ms (nvidia-smi) during the rounds, so the
# difference between the two views can be put on the clocks or not. Tables on stdout; JSON,
# tables and the clock log in $OUT.
set -uo pipefail
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
TREES=${TREES:-}
nvidia-smi --query-gpu=name,clocks.sm,clocks.max.sm,power.limit,memory.total --format=csv,noheader
build() {  # source dir, build dir, targets...
  local src=$1 dir=$2; shift 2
  cmake -S "$src" -B "$dir" -G Ninja -DMOA_KERNELS_ONLY=ON -DCMAKE_BUILD_TYPE=Release > "$dir.configure.log" 2>&1 ||
    { tail -30 "$dir.configure.log"; return 1; }
  ninja -C "$dir" "$@" > "$dir.build.log" 2>&1 || { grep -E "error|FAILED" "$dir.build.log" | head -40; return 1; }
}
t0=$(date +%s)
build . /tmp/bk bench_kernels moa_prefill_capi || exit 1
libs=(head=/tmp/bk/bench/kernels/libmoa_prefill_capi.so)
for pair in $TREES; do
  label=${pair%%=*} dir=${pair#*=}
  build "$dir" "/tmp/bk-$label" moa_prefill_capi && libs+=("$label=/tmp/bk-$label/bench/kernels/libmoa_prefill_capi.so")
done
echo "built in $(( $(date +%s) - t0 )) s"
MOA_BENCH_IMPLS=automatic MOA_BENCH_REPEATS=1 MOA_BENCH_NO_DECODE=1 timeout 120 /tmp/bk/bench/kernels/bench_kernels \
  "$OUT/kernels.json" 2>&1 | grep -E "^prefill" | cut -c1-150
PYTHONUNBUFFERED=1 timeout ${ISO_TIMEOUT:-420} ncu --clock-control none --profile-from-start off \
  --metrics gpu__time_duration.sum --csv python3 bench/kernels/isolated.py run "$OUT/kernels.json" "${libs[@]}" \
  > /tmp/isolated_ncu.csv 2> /tmp/isolated_run.err
echo "isolated run rc=$? ($(( $(date +%s) - t0 )) s)"; grep -E "^N=|Error|error|==ERROR==" /tmp/isolated_run.err | cut -c1-200 | tail -10
cp "$OUT/isolated_order.json" /tmp/ 2> /dev/null
python3 bench/kernels/isolated.py table "$OUT/isolated_order.json" /tmp/isolated_ncu.csv
gzip -c /tmp/isolated_ncu.csv > "$OUT/isolated_ncu.csv.gz"
if [ "${SP:-1}" != 0 ]; then
  nvidia-smi --query-gpu=timestamp,clocks.sm,clocks.mem,power.draw,temperature.gpu,clocks_throttle_reasons.active \
    --format=csv,noheader -lms 100 > "$OUT/clocks.csv" 2> /dev/null &
  smi=$!
  PYTHONUNBUFFERED=1 MOA_SP_ROUNDS=${MOA_SP_ROUNDS:-3} timeout ${SP_TIMEOUT:-300} python3 bench/kernels/same_process.py \
    "$OUT/kernels.json" "${libs[@]}" 2> /tmp/same_process.err | tail -9
  echo "same_process rc=$?"; grep -E "Error|error" /tmp/same_process.err | tail -3
  kill $smi
  python3 - "$OUT/clocks.csv" <<'PY'
import collections, statistics, sys
rows = [l.split(", ") for l in open(sys.argv[1]) if l.count(",") >= 5]
busy = [r for r in rows if float(r[4].split()[0]) > 150]  # power > 150 W: a kernel is running
if busy:
    sm = [int(r[1].split()[0]) for r in busy]
    pw = [float(r[4].split()[0]) for r in busy]
    print(f"clocks while busy ({len(busy)} samples of {len(rows)}): SM MHz median {statistics.median(sm):.0f} "
          f"[{min(sm)}, {max(sm)}], power W median {statistics.median(pw):.0f} [{min(pw):.0f}, {max(pw):.0f}]")
    print("throttle reasons while busy:", dict(collections.Counter(r[5].strip() for r in busy).most_common(5)))
PY
fi
