#!/usr/bin/env bash
# On the GPU machine: Nsight Compute on one launch of the prefill `automatic` kernel (the bf16 TMA
# kernel with carrying consumers at D = 128) for one plan of bench_kernels, with warp-state and
# scheduler statistics and per-instruction stall sampling; the SASS with its samples is exported
# as CSV for reading on the development machine. Needs /tmp/bk/bench/kernels/bench_kernels (built
# by same_process_ab.sh or prefill_tests.sh). Env: NCU_N (32768), NCU_RHO (1), NCU_LABEL (head).
# Clocks are left alone (--clock-control none, METHOD.md).
set -uo pipefail
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
N=${NCU_N:-32768} RHO=${NCU_RHO:-1} LABEL=${NCU_LABEL:-head} BIN=${NCU_BIN:-/tmp/bk/bench/kernels/bench_kernels}
# The report and logs stay in /tmp (few files come back from $OUT): details text and SASS CSV go to $OUT.
mkdir -p /tmp/ncu; rep="/tmp/ncu/ncu_${LABEL}_${N}_${RHO}"
MOA_BENCH_PREFILL_N=$N MOA_BENCH_RHO=$RHO MOA_BENCH_IMPLS=automatic MOA_BENCH_REPEATS=1 MOA_BENCH_NO_DECODE=1 \
  timeout ${NCU_TIMEOUT:-200} ncu --clock-control none --kernel-name regex:wgmma_tma_kernel --launch-skip 2 --launch-count 1 \
  --section SpeedOfLight --section ComputeWorkloadAnalysis --section WarpStateStats --section SchedulerStats \
  --section SourceCounters --section LaunchStats -f -o "$rep" "$BIN" /tmp/ncu_kernels.json > "$rep.log" 2>&1
echo "ncu rc=$?"; grep -E "==PROF==|==ERROR==|==WARNING==" "$rep.log" | head -5
ncu --import "$rep.ncu-rep" --print-details all > "$rep.txt" 2>&1
grep -E "Duration|Compute \(SM\) Throughput|Issue Slots Busy|Executed Ipc Active|No Eligible|Warp Cycles Per Issued|Active Warps Per|Eligible Warps|Tensor|Stall" "$rep.txt" | head -40
ncu --import "$rep.ncu-rep" --page source --csv --print-source sass > "$rep.sass.csv" 2> "$rep.sass.err"
echo "sass csv: $(wc -l < "$rep.sass.csv") lines"; head -c 600 "$rep.sass.err"
gzip -f "$rep.sass.csv"
cp "$rep.txt" "$rep.sass.csv.gz" "$OUT/"
