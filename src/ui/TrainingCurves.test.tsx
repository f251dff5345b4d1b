import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { ComparedModel, ModelCurve } from '../state/result-slice';
import { TrainingCurves } from './TrainingCurves';

const curve = (id: string, attention: ModelCurve['attention'], pq: number): ModelCurve => ({
  id,
  name: id,
  attention,
  seed: 9,
  images: 40,
  points: [
    { step: 300, pq: 0.2 },
    { step: 9000, pq },
  ],
});
const model = (id: string): ComparedModel => ({ id, name: id, trainedAttention: null, heldOut: null });

describe('TrainingCurves', () => {
  // The shipped demo models all have curves; a dropped or converted checkpoint has none.
  it('draws the compared models bold, the others faint, and names a compared model that ships no curve', () => {
    const html = renderToStaticMarkup(
      <TrainingCurves curves={[curve('demo-softmax', 'softmax', 0.76), curve('demo-masked', 'masked', 0.813)]} models={[model('converted'), model('demo-softmax')]} problems={[]} />,
    );
    expect(html).toMatch(/<path[^>]*data-model="demo-softmax" data-highlighted="true"/);
    expect(html).toMatch(/<path[^>]*data-model="demo-masked" data-highlighted="false"/);
    expect(html).toContain('demo-masked: masked softmax, PQ 0.813 at step 9000 (on 40 validation scenes)</li>');
    expect(html).toContain('converted: no training curve shipped');
    expect(html).not.toContain('demo-softmax: no training curve shipped');
  });
});
