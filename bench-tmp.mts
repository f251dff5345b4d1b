import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { planResize } from '/work/main/src/segmenter/preprocess/resize-plan';
import { postprocess } from '/work/main/src/segmenter/postprocess/postprocess';
import { POSTPROCESS } from '/work/main/src/model/presets';
await tf.setBackend('wasm');
const geometry = planResize(1500, 2000, [1281, 1281], 'pytorch');
const K = 128, L = 321;
let t = Date.now();
const low = tf.tidy(() => tf.mul(tf.randomUniform([L, L, K], -1, 1, 'float32', 3), 4) as tf.Tensor3D);
await low.data();
console.log('random', Date.now() - t);
const cls = new Float32Array(K * 134).map(() => Math.random());
const coco = Array.from({ length: 133 }, (_, id) => ({ id, datasetId: id, name: '', isThing: id < 80, color: [0, 0, 0] as [number, number, number] }));
for (const stripElements of [1 << 21, 1 << 23]) {
t = Date.now();
await postprocess(cls, low, geometry, coco, POSTPROCESS.coco, { semantic: false, stripElements });
console.log('post', stripElements, Date.now() - t);
}
