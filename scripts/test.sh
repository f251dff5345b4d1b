#!/usr/bin/env bash
# The whole test suite: typecheck, lint, unit + parity (Vitest, Node), the Python
# reference/training checks, the demo-model evaluation, browser tests (Playwright).
set -euo pipefail
cd "$(dirname "$0")/.."
export WEBGPU_CPU_FORWARD=false
npx tsc --noEmit -p tsconfig.json
npx eslint .
npx vitest run
/usr/bin/python3 training/test_keys.py
npx playwright test
