import { describe, expect, it } from 'vitest';
import { assignmentToImage, clusterClassColours, topClasses } from './assignment-map';
import { attentionHeatmap } from './heatmap';

const colours = new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255]);
// 3x2 native grid with one padded column: valid 2x2.
const layer = { assignment: new Int32Array([0, 1, 2, 2, 1, 2]), width: 3, height: 2, validWidth: 2, validHeight: 2 };

describe('assignment drawing', () => {
  it('colours each valid cell by cluster and crops the padding', () => {
    const img = assignmentToImage(layer, colours);
    expect([img.width, img.height]).toEqual([2, 2]);
    expect([...img.data.subarray(0, 8)]).toEqual([255, 0, 0, 255, 0, 255, 0, 255]);
    expect([...img.data.subarray(8, 12)]).toEqual([0, 0, 255, 255]); // row 1 starts at assignment[3]
    const lit = assignmentToImage(layer, colours, 1);
    expect([...lit.data.subarray(0, 4)]).toEqual([85, 0, 0, 255]);
    expect([...lit.data.subarray(4, 8)]).toEqual([0, 255, 0, 255]);
  });

  it('colours by predicted class (void column included) and ranks classes', () => {
    // K=2 clusters, C+1=3 columns.
    const probs = new Float32Array([0.1, 0.7, 0.2, 0.2, 0.1, 0.7]);
    expect([...clusterClassColours(probs, 2, colours)]).toEqual([0, 255, 0, 0, 0, 255]);
    expect(topClasses(probs, 2, 0, 2).map((c) => c.classId)).toEqual([1, 2]);
  });

  it('draws a heat map scaled to the cluster maximum', () => {
    const maps = new Float32Array([0, 0, 0, 0, 0, 0, 0.5, 0.25, 9, 0, 0.25, 9]);
    const img = attentionHeatmap(maps, 1, layer);
    expect([...img.data.subarray(0, 4)]).toEqual([252, 255, 164, 255]);
    expect([...img.data.subarray(8, 12)]).toEqual([0, 0, 4, 255]);
  });
});
