import { describe, expect, it } from 'vitest';
import { fitSbg, sbgResidualLifetime, sbgRetention, sbgSurvival } from './sbg.ts';

// Fader & Hardie (2007), "How to project customer retention": % of 1,000 customers alive in years 0–7,
// and the actual survival of years 8–12 the projections are judged against.
const tables = {
  regular: {
    alive: [1000, 631, 468, 382, 326, 289, 262, 241],
    published: { gamma: '0.704', delta: '1.182' },
    later: [22.3, 20.7, 19.4, 18.3, 17.3],
  },
  highEnd: {
    alive: [1000, 869, 743, 653, 593, 551, 517, 491],
    published: { gamma: '0.668', delta: '3.806' },
    later: [46.8, 44.5, 42.7, 40.9, 39.4],
  },
};

describe('sBG', () => {
  for (const [name, t] of Object.entries(tables)) {
    it(`reproduces the paper's ${name} fit and projects years 8–12`, () => {
      const fit = fitSbg(t.alive);
      expect(fit.converged).toBe(true);
      expect(fit.params.gamma.toFixed(3)).toBe(t.published.gamma);
      expect(fit.params.delta.toFixed(3)).toBe(t.published.delta);
      const gaps = t.later.map((actual, k) => Math.abs(100 * sbgSurvival(fit.params, 8 + k) - actual));
      // The published parameters themselves give 37.8% for the high-end year 12 (actual 39.4%): the
      // model's one miss above 1.5 points is the paper's too.
      const limits = name === 'highEnd' ? [1.5, 1.5, 1.5, 1.5, 1.65] : [1.5, 1.5, 1.5, 1.5, 1.5];
      gaps.forEach((gap, k) => {
        expect(gap).toBeLessThan(limits[k]!);
      });
    });
  }

  it('has retention rates that rise over time and fit the survival curve', () => {
    const p = { gamma: 0.704, delta: 1.182 };
    expect(sbgRetention(p, 2)).toBeGreaterThan(sbgRetention(p, 1));
    expect(sbgSurvival(p, 2)).toBeCloseTo(sbgRetention(p, 1) * sbgRetention(p, 2), 12);
  });

  it('values the residual lifetime as the discounted sum of future survival', () => {
    const p = { gamma: 0.704, delta: 1.182 };
    for (const n of [0, 4]) {
      let direct = 0;
      for (let m = 1; m < 5000; m++) direct += sbgSurvival(p, n + m) / sbgSurvival(p, n) / 1.1 ** m;
      expect(sbgResidualLifetime(p, n, 0.1)).toBeCloseTo(direct, 9);
    }
  });

  it('rejects tables that are not survival counts', () => {
    expect(() => fitSbg([1000])).toThrow(RangeError);
    expect(() => fitSbg([1000, 1100])).toThrow(RangeError);
  });
});
