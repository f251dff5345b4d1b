import { describe, expect, it } from 'vitest';
import { matchSegments, panopticQuality, sumCounts, type PanopticMap, type Segment } from './panoptic-quality';

/** A map drawn as rows of characters; '.' is id 0, 'a'.. are ids 1.. */
function map(rows: readonly string[], segments: readonly Segment[]): PanopticMap {
  const ids = Int32Array.from(rows.join(''), (ch) => (ch === '.' ? 0 : ch.charCodeAt(0) - 96));
  return { ids, segments };
}

const STUFF = 1;
const DISC = 2;
const CATEGORIES = [
  { id: STUFF, isThing: false },
  { id: DISC, isThing: true },
];

function pq(gt: PanopticMap, pred: PanopticMap) {
  return panopticQuality(matchSegments(gt, pred), CATEGORIES);
}

// Stuff 'a' around two discs 'b' and 'c' (4 px each); 16 px.
const GT = map(['aaaa', 'bbcc', 'bbcc', 'aaaa'], [
  { id: 1, categoryId: STUFF },
  { id: 2, categoryId: DISC },
  { id: 3, categoryId: DISC },
]);

describe('panoptic quality', () => {
  it('is 1 for a perfect prediction, whatever its ids', () => {
    const pred = map(['eeee', 'ffgg', 'ffgg', 'eeee'], [
      { id: 5, categoryId: STUFF },
      { id: 6, categoryId: DISC },
      { id: 7, categoryId: DISC },
    ]);
    const q = pq(GT, pred);
    expect(q.all).toEqual({ pq: 1, sq: 1, rq: 1, n: 2 });
    expect(q.things.n).toBe(1);
    expect(q.stuff.n).toBe(1);
  });

  it('counts a missed instance as a false negative', () => {
    // Disc 'c' predicted as stuff: stuff IoU 8/12, disc b TP, disc c FN.
    const pred = map(['aaaa', 'bbaa', 'bbaa', 'aaaa'], [
      { id: 1, categoryId: STUFF },
      { id: 2, categoryId: DISC },
    ]);
    const q = pq(GT, pred);
    expect(q.perCategory.get(STUFF)?.pq).toBeCloseTo(8 / 12, 12);
    expect(q.perCategory.get(DISC)).toEqual({ pq: 1 / 1.5, sq: 1, rq: 1 / 1.5 });
    expect(q.things).toEqual({ pq: 1 / 1.5, sq: 1, rq: 1 / 1.5, n: 1 });
    expect(q.all.pq).toBeCloseTo((8 / 12 + 1 / 1.5) / 2, 12);
  });

  it('counts an extra segment as a false positive', () => {
    // A 2-px disc 'd' inside the stuff: stuff IoU 6/8, discs b and c TP, d FP.
    const pred = map(['adda', 'bbcc', 'bbcc', 'aaaa'], [
      { id: 1, categoryId: STUFF },
      { id: 2, categoryId: DISC },
      { id: 3, categoryId: DISC },
      { id: 4, categoryId: DISC },
    ]);
    const counts = matchSegments(GT, pred);
    expect(counts.get(DISC)).toEqual({ tp: 2, fp: 1, fn: 0, iou: 2 });
    expect(counts.get(STUFF)).toEqual({ tp: 1, fp: 0, fn: 0, iou: 6 / 8 });
    const q = panopticQuality(counts, CATEGORIES);
    expect(q.perCategory.get(DISC)).toEqual({ pq: 2 / 2.5, sq: 1, rq: 2 / 2.5 });
  });

  it('matches the larger half of a split segment and counts the rest as a false positive', () => {
    // Stuff 'a' (8 px) split into 'a' (5 px, IoU 5/8) and 'e' (3 px, IoU 3/8 < 0.5).
    const pred = map(['aaaa', 'bbcc', 'bbcc', 'aeee'], [
      { id: 1, categoryId: STUFF },
      { id: 2, categoryId: DISC },
      { id: 3, categoryId: DISC },
      { id: 5, categoryId: STUFF },
    ]);
    const counts = matchSegments(GT, pred);
    expect(counts.get(STUFF)).toEqual({ tp: 1, fp: 1, fn: 0, iou: 5 / 8 });
    expect(pq(GT, pred).perCategory.get(STUFF)).toEqual({ pq: 5 / 8 / 1.5, sq: 5 / 8, rq: 1 / 1.5 });
  });

  it('leaves void pixels out of the union and does not count predictions on void', () => {
    // Ground truth with a void row; the prediction covers it with the disc (IoU 4/4 after
    // removing void) and puts a second disc 'd' fully on void (no FP).
    const gt = map(['....', 'bbcc', 'bbcc', 'aaaa'], GT.segments);
    const pred = map(['bbdd', 'bbcc', 'bbcc', 'aaaa'], [...GT.segments, { id: 4, categoryId: DISC }]);
    const counts = matchSegments(gt, pred);
    expect(counts.get(DISC)).toEqual({ tp: 2, fp: 0, fn: 0, iou: 2 });
    expect(pq(gt, pred).all.pq).toBe(1);
  });

  it('treats ids without a segment as void', () => {
    const gt = map(['zzzz', 'bbcc', 'bbcc', 'aaaa'], GT.segments);
    const pred = map(['bbbb', 'bbcc', 'bbcc', 'aaaa'], GT.segments);
    expect(matchSegments(gt, pred).get(DISC)).toEqual({ tp: 2, fp: 0, fn: 0, iou: 2 });
  });

  it('a prediction is a false positive when half or less of it is void', () => {
    // 'd' has 2 px on void and 2 px on stuff: exactly 50 % ignored is not > 50 %.
    const gt = map(['..aa', 'aaaa', 'aaaa', 'aaaa'], [{ id: 1, categoryId: STUFF }]);
    const pred = map(['ddaa', 'ddaa', 'aaaa', 'aaaa'], [
      { id: 1, categoryId: STUFF },
      { id: 4, categoryId: DISC },
    ]);
    expect(matchSegments(gt, pred).get(DISC)).toEqual({ tp: 0, fp: 1, fn: 0, iou: 0 });
  });

  it('ignores crowd regions: no match, no false negative, no false positive on them', () => {
    // 'c' is a crowd of discs; the prediction covers it with one disc 'e' (6 px, 4 on the crowd).
    const gt = map(['aaaa', 'bbcc', 'bbcc', 'aaaa'], [
      { id: 1, categoryId: STUFF },
      { id: 2, categoryId: DISC },
      { id: 3, categoryId: DISC, isCrowd: true },
    ]);
    const pred = map(['aaee', 'bbee', 'bbee', 'aaaa'], [
      { id: 1, categoryId: STUFF },
      { id: 2, categoryId: DISC },
      { id: 5, categoryId: DISC },
    ]);
    const counts = matchSegments(gt, pred);
    expect(counts.get(DISC)).toEqual({ tp: 1, fp: 0, fn: 0, iou: 1 });
    // The same prediction labelled as stuff is not excused by a disc crowd: FP of stuff.
    const asStuff = map(['aaee', 'bbee', 'bbee', 'aaaa'], [
      { id: 1, categoryId: STUFF },
      { id: 2, categoryId: DISC },
      { id: 5, categoryId: STUFF },
    ]);
    expect(matchSegments(gt, asStuff).get(STUFF)).toEqual({ tp: 1, fp: 1, fn: 0, iou: 6 / 8 });
  });

  it('sums images before averaging, and averages only categories that occur', () => {
    const missed = map(['aaaa', 'bbaa', 'bbaa', 'aaaa'], [
      { id: 1, categoryId: STUFF },
      { id: 2, categoryId: DISC },
    ]);
    const total = sumCounts([matchSegments(GT, GT), matchSegments(GT, missed)]);
    expect(total.get(DISC)).toEqual({ tp: 3, fp: 0, fn: 1, iou: 3 });
    const q = panopticQuality(total, [...CATEGORIES, { id: 9, isThing: true }]);
    expect(q.perCategory.get(DISC)?.pq).toBeCloseTo(3 / 3.5, 12);
    expect(q.things.n).toBe(1);
    expect(q.perCategory.has(9)).toBe(false);
  });

  it('rejects maps of different sizes', () => {
    expect(() => matchSegments(GT, map(['aaaa'], GT.segments))).toThrow(/differ in size/);
  });
});
