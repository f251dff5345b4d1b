import { describe, expect, it } from 'vitest';
import { curvePlot, niceStep } from './training-curves';

const SIZE = { width: 220, height: 120, margin: { left: 20, bottom: 20, top: 0, right: 0 } };

describe('training curves plot', () => {
  it('puts every curve on shared axes: step 0..rounded maximum left to right, PQ 0..1 bottom to top when the points span it', () => {
    const plot = curvePlot(
      [
        { id: 'late', points: [{ step: 3000, pq: 0.5 }, { step: 1000, pq: 0.25 }] },
        { id: 'none', points: [] },
        { id: 'early', points: [{ step: 0, pq: 1 }] },
        { id: 'floor', points: [{ step: 0, pq: 0 }] },
      ],
      SIZE,
    );
    expect(plot.box).toEqual({ left: 20, top: 0, right: 220, bottom: 100 });
    // Points sorted by step; ticks of 1000 (a quarter of 3000, rounded up), so the axis ends at 3000: 1000 -> 20 + 200/3.
    expect(plot.lines).toEqual([
      { id: 'late', d: 'M86.7 75 L220 50', last: { x: 220, y: 50 } },
      { id: 'early', d: 'M20 0', last: { x: 20, y: 0 } },
      { id: 'floor', d: 'M20 100', last: { x: 20, y: 100 } },
    ]);
    expect(plot.xTicks.map((t) => t.value)).toEqual([0, 1000, 2000, 3000]);
    expect(curvePlot([{ id: 'x', points: [{ step: 3150, pq: 0 }] }], SIZE).xTicks.map((t) => t.value)).toEqual([0, 1000, 2000, 3000, 4000]);
    expect(plot.yTicks.map((t) => [t.value, t.y])).toEqual([
      [0, 100],
      [0.2, 80],
      [0.4, 60],
      [0.6, 40],
      [0.8, 20],
      [1, 0],
    ]);
  });

  it('zooms the PQ axis to the tenths that hold the points, so runs a few PQ apart are drawn apart', () => {
    const plot = curvePlot(
      [
        { id: 'a', points: [{ step: 0, pq: 0.47 }, { step: 1000, pq: 0.8 }] },
        { id: 'b', points: [{ step: 1000, pq: 0.76 }] },
      ],
      SIZE,
    );
    // 0.4..0.8 over 100 px: 25 px a tenth; the two runs' ends 0.04 apart are 10 px apart.
    expect(plot.yTicks.map((t) => [t.value, t.y])).toEqual([
      [0.4, 100],
      [0.5, 75],
      [0.6, 50],
      [0.7, 25],
      [0.8, 0],
    ]);
    expect(plot.lines.map((l) => l.last.y)).toEqual([0, 10]);
    // One value: one tenth of axis around it, never a zero span.
    expect(curvePlot([{ id: 'x', points: [{ step: 10, pq: 0.5 }] }], SIZE).yTicks.map((t) => t.value)).toEqual([0.5, 0.6]);
    expect(curvePlot([], SIZE).yTicks.map((t) => t.value)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
  });

  it('rounds tick spacing to 1, 2 or 5 times a power of ten', () => {
    expect([0, 0.5, 3, 7, 12, 250, 750, 1001].map(niceStep)).toEqual([1, 1, 5, 10, 20, 500, 1000, 2000]);
  });
});
