/** Where a segment's label goes: inside its largest connected piece. */
export interface LabelAnchor {
  readonly id: number;
  readonly x: number;
  readonly y: number;
  /** Pixels of the largest piece. */
  readonly area: number;
}

/**
 * For each segment id, finds its largest 4-connected component and anchors
 * the label at the component pixel nearest to the component's centroid (the
 * centroid itself may fall outside a ring- or C-shaped piece).
 */
export function placeLabels(ids: Int32Array, width: number, height: number): LabelAnchor[] {
  if (ids.length !== width * height) throw new RangeError(`panoptic map has ${ids.length} pixels, expected ${width}x${height}`);
  const component = new Int32Array(ids.length).fill(-1);
  const best = new Map<number, { pixels: number[] }>();
  const stack: number[] = [];
  let next = 0;
  for (let start = 0; start < ids.length; start++) {
    const id = ids[start];
    if (id <= 0 || component[start] !== -1) continue; // void and hidden regions get no label
    const pixels: number[] = [];
    component[start] = next;
    stack.push(start);
    while (stack.length > 0) {
      const p = stack.pop() as number;
      pixels.push(p);
      const x = p % width;
      for (const q of [x > 0 ? p - 1 : -1, x + 1 < width ? p + 1 : -1, p - width, p + width]) {
        if (q >= 0 && q < ids.length && component[q] === -1 && ids[q] === id) {
          component[q] = next;
          stack.push(q);
        }
      }
    }
    next++;
    const current = best.get(id);
    if (current === undefined || pixels.length > current.pixels.length) best.set(id, { pixels });
  }
  return [...best].map(([id, { pixels }]) => anchor(id, pixels, width));
}

function anchor(id: number, pixels: readonly number[], width: number): LabelAnchor {
  let sx = 0;
  let sy = 0;
  for (const p of pixels) {
    sx += p % width;
    sy += Math.floor(p / width);
  }
  const cx = sx / pixels.length;
  const cy = sy / pixels.length;
  let nearest = pixels[0];
  let distance = Infinity;
  for (const p of pixels) {
    const d = (p % width - cx) ** 2 + (Math.floor(p / width) - cy) ** 2;
    if (d < distance) {
      distance = d;
      nearest = p;
    }
  }
  return { id, x: nearest % width, y: Math.floor(nearest / width), area: pixels.length };
}

/** A label's box in display pixels, centred on its anchor. */
export interface LabelBox {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/**
 * Keeps the labels that fit without overlapping, in the given order (largest
 * segment first, say): a later label that would cover an earlier one is dropped.
 */
export function dropOverlapping<T extends LabelBox>(boxes: readonly T[], margin = 2): T[] {
  const kept: T[] = [];
  const overlaps = (a: LabelBox, b: LabelBox) => Math.abs(a.x - b.x) * 2 < a.width + b.width + 2 * margin && Math.abs(a.y - b.y) * 2 < a.height + b.height + 2 * margin;
  for (const box of boxes) if (!kept.some((k) => overlaps(k, box))) kept.push(box);
  return kept;
}
