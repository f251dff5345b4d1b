/**
 * The README's training-curves figure: validation PQ against training step, one line per
 * run, coloured by the attention it was trained with (the app's colours, src/viz).
 *
 *   npx tsx scripts/training-curves-figure.ts --out docs/training-curves.svg CURVE.json...
 *
 * Each CURVE.json is a run's curve.json or a model folder's training-curve.json; the run is
 * named by its folder.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseTrainingCurve } from '../src/state/model-reports';
import { TRAINED_WITH } from '../src/ui/compare-words';
import { attentionColour, curvePlot } from '../src/viz';

const SIZE = { width: 640, height: 320, margin: { left: 48, bottom: 40, top: 12, right: 230 } };

const { values, positionals } = parseArgs({ allowPositionals: true, options: { out: { type: 'string' } } });
if (values.out === undefined || positionals.length === 0) {
  console.error('usage: npx tsx scripts/training-curves-figure.ts --out FILE.svg CURVE.json...');
  process.exit(2);
}
const curves = positionals.map((file) => ({ id: path.basename(path.dirname(path.resolve(file))), ...parseTrainingCurve(JSON.parse(readFileSync(file, 'utf8'))) }));
const plot = curvePlot(curves, SIZE);
const { box } = plot;
const text = (x: number, y: number, s: string, anchor = 'start') => `<text x="${x}" y="${y}" text-anchor="${anchor}">${s}</text>`;
const legend = curves.map((c, i) => {
  const last = c.points.reduce((best, p) => (p.step > best.step ? p : best));
  const y = box.top + 14 + i * 50;
  const colour = attentionColour(c.attention);
  return [
    `<line x1="${box.right + 16}" y1="${y - 4}" x2="${box.right + 36}" y2="${y - 4}" stroke="${colour}" stroke-width="3"/>`,
    text(box.right + 42, y, c.id),
    text(box.right + 42, y + 14, c.attention === null ? 'attention not recorded' : TRAINED_WITH[c.attention]),
    text(box.right + 42, y + 28, `PQ ${(100 * last.pq).toFixed(1)} at step ${last.step}`),
  ].join('');
});
const images = [...new Set(curves.map((c) => c.images))];
const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${SIZE.width} ${SIZE.height}" width="${SIZE.width}" height="${SIZE.height}" font-family="sans-serif" font-size="11" fill="#222">
<rect width="100%" height="100%" fill="#fff"/>
<g stroke="#bbb">${plot.yTicks.map((t) => `<line x1="${box.left}" y1="${t.y}" x2="${box.right}" y2="${t.y}"/>`).join('')}</g>
<g stroke="#444"><line x1="${box.left}" y1="${box.bottom}" x2="${box.right}" y2="${box.bottom}"/><line x1="${box.left}" y1="${box.top}" x2="${box.left}" y2="${box.bottom}"/></g>
${plot.xTicks.map((t) => text(t.x, box.bottom + 14, String(t.value), 'middle')).join('')}
${plot.yTicks.map((t) => text(box.left - 6, t.y + 4, String(Math.round(100 * t.value)), 'end')).join('')}
${text((box.left + box.right) / 2, SIZE.height - 6, 'training step', 'middle')}
<text x="12" y="${(box.top + box.bottom) / 2}" text-anchor="middle" transform="rotate(-90 12 ${(box.top + box.bottom) / 2})">validation PQ${images.length === 1 && images[0] !== null ? ` (${images[0]} scenes)` : ''}</text>
${plot.lines.map((line) => `<path d="${line.d}" fill="none" stroke="${attentionColour(curves.find((c) => c.id === line.id)?.attention)}" stroke-width="2"/>`).join('\n')}
${legend.join('\n')}
</svg>
`;
writeFileSync(values.out, svg);
console.log(`${values.out}: ${curves.length} curves`);
