import { describe, expect, it } from 'vitest';
import { fetchModelReports, parseHeldOut, parseTrainingCurve } from './model-reports';

/** A held-out report as `kmax eval --json` writes it (trimmed to the fields read, plus one it ignores). */
const HELD_OUT = { images: 200, attention: 'softmax', seconds: 53.9, all: { pq: 0.685, sq: 0.87, rq: 0.76, n: 7 }, things: { pq: 0.487 }, stuff: { pq: 0.949 }, layerCovering: [0.6] };
/** A curve as training/train/loop.py writes it. */
const CURVE = { attention: 'masked', seed: 9, images: 40, points: [{ step: 300, pq: 0.46, pq_things: 0.2, pq_stuff: 0.8, layer_covering: [0.5] }, { step: 600, pq: 0.61 }] };

function fakeFetch(files: Record<string, unknown>, status: Record<string, number> = {}): typeof fetch {
  return (async (url: string) => {
    const name = String(url);
    if (status[name] !== undefined) return new Response('nope', { status: status[name] });
    if (!(name in files)) return new Response('not found', { status: 404 });
    return new Response(typeof files[name] === 'string' ? (files[name] as string) : JSON.stringify(files[name]), { status: 200 });
  }) as typeof fetch;
}

describe('model reports', () => {
  it('reads the held-out PQ and the curve, attention modes checked against the engine list', () => {
    expect(parseHeldOut(HELD_OUT)).toEqual({ images: 200, attention: 'softmax', pq: 0.685, thingsPq: 0.487, stuffPq: 0.949 });
    expect(parseTrainingCurve(CURVE)).toEqual({ attention: 'masked', seed: 9, images: 40, points: [{ step: 300, pq: 0.46 }, { step: 600, pq: 0.61 }] });
    expect(parseTrainingCurve({ ...CURVE, attention: 'banana', seed: 'x' })).toMatchObject({ attention: null, seed: null });
  });

  it('names what is wrong with a broken file', () => {
    expect(() => parseHeldOut({ images: 200, all: {} })).toThrow('all.pq is not a number');
    expect(() => parseHeldOut([])).toThrow('not a JSON object');
    expect(() => parseTrainingCurve({ points: [{ step: 1, pq: 'high' }] })).toThrow('points[0].pq is not a number');
    expect(() => parseTrainingCurve({ points: 3 })).toThrow('"points" is not a list');
  });

  it('fetches the shipped ones next to model.json, asks for no other, and names what is wrong with a broken one', async () => {
    const base = 'http://127.0.0.1:6200/models/demo-softmax/';
    const asked: string[] = [];
    const both = await fetchModelReports(`${base}model.json`, ['held-out.json', 'training-curve.json'], fakeFetch({ [`${base}held-out.json`]: HELD_OUT, [`${base}training-curve.json`]: CURVE }));
    expect([both.heldOut?.pq, both.curve?.points.length, both.problems]).toEqual([0.685, 2, []]);
    const counting: typeof fetch = (input, init) => (asked.push(String(input)), fakeFetch({})(input, init));
    const none = await fetchModelReports(`${base}model.json`, [], counting);
    expect(none).toEqual({ heldOut: null, curve: null, problems: [] });
    expect(asked).toEqual([]);
    const broken = await fetchModelReports(`${base}model.json`, ['held-out.json', 'training-curve.json'], fakeFetch({ [`${base}held-out.json`]: '{"images": 2' }, { [`${base}training-curve.json`]: 500 }));
    expect([broken.heldOut, broken.curve]).toEqual([null, null]);
    expect(broken.problems).toHaveLength(2);
    expect(broken.problems[0]).toMatch(/^held-out\.json: /);
    expect(broken.problems[1]).toBe('training-curve.json: HTTP 500');
  });
});
