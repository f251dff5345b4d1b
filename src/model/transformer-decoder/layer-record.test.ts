import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { layerRecord, validExtent } from './layer-record';

describe('layerRecord', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  // [h=2, w=3, K=3]; pixel (0,1) is a tie between clusters 1 and 2.
  const mask = [
    [
      [5, 0, 0],
      [0, 2, 2],
      [0, 0, 1],
    ],
    [
      [0, 3, 0],
      [1, 0, 0],
      [0, 0, 9],
    ],
  ];
  const classes = [
    [0, 0, Math.log(2)],
    [1, 1, 1],
    [3, 0, 0],
  ];

  it('reads assignment, sizes over the valid area, class probabilities and confidence', async () => {
    const logits = { maskLogits: tf.tensor3d(mask), classLogits: tf.tensor2d(classes) };
    const before = tf.memory().numTensors;
    const record = await layerRecord(logits, { layer: 2, final: false, stride: 16, attention: 'kmeans', validHeight: 2, validWidth: 2 });
    expect(tf.memory().numTensors).toBe(before);
    expect(Array.from(record.assignment)).toEqual([0, 1, 2, 1, 0, 2]);
    // Column 2 is padding: its two pixels (clusters 2 and 2) are not counted.
    expect(Array.from(record.clusterSizes)).toEqual([2, 2, 0]);
    expect([record.height, record.width, record.validHeight, record.validWidth, record.layer, record.stride]).toEqual([2, 3, 2, 2, 2, 16]);
    expect(record.classProbs[0]).toBeCloseTo(0.25, 6);
    expect(record.classProbs[2]).toBeCloseTo(0.5, 6);
    expect(record.classProbs[4]).toBeCloseTo(1 / 3, 6);
    const e5 = Math.exp(5);
    expect(record.confidence[0]).toBeCloseTo(e5 / (e5 + 2), 6);
    expect(record.confidence[1]).toBeCloseTo(Math.exp(2) / (2 * Math.exp(2) + 1), 6);
    expect(record.softAssignment).toBeUndefined();
    tf.dispose([logits.maskLogits, logits.classLogits]);
  });

  it('soft maps: softmax over clusters (pixel-major) and over pixels (cluster-major)', async () => {
    const logits = { maskLogits: tf.tensor3d(mask), classLogits: tf.tensor2d(classes) };
    const record = await layerRecord(logits, { layer: 6, final: true, stride: 4, attention: 'final', validHeight: 2, validWidth: 3, softMaps: true });
    const soft = record.softAssignment!;
    const spatial = record.spatialAttention!;
    expect(soft).toHaveLength(18);
    for (let p = 0; p < 6; p++) expect(soft[3 * p] + soft[3 * p + 1] + soft[3 * p + 2]).toBeCloseTo(1, 6);
    for (let k = 0; k < 3; k++) expect(spatial.slice(6 * k, 6 * k + 6).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    // Cluster 2 over pixels: logits [0, 2, 1, 0, 0, 9].
    const column = [0, 2, 1, 0, 0, 9].map(Math.exp);
    const total = column.reduce((a, b) => a + b, 0);
    expect(spatial[12 + 5]).toBeCloseTo(column[5] / total, 6);
    expect(Array.from(record.clusterSizes)).toEqual([2, 2, 2]);
    tf.dispose([logits.maskLogits, logits.classLogits]);
  });

  it('valid extent follows the ceil rule of the strided features', () => {
    expect(validExtent(961, 32)).toBe(31);
    expect(validExtent(1281, 32)).toBe(41);
    expect(validExtent(961, 4)).toBe(241);
  });
});
