import { describe, expect, it } from 'vitest';
import { fitBgNbd } from './bgnbd.ts';
import { fitGammaGamma, spendData } from './gamma-gamma.ts';
import { simulateRfm } from './simulate.ts';
import { groupRfm } from './summary.ts';

describe('simulated customer bases', () => {
  const truth = {
    bgnbd: { r: 0.5, alpha: 6, a: 0.8, b: 2.5 },
    gammaGamma: { p: 6, q: 4, gamma: 15 },
  };
  const summary = simulateRfm({
    customers: 30_000,
    seed: 11,
    weeks: 52,
    joinWeeks: 12,
    daily: false,
    ...truth,
  });

  it('is reproducible by seed', () => {
    const again = simulateRfm({ customers: 100, seed: 11, weeks: 52, joinWeeks: 12, daily: false, ...truth });
    expect(Array.from(again.frequency)).toEqual(Array.from(summary.frequency.slice(0, 100)));
  });

  it('lets the fits recover the parameters it was drawn from (within 3 standard errors)', () => {
    const bg = fitBgNbd(groupRfm(summary));
    for (const k of ['r', 'alpha', 'a', 'b'] as const)
      expect(Math.abs(bg.params[k] - truth.bgnbd[k])).toBeLessThan(3 * bg.stdErr[k]);
    const gg = fitGammaGamma(spendData(summary));
    for (const k of ['p', 'q', 'gamma'] as const)
      expect(Math.abs(gg.params[k] - truth.gammaGamma[k])).toBeLessThan(3 * gg.stdErr[k]);
  });
});
