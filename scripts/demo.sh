#!/usr/bin/env bash
# README command 1: install what is missing, build, and run the main job.
# With a display: MoA Studio on the demo model. Without: the same pipeline in the terminal.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
exec "$root/scripts/main_job.sh" "$@"
