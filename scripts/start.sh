#!/usr/bin/env bash
# One command: set everything up, then serve the app (http://localhost:5173).
# With --setup-only it stops after the installation (CI).
# It serves the production build: the dev server re-optimises its dependencies on
# the first visit and reloads the page, dropping a file chosen meanwhile
# (`npm run dev` remains for development).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
[ "${1:-}" = "--setup-only" ] && exit 0
npx vite build
exec npx vite preview --host 127.0.0.1 --port 5173 --strictPort
