#!/usr/bin/env bash
# Makes sure the system packages wmsim builds and runs with are present (Debian/Ubuntu).
# As root it installs what is missing; otherwise it prints the exact apt line and fails.
set -euo pipefail
pkgs=(pocl-opencl-icd ocl-icd-opencl-dev opencl-headers libopenblas-dev liblapacke-dev pkg-config)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ]; then
    echo "installing: ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  else
    echo "wmsim needs these Debian/Ubuntu packages; run:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi
command -v swift >/dev/null || { echo "swift is not on PATH (https://www.swift.org/install/linux/)" >&2; exit 1; }
