/** One model's training curve: validation PQ (0..1, on scenes kept out of training and of the held-out set) against the training step. */
export interface CurveInput {
  readonly id: string;
  readonly points: readonly { readonly step: number; readonly pq: number }[];
}

export interface CurvePlotSize {
  readonly width: number;
  readonly height: number;
  /** Room for the axes' tick labels and titles: left, bottom, top and right. */
  readonly margin: { readonly left: number; readonly bottom: number; readonly top: number; readonly right: number };
}

export interface CurvePlot {
  /** SVG path data per curve (`M x y L x y ...`), in input order; curves without points are left out. */
  readonly lines: readonly { readonly id: string; readonly d: string; readonly last: { readonly x: number; readonly y: number } }[];
  readonly xTicks: readonly { readonly value: number; readonly x: number }[];
  readonly yTicks: readonly { readonly value: number; readonly y: number }[];
  /** The plotting area inside the margins. */
  readonly box: { readonly left: number; readonly top: number; readonly right: number; readonly bottom: number };
}

/**
 * Lays training curves out on shared axes: steps from 0 to the longest run (rounded up to a
 * tick); PQ upwards over the tenths that hold the points (0..1 without points), since runs of
 * one task differ by a few PQ and a full 0..1 axis would draw them on top of each other; ticks
 * at round step counts and every 0.1 PQ (0.2 over a span above 0.6).
 */
export function curvePlot(curves: readonly CurveInput[], size: CurvePlotSize): CurvePlot {
  const { margin } = size;
  const box = { left: margin.left, top: margin.top, right: size.width - margin.right, bottom: size.height - margin.bottom };
  const maxStep = Math.max(0, ...curves.flatMap((c) => c.points.map((p) => p.step)));
  const stepTick = niceStep(maxStep / 4);
  const xMax = Math.max(stepTick, Math.ceil(maxStep / stepTick) * stepTick);
  const x = (step: number) => round(box.left + ((box.right - box.left) * step) / xMax);
  const pqs = curves.flatMap((c) => c.points.map((p) => Math.min(1, Math.max(0, p.pq))));
  // Tenths as integers, so that the axis ends and ticks are exact.
  const low = pqs.length === 0 ? 0 : Math.floor(Math.min(...pqs) * 10);
  const high = pqs.length === 0 ? 10 : Math.max(low + 1, Math.ceil(Math.max(...pqs) * 10));
  const y = (pq: number) => round(box.bottom - ((box.bottom - box.top) * (Math.min(1, Math.max(0, pq)) * 10 - low)) / (high - low));
  const lines = curves
    .filter((c) => c.points.length > 0)
    .map((c) => {
      const sorted = [...c.points].sort((p, q) => p.step - q.step);
      const d = sorted.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.step)} ${y(p.pq)}`).join(' ');
      const end = sorted[sorted.length - 1];
      return { id: c.id, d, last: { x: x(end.step), y: y(end.pq) } };
    });
  const xTicks = Array.from({ length: Math.round(xMax / stepTick) + 1 }, (_, i) => ({ value: i * stepTick, x: x(i * stepTick) }));
  const tickTenths = high - low > 6 ? 2 : 1;
  const yTicks = Array.from({ length: Math.floor((high - low) / tickTenths) + 1 }, (_, i) => (low + i * tickTenths) / 10).map((value) => ({ value, y: y(value) }));
  return { lines, xTicks, yTicks, box };
}

/** 1, 2 or 5 times a power of ten, at least `raw` (and at least 1). */
export function niceStep(raw: number): number {
  if (!(raw > 1)) return 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * power >= raw) return m * power;
  return 10 * power;
}

const round = (v: number) => Math.round(v * 10) / 10;
