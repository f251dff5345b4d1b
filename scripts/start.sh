#!/usr/bin/env bash
# One command: set everything up, then serve the app (http://localhost:5173).
# With --setup-only it stops after the installation (CI).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
[ "${1:-}" = "--setup-only" ] && exit 0
exec npx vite --host 127.0.0.1
