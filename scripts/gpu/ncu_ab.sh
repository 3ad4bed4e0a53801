#!/usr/bin/env bash
# On the GPU machine: the duration of the prefill `automatic` kernel (bf16 TMA kernel, D = 128)
# of several builds, as Nsight Compute measures each launch in isolation (gpu__time_duration, one
# pass, clocks left alone). Unlike back-to-back timing this sees the kernel without the card's
# power and clock drift under sustained load, so a difference of 1-2% between builds shows.
# TREES="label=dir ..." (default "head=. base=.ab-base"; a dir as in same_process_ab.sh), plans
# of bench_kernels (NCU_N: 8192 32768; NCU_RHO: 1 0.5 0.25), builds and plans interleaved; per
# plan and build the median over the launches bench_kernels makes. Table on stdout, CSV in $OUT.
set -uo pipefail
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
TREES=${TREES:-"head=. base=.ab-base"}
labels=()
for pair in $TREES; do
  label=${pair%%=*} dir=${pair#*=}
  cmake -S "$dir" -B "/tmp/ncu-$label" -G Ninja -DMOA_KERNELS_ONLY=ON -DCMAKE_BUILD_TYPE=Release > "/tmp/ncu-$label.cfg.log" 2>&1 &&
    ninja -C "/tmp/ncu-$label" bench_kernels > "/tmp/ncu-$label.build.log" 2>&1 && labels+=("$label") ||
    echo "warning: $label ($dir) did not build"
done
csv="$OUT/ncu_ab.csv"; echo "n,rho,build,launch,ns" > "$csv"
for round in $(seq 1 ${NCU_ROUNDS:-2}); do
  for n in ${NCU_N:-8192 32768}; do
    for rho in ${NCU_RHO:-1 0.5 0.25}; do
      for label in "${labels[@]}"; do
        MOA_BENCH_PREFILL_N=$n MOA_BENCH_RHO=$rho MOA_BENCH_IMPLS=automatic MOA_BENCH_REPEATS=1 MOA_BENCH_NO_DECODE=1 \
          timeout 120 ncu --clock-control none --kernel-name regex:wgmma_tma_kernel --metrics gpu__time_duration.sum --csv \
          "/tmp/ncu-$label/bench/kernels/bench_kernels" /tmp/ncu_ab_kernels.json 2> /dev/null |
          python3 -c '
import csv, sys
n, rho, label = sys.argv[1:4]
rows = [r for r in csv.reader(l for l in sys.stdin if l.startswith("\""))]
if not rows: sys.exit(0)
ix = {h: i for i, h in enumerate(rows[0])}
for k, r in enumerate(rows[1:]):
    if r[ix["Metric Name"]] == "gpu__time_duration.sum":
        v = float(r[ix["Metric Value"]].replace(",", "")); unit = r[ix["Metric Unit"]]
        ns = v * {"nsecond": 1, "ns": 1, "usecond": 1e3, "us": 1e3, "msecond": 1e6, "ms": 1e6, "second": 1e9, "s": 1e9}[unit.strip()]
        print(f"{n},{rho},{label},{k},{ns:.0f}")' "$n" "$rho" "$label" >> "$csv"
      done
    done
  done
done
python3 - "$csv" <<'PY'
import csv, statistics as st, sys
rows = list(csv.DictReader(open(sys.argv[1])))
keys = sorted({(int(r["n"]), float(r["rho"])) for r in rows}, key=lambda k: (k[0], -k[1]))
builds = list(dict.fromkeys(r["build"] for r in rows))
print("ncu isolated kernel durations, median over launches (count); ratio to the first build")
print(f"{'N':>6} {'rho':>5} " + " ".join(f"{b:>22}" for b in builds))
for n, rho in keys:
    meds = {}
    cells = []
    for b in builds:
        v = [float(r["ns"]) / 1e6 for r in rows if int(r["n"]) == n and float(r["rho"]) == rho and r["build"] == b]
        meds[b] = st.median(v) if v else float("nan")
        cells.append(f"{meds[b]:8.4f} ms ({len(v):2d}) {meds[b] / meds[builds[0]]:5.3f}" if v else f"{'-':>22}")
    print(f"{n:>6} {rho:>5} " + " ".join(cells))
PY
