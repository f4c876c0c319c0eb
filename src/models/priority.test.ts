import { describe, expect, it } from 'vitest';
import { routingPriority } from './priority.ts';

describe('routing priority', () => {
  it('orders customers by CLV tier', () => {
    expect(routingPriority({ clvPercentile: 95, churnRisk: 0.1 })).toMatchObject({
      priority: 1,
      tier: 'platinum',
    });
    expect(routingPriority({ clvPercentile: 75, churnRisk: 0.1 })).toMatchObject({
      priority: 2,
      tier: 'gold',
    });
    expect(routingPriority({ clvPercentile: 50 })).toMatchObject({ priority: 3, tier: 'silver', risk: null });
    expect(routingPriority({ clvPercentile: 10, churnRisk: 0.9 })).toMatchObject({
      priority: 4,
      tier: 'bronze',
    });
  });

  it('raises a valuable customer at risk one step and says why', () => {
    const p = routingPriority({ clvPercentile: 75, clv: 120, churnRisk: 0.6 });
    expect(p).toMatchObject({ priority: 1, tier: 'gold', risk: 'high' });
    expect(p.reasons).toEqual([
      'CLV in the top 30% of customers (predicted value 120.00): gold',
      'churn risk high (0.60)',
      'raised one step: a valuable customer at risk',
    ]);
  });

  it('raises a valuable customer in red health once, even when the churn risk is also high', () => {
    const red = routingPriority({ clvPercentile: 75, healthScore: 42.4, churnRisk: 0.1 });
    expect(red).toMatchObject({ priority: 1, tier: 'gold', risk: 'low', health: 'red' });
    expect(red.reasons).toEqual([
      'CLV in the top 30% of customers: gold',
      'churn risk low (0.10)',
      'health red (42)',
      'raised one step: a valuable customer at risk',
    ]);
    expect(routingPriority({ clvPercentile: 50, healthScore: 30, churnRisk: 0.9 }).priority).toBe(2);
    expect(routingPriority({ clvPercentile: 50, healthScore: 50 })).toMatchObject({
      priority: 3,
      health: 'yellow',
    });
    expect(routingPriority({ clvPercentile: 10, healthScore: 10 }).priority).toBe(4);
  });

  it('falls back to P(alive) without a churn model, and to the default without scores', () => {
    expect(routingPriority({ clvPercentile: 50, pAlive: 0.3 })).toMatchObject({ priority: 2, risk: 'high' });
    expect(routingPriority({})).toMatchObject({ priority: 3, tier: null, risk: null });
  });
});
