#!/usr/bin/env bash
# The npm package works outside this repository: `npm pack` (whose prepack builds dist-lib/),
# install the tarball into an empty project, then use the library from plain Node and the
# compiled `kmax` CLI. Both must give exactly what the sources give (`bin/kmax.mjs` via tsx
# in this clone) on a demo-model sample. --prefer-offline: dependencies come from npm's cache
# when they are there (CI has just run `npm ci`), so the install takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sample=models/demo/samples/synthetic-2.png

npm pack --silent --pack-destination "$tmp" > "$tmp/name"
tarball="$tmp/$(tail -n 1 "$tmp/name")"
mkdir "$tmp/app"
cd "$tmp/app"
echo '{ "name": "kmax-pack-test", "private": true, "type": "module" }' > package.json
# pngjs only to read the reference PNG below; the peers (tfjs-core, cpu, wasm) come with npm's peer install.
npm install --prefer-offline --no-audit --no-fund --loglevel=error "$tarball" pngjs@7 > /dev/null
if [ -e node_modules/tsx ]; then echo "tsx was installed: the package must not need it" >&2; exit 1; fi

# The sources' answer, from this clone.
node "$repo/bin/kmax.mjs" segment "$repo/$sample" --model "$repo/models/demo" --backend cpu --out "$tmp/from-source" > /dev/null
# The packed CLI: compiled JavaScript, run by npx from the package's bin.
npx --no-install kmax segment "$repo/$sample" --model "$repo/models/demo" --backend cpu --out "$tmp/from-package"
cmp "$tmp/from-source/panoptic.png" "$tmp/from-package/panoptic.png"
cmp "$tmp/from-source/segments.json" "$tmp/from-package/segments.json"

# The library from plain Node (no bundler, no TypeScript): the same panoptic map.
cat > library.mjs <<'JS'
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { PNG } from 'pngjs';
import { loadSegmenter } from 'kmax-lens';

const [modelDir, imageFile, referenceFile] = process.argv.slice(2);
await tf.setBackend('cpu');
const baseline = tf.memory().numTensors;
const files = new Map(readdirSync(modelDir).filter((f) => f === 'model.json' || f.endsWith('.bin')).map((f) => [f, new Uint8Array(readFileSync(path.join(modelDir, f)))]));
const segmenter = await loadSegmenter({ kind: 'files', files });
const png = PNG.sync.read(readFileSync(imageFile));
const image = { width: png.width, height: png.height, channels: 4, data: new Uint8Array(png.data) };
const result = await segmenter.segment(image);
// The first run caches the engine's constants; a second one must add nothing, and dispose frees all.
const afterFirst = tf.memory().numTensors;
await segmenter.segment(image);
const grown = tf.memory().numTensors - afterFirst;
segmenter.dispose();
const leaked = tf.memory().numTensors - baseline;
const reference = PNG.sync.read(readFileSync(referenceFile));
let differ = 0;
for (let p = 0; p < png.width * png.height; p++) {
  const id = reference.data[4 * p] + 256 * reference.data[4 * p + 1] + 65536 * reference.data[4 * p + 2];
  if (id !== result.panoptic.ids[p]) differ++;
}
console.log(`library: ${result.panoptic.segments.length} segments, ${differ} pixels differ from the sources' panoptic.png; tensors: +${grown} on a second run, ${leaked} left after dispose`);
if (result.panoptic.segments.length === 0 || differ !== 0 || grown !== 0 || leaked !== 0) process.exit(1);
JS
node library.mjs "$repo/models/demo" "$repo/$sample" "$tmp/from-source/panoptic.png"
# The declarations, as a TypeScript user under Node's own module resolution sees them.
cat > consumer.ts <<'TS'
import { loadSegmenter, type SegmentResult } from 'kmax-lens';
import { readPytorchCheckpoint } from 'kmax-lens/checkpoints';
import { chooseBackend } from 'kmax-lens/backend';
export const segments = (result: SegmentResult): number => result.panoptic.segments.length;
// @ts-expect-error a typed export is not a number (this line is unused, hence an error, if the types were lost)
export const typed: number = loadSegmenter;
export { readPytorchCheckpoint, chooseBackend };
TS
echo '{ "compilerOptions": { "strict": true, "skipLibCheck": true, "noEmit": true, "module": "nodenext", "moduleResolution": "nodenext", "target": "es2022", "lib": ["es2023", "dom"], "types": [] }, "files": ["consumer.ts"] }' > tsconfig.json
"$repo/node_modules/.bin/tsc" -p tsconfig.json
echo "pack test: $(basename "$tarball") installed and ran (library, declarations, CLI) in a fresh project"
