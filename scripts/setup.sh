#!/usr/bin/env bash
# Installs everything kMaX Lens needs on a fresh Debian machine: system packages
# (Chromium for the browser tests, Debian's PyTorch for training/), then npm deps.
set -euo pipefail
cd "$(dirname "$0")/.."
packages=(chromium python3-torch python3-numpy python3-pil python3-scipy)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}"
fi
npm ci --no-audit --no-fund
