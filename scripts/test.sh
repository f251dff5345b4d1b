#!/usr/bin/env bash
# The whole test suite: typecheck, lint, unit + parity (Vitest, Node), the Python reference and
# training checks, the demo-model evaluation, browser tests (Playwright, WebGPU on SwiftShader).
set -euo pipefail
cd "$(dirname "$0")/.."
export WEBGPU_CPU_FORWARD=false
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Each section says when it started, so a CI log shows where the 90 minutes go.
section() { echo "== $1 (at ${SECONDS} s)"; }

section "typecheck and lint"
npx tsc --noEmit -p tsconfig.json
npx eslint .

section "unit and parity tests (Node: cpu and wasm backends)"
npx vitest run

section "PyTorch reference, fixtures, training smoke test and export"
$py training/test_keys.py
$py training/test_model.py
$py training/test_postprocess.py
$py training/test_fixtures.py
$py training/test_resume.py
$py -m training.train.test_pq
$py training/test_training_smoke.py --out "$tmp/smoke"
$py -m training.export_demo --checkpoint "$tmp/smoke/model_final.pth" --out "$tmp/smoke-model"

section "the demo models on 200 held-out synthetic scenes, each under every attention (TypeScript engine, wasm)"
$py -m training.synthetic.generate --out "$tmp/held-out" --num 200 --seed 7 --size 129 > /dev/null
npx tsx scripts/attention-matrix.ts --images "$tmp/held-out/images" --panoptic-json "$tmp/held-out/panoptic.json" --check

section "the npm package: packed, installed into an empty project, library and CLI run from plain Node"
bash scripts/pack-test.sh

section "browser tests (Chromium, WebGPU and fallback)"
npx playwright test
section "done"
