#!/usr/bin/env bash
# GUI acceptance under a real X server (Xvfb): studio_tour drives the real main window through
# the main workflow on the demo model (open, profile, solve, edit a head, compare, export,
# zh_CN) and saves a screenshot per step; then the moa-studio executable is started on the
# session the tour saved and the screen is captured. Fails if any step or screenshot is missing.
#   xvfb_tour.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
BUILD=$1 SRC=$2
command -v Xvfb >/dev/null || { echo "Xvfb missing: run scripts/setup.sh" >&2; exit 1; }
WORK=$(mktemp -d)
# One X server for the whole test, on a display number the server picks itself (-displayfd):
# `xvfb-run -a` probes for a free number and races with any other Xvfb starting at the same
# time (two test suites at once), and the app then draws on the other server.
Xvfb -displayfd 3 -screen 0 1600x1000x24 -nolisten tcp 3> "$WORK/display" 2> "$WORK/xvfb.log" & xvfb=$!
app=
trap 'kill $app "$xvfb" 2>/dev/null; rm -rf "$WORK"' EXIT
for i in $(seq 100); do [ -s "$WORK/display" ] && break; sleep 0.1; done
[ -s "$WORK/display" ] || { echo "Xvfb did not start:" >&2; cat "$WORK/xvfb.log" >&2; exit 1; }
export DISPLAY=":$(head -1 "$WORK/display")"
# A real X server is the point: an inherited QT_QPA_PLATFORM=offscreen (the Qt tests' setting)
# would make the app draw nowhere and the screenshot one flat colour, and on a Wayland desktop
# Qt would pick Wayland and draw on the developer's screen.
export QT_QPA_PLATFORM=xcb
unset WAYLAND_DISPLAY
export MOA_STUDIO_QM_DIR="$BUILD/app/studio" XDG_RUNTIME_DIR="$WORK/xdg"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
"$BUILD/tests/gui/studio_tour" --out "$WORK/tour" --lengths 1024 --samples 1 --model "$SRC/resources/demo-model"
shots=$(find "$WORK/tour" -maxdepth 1 -name '*.png' -size +10k | wc -l)
echo "tour screenshots: $shots"
[ "$shots" -ge 7 ] || { echo "expected at least 7 screenshots" >&2; ls -l "$WORK/tour" >&2; exit 1; }
session="$WORK/tour/tour-files/tour.moasession.json"
[ -s "$session" ] || { echo "the tour saved no session" >&2; exit 1; }
command -v import >/dev/null || { echo "ImageMagick import missing: run scripts/setup.sh" >&2; exit 1; }
# The window has drawn once the screen is not one flat colour: poll for that (up to 90 s; a
# loaded 2-core CI machine can take longer than any fixed sleep) instead of sleeping blindly.
"$BUILD/app/studio/moa-studio" "$session" & app=$!
for i in $(seq 45); do
  sleep 2
  kill -0 "$app" || { echo "moa-studio exited early" >&2; exit 1; }
  import -window root "$WORK/app.png"
  [ "$(convert "$WORK/app.png" -format %k info:)" -gt 50 ] && break
done
kill "$app"; wait "$app" 2>/dev/null || true
[ -s "$WORK/app.png" ] || { echo "no screenshot of moa-studio" >&2; exit 1; }
# A screenshot of a real window is not one flat colour.
colours=$(convert "$WORK/app.png" -format %k info:)
echo "moa-studio screenshot: $colours colours"
[ "$colours" -gt 50 ]
