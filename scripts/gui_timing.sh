#!/usr/bin/env bash
# The GUI timing targets of DESIGN §7 (profile open + draw <= 0.5 s, event-loop gaps <= 100 ms),
# asserted: run alone on a quiet machine after a build (CI runs the same test without the limits).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
B=${BUILD:-$root/build}
QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-offscreen} MOA_STRICT_TIMING=1 "$B/tests/gui/test_studio_perf"
