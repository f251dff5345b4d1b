import { describe, expect, it } from 'vitest';
import { placeLabels } from './label-placement';

describe('placeLabels', () => {
  it('anchors each segment in its largest component, inside a C shape', () => {
    // Segment 1: a small blob top-left (2 px) and a C shape on the right (whose centroid lies in its hole).
    // prettier-ignore
    const ids = new Int32Array([
      1, 0, 0, 1, 1, 1,
      1, 0, 0, 1, 2, 2,
      0, 0, 0, 1, 2, 2,
      0, 0, 0, 1, 1, 1,
    ]);
    const anchors = placeLabels(ids, 6, 4);
    const one = anchors.find((a) => a.id === 1);
    expect(one?.area).toBe(8);
    expect(ids[(one?.y ?? 0) * 6 + (one?.x ?? 0)]).toBe(1);
    expect(one?.x).toBeGreaterThanOrEqual(3);
    expect(anchors.find((a) => a.id === 2)).toEqual({ id: 2, x: 4, y: 1, area: 4 });
    expect(anchors.some((a) => a.id === 0)).toBe(false);
  });

  it('does not join pixels across the row wrap', () => {
    const ids = new Int32Array([0, 0, 3, 3, 0, 0]);
    expect(placeLabels(ids, 3, 2).find((a) => a.id === 3)?.area).toBe(1);
  });
});
