#!/usr/bin/env bash
# The main job. With a display and moa-studio built: open MoA Studio. Otherwise run the
# pipeline headless in the terminal with `moa`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
moa="$root/build/app/moa"
studio="$root/build/app/studio/moa-studio"
if [ -n "${DISPLAY:-}" ] && [ -x "$studio" ] && [ -z "${MOA_HEADLESS:-}" ]; then
  exec "$studio" "$@"
fi
exec "$moa" pipeline "$@"
