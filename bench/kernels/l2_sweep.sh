#!/usr/bin/env bash
# The L2 share of the persistent wgmma_ws prefill's head chunks (MOA_PREFILL_WS_L2_MB, read once
# per process), swept in interleaved rounds so drift in the card's clocks hits every setting alike.
# Usage: bench/kernels/l2_sweep.sh BENCH_KERNELS_BINARY [rounds] [MB values...]; prints one line per
# (round, MB, N, plan) and leaves JSON per run under /tmp/l2_sweep/ (not returned: $OUT takes few files).
set -uo pipefail
bin=$1; rounds=${2:-3}; shift $(( $# < 2 ? $# : 2 ))
values=${*:-"16 32 48 0"}
mkdir -p /tmp/l2_sweep
for r in $(seq 1 "$rounds"); do
  for mb in $values; do
    MOA_PREFILL_WS_L2_MB=$mb MOA_BENCH_IMPLS=automatic MOA_BENCH_REPEATS=1 MOA_BENCH_NO_DECODE=1 \
      "$bin" "/tmp/l2_sweep/r${r}_mb${mb}.json" | grep -E "^prefill N=" | sed "s/^/round $r L2_MB=$mb /"
  done
done
