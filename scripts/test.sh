#!/usr/bin/env bash
# The whole test suite: typecheck, lint, unit + parity (Vitest, Node), the Python reference and
# training checks, the demo-model evaluation, browser tests (Playwright, WebGPU on SwiftShader).
set -euo pipefail
cd "$(dirname "$0")/.."
export WEBGPU_CPU_FORWARD=false
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Each section says when it started, so a CI log shows where the 90 minutes go. Its words avoid
# the shapes of test runners' closing lines ("N x in T s", "== ... =="): CI's reader of those
# lines judged two runs whose markers had them as running no test.
section() { echo "[test.sh] section: $1; ${SECONDS} s since the suite started"; }
# The checks that are whole scripts (no runner of their own) count one test each in the summary.
scripted=0
check() { "$@"; scripted=$((scripted + 1)); }

section "typecheck and lint"
check npx tsc --noEmit -p tsconfig.json
check npx eslint .

section "unit and parity tests (Node: cpu and wasm backends)"
npx vitest run --reporter=default --reporter=json --outputFile.json="$tmp/vitest.json"

section "PyTorch reference, fixtures, training smoke test and export"
check $py training/test_keys.py
check $py training/test_model.py
check $py training/test_postprocess.py
check $py training/test_fixtures.py
check $py training/test_resume.py
check $py -m training.train.test_pq
check $py training/test_training_smoke.py --out "$tmp/smoke"
check $py -m training.export_demo --checkpoint "$tmp/smoke/model_final.pth" --out "$tmp/smoke-model"

section "the demo models on 200 held-out synthetic scenes, each under every attention (TypeScript engine, wasm)"
$py -m training.synthetic.generate --out "$tmp/held-out" --num 200 --seed 7 --size 129 > /dev/null
check npx tsx scripts/attention-matrix.ts --images "$tmp/held-out/images" --panoptic-json "$tmp/held-out/panoptic.json" --check

section "the npm package: packed, installed into an empty project, library and CLI run from plain Node"
check bash scripts/pack-test.sh

section "browser tests (Chromium, WebGPU and fallback)"
PLAYWRIGHT_JSON_OUTPUT_NAME="$tmp/playwright.json" npx playwright test --reporter=list,json

section "summary"
node scripts/test-summary.mjs "$tmp/vitest.json" "$tmp/playwright.json" "$scripted"
