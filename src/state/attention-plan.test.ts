import { describe, expect, it } from 'vitest';
import { attentionPlan, comparisonPlans, samePlan } from './attention-plan';

describe('attention plans', () => {
  it('keeps argmax before the chosen layer and uses the mode from it on', () => {
    expect(attentionPlan('softmax', 3, 6)).toEqual({ schedule: ['kmeans', 'kmeans', 'kmeans', 'softmax', 'softmax', 'softmax'], label: 'softmax from layer 4' });
    expect(attentionPlan('cluster-softmax', 0, 6)).toEqual({ schedule: new Array(6).fill('cluster-softmax'), label: 'cluster softmax' });
    expect(attentionPlan('masked', 0, 6)).toEqual({ schedule: new Array(6).fill('masked'), label: 'masked softmax' });
  });

  it('ignores the layer for argmax and clamps it to the model', () => {
    expect(attentionPlan('kmeans', 4, 6)).toEqual({ schedule: new Array(6).fill('kmeans'), label: 'argmax' });
    expect(attentionPlan('softmax', 9, 6).schedule).toEqual(['kmeans', 'kmeans', 'kmeans', 'kmeans', 'kmeans', 'softmax']);
  });

  it('compares argmax everywhere with the chosen plan, or with softmax from the chosen layer', () => {
    const [a, b] = comparisonPlans('cluster-softmax', 2, 6);
    expect(a.label).toBe('argmax');
    expect(b.label).toBe('cluster softmax from layer 3');
    expect(comparisonPlans('kmeans', 1, 6)[1].label).toBe('softmax from layer 2');
    expect(samePlan(attentionPlan('softmax', 0, 6), b)).toBe(false);
    expect(samePlan(attentionPlan('cluster-softmax', 2, 6), b)).toBe(true);
    expect(samePlan(null, b)).toBe(false);
  });
});
