#!/usr/bin/env bash
# The GUI timing targets of DESIGN §7 (profile open + draw <= 0.5 s, event-loop gaps <= 100 ms,
# Stop ends a profile run within a second),
# asserted: run alone on a quiet machine after a build (CI runs the same tests with 10x bounds).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
B=${BUILD:-$root/build}
QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-offscreen} MOA_STRICT_TIMING=1 "$B/tests/gui/test_studio_perf"
QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-offscreen} MOA_STRICT_TIMING=1 "$B/tests/gui/test_studio_profile" stopEndsTheRunWithinASecond
