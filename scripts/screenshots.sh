#!/usr/bin/env bash
# Screenshots of moa-studio for the README and docs/studio.md (docs/screenshots/*.png).
#
# 1. studio_tour drives the real main window under Xvfb through the main workflow on the
#    demo model: profile (the real profiler, CPU), solve, inspect a head, edit a rule, compare,
#    export, switch to Simplified Chinese; one PNG per step.
# 2. The moa-studio executable itself is started on the session the tour saved, and the
#    X screen is captured (ImageMagick's import), to show the application as users start it.
#
# Needs: xvfb xauth imagemagick, and a CJK font for the zh_CN shot (fonts-wqy-microhei).
# Env: BUILD (default build), MOA_DEMO_MODEL (default resources/demo-model; falls back to a
# random tiny checkpoint written by the app), LENGTHS (default 1024,2048,4096), SAMPLES (2).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${BUILD:-$ROOT/build}"
OUT="$ROOT/docs/screenshots"
DEMO="${MOA_DEMO_MODEL:-$ROOT/resources/demo-model}"
LENGTHS="${LENGTHS:-1024,2048,4096}"
SAMPLES="${SAMPLES:-2}"
SCREEN="-screen 0 1600x1000x24"

ninja -C "$BUILD" -j1 moa-studio studio_tour
fc-list :lang=zh | grep -q . || echo "warning: no CJK font installed; the zh_CN screenshot will show boxes" >&2

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
MODEL_ARGS=()
if [[ -f "$DEMO/config.json" ]]; then MODEL_ARGS=(--model "$DEMO"); fi

mkdir -p "$OUT"
export MOA_STUDIO_QM_DIR="$BUILD/app/studio"
export XDG_RUNTIME_DIR="$WORK/xdg"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
xvfb-run -a -s "$SCREEN" "$BUILD/tests/gui/studio_tour" --out "$WORK/tour" \
  --lengths "$LENGTHS" --samples "$SAMPLES" "${MODEL_ARGS[@]}"
cp "$WORK"/tour/*.png "$OUT/"

# The real executable on the tour's session (profile + edited plan + selected head).
xvfb-run -a -s "$SCREEN" bash -c '
  "$0" "$1" &
  app=$!
  sleep 12
  import -window root "$2"
  kill "$app"
  wait "$app" 2>/dev/null || true
' "$BUILD/app/studio/moa-studio" "$WORK/tour/tour-files/tour.moasession.json" "$OUT/00-moa-studio-session.png"
ls -l "$OUT"
