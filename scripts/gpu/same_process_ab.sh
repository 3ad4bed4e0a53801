#!/usr/bin/env bash
# On the GPU machine, one call: our prefill (`automatic`), PyTorch SDPA and FlexAttention timed
# interleaved in one process (bench/kernels/same_process.py), for this tree and for every other
# source tree named in BASES ("label=dir ...", default "base=.ab-base"; a tree is e.g. `git archive
# <commit> CMakeLists.txt kernels bench tests` with this tree's bench/kernels/{CMakeLists.txt,
# prefill_capi.cpp} copied in; missing dirs are skipped), in the same rounds. `again=.` times this
# tree a second time as its own build: the spread between two copies of one version is the noise
# floor that a difference between versions has to clear (METHOD.md). The plans come from bench_kernels (8k and 32k, rho 1 / 0.5 / 0.25).
# Logs and JSON under $OUT.
set -uo pipefail
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
BASES=${BASES:-base=.ab-base}
nvidia-smi --query-gpu=name,clocks.sm,clocks.max.sm,memory.total --format=csv,noheader
build() {  # source dir, build dir, targets...
  local src=$1 dir=$2; shift 2
  cmake -S "$src" -B "$dir" -G Ninja -DMOA_KERNELS_ONLY=ON -DCMAKE_BUILD_TYPE=Release > "$dir.configure.log" 2>&1 ||
    { tail -30 "$dir.configure.log"; return 1; }
  ninja -C "$dir" "$@" > "$dir.build.log" 2>&1 || { grep -E "error|FAILED" "$dir.build.log" | head -40; return 1; }
}
build . /tmp/bk bench_kernels moa_prefill_capi || exit 1
libs=(head=/tmp/bk/bench/kernels/libmoa_prefill_capi.so)
for pair in $BASES; do
  label=${pair%%=*} dir=${pair#*=}
  [ -d "$dir" ] || { echo "warning: $label: no source tree $dir, not timed"; continue; }
  build "$dir" "/tmp/bk-$label" moa_prefill_capi && libs+=("$label=/tmp/bk-$label/bench/kernels/libmoa_prefill_capi.so")
done
MOA_BENCH_IMPLS=automatic MOA_BENCH_REPEATS=1 MOA_BENCH_NO_DECODE=1 timeout 120 /tmp/bk/bench/kernels/bench_kernels \
  "$OUT/kernels.json" 2>&1 | grep -E "^prefill" | cut -c1-150
PYTHONUNBUFFERED=1 timeout ${SP_TIMEOUT:-400} python3 bench/kernels/same_process.py "$OUT/kernels.json" "${libs[@]}" \
  2> "$OUT/same_process.err"
echo "same_process rc=$?"; grep -E "^N=|Error|error" "$OUT/same_process.err" | cut -c1-220 | tail -12
# SASS=1: the machine code of the bf16 TMA kernel with carrying consumers (what `automatic` runs
# at D = 128) of every build, to $OUT/sass.tgz (sass_<label>.txt), with its opcode counts side by side.
if [ "${SASS:-0}" = 1 ]; then
  for pair in "${libs[@]}"; do
    label=${pair%%=*} lib=${pair#*=}
    cuobjdump -sass "$lib" | awk '/Function : .*wgmma_tma_kernel.*bfloat16.*Lb1E/{on=1} /Function : /&&!/wgmma_tma_kernel.*bfloat16.*Lb1E/{on=0} on' \
      > "/tmp/sass_$label.txt" || echo "cuobjdump failed for $label"
  done
  tar czf "$OUT/sass.tgz" -C /tmp $(cd /tmp && ls sass_*.txt)  # one file back, not one per build
  python3 - /tmp/sass_*.txt <<'PY'
import collections, re, sys
counts = {}
for path in sys.argv[1:]:
    c = collections.Counter()
    for line in open(path):
        m = re.match(r"\s+/\*[0-9a-f]{4,}\*/\s+(?:@!?U?P\w+\s+)?([A-Z][A-Z0-9_]*)", line)
        if m:
            c["(all)"] += 1
            c[m.group(1)] += 1
    counts[path.rsplit("sass_", 1)[1][:-4]] = c
ops = sorted(set().union(*counts.values()), key=lambda o: -max(c[o] for c in counts.values()))
print("opcode " + " ".join(f"{k:>10}" for k in counts))
for o in ops[:40]:
    print(f"{o:<12}" + " ".join(f"{c[o]:>10}" for c in counts.values()))
PY
fi
