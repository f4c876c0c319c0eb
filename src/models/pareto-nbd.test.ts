import { describe, expect, it } from 'vitest';
import { cdnowOrders, HAS_DATA } from '../../test/datasets.ts';
import { expectExactGradient } from '../../test/gradient.ts';
import { Random } from '../demo/random.ts';
import {
  fitParetoNbd,
  paretoNbdConditionalExpected,
  paretoNbdExpected,
  paretoNbdNegLogLik,
  paretoNbdPAlive,
  paretoNbdProbability,
} from './pareto-nbd.ts';
import { gammaDraw } from './simulate.ts';
import { dayOf, groupRfm, summarize } from './summary.ts';

const published = { r: 0.553, alpha: 10.578, s: 0.606, beta: 11.669 };

describe('Pareto/NBD', () => {
  it('stops at the edge of its domain, not converged, when dropout has no heterogeneity', () => {
    // Purchase rates vary (gamma, r = 0.8, α = 8 weeks) but every customer dies at the same rate
    // (0.0127 a week): the likelihood keeps rising as s, β → ∞ with s/β fixed.
    const rng = new Random(5);
    const n = 3000;
    const [frequency, recency, T] = [new Float64Array(n), new Float64Array(n), new Float64Array(n)];
    for (let i = 0; i < n; i++) {
      const rate = gammaDraw(rng, 0.8) / 8;
      T[i] = 52 + Math.floor(rng.next() * 52);
      const death = -Math.log(1 - rng.next()) / 0.0127;
      for (
        let t = -Math.log(1 - rng.next()) / rate;
        t < Math.min(T[i]!, death);
        t += -Math.log(1 - rng.next()) / rate
      ) {
        frequency[i]!++;
        recency[i] = t;
      }
    }
    const fit = fitParetoNbd(groupRfm({ frequency, recency, T }));
    expect(fit.converged).toBe(false);
    expect(Math.abs(Math.log(fit.params.beta / fit.params.alpha))).toBeCloseTo(6, 2);
    expect(fit.params.s / fit.params.beta).toBeGreaterThan(0.008);
    expect(fit.params.s / fit.params.beta).toBeLessThan(0.02);
    expect(fit.iterations).toBeLessThan(200);
    expect(Number.isNaN(fit.stdErr.s)).toBe(true);
  });

  it('has an exact gradient on both sides of α = β', () => {
    const g = groupRfm({
      frequency: Float64Array.of(0, 1, 4, 12),
      recency: Float64Array.of(0, 3.5, 20, 30),
      T: Float64Array.of(10, 20, 30, 38),
    });
    const f = paretoNbdNegLogLik(g);
    expectExactGradient(f, [0.5, 10, 0.6, 12], 4);
    expectExactGradient(f, [0.5, 12, 0.7, 3], 4);
  });

  it('has a distribution P(X(t) = n) whose mean is E[X(t)], for α above and below β', () => {
    for (const p of [published, { ...published, alpha: 20, beta: 4 }]) {
      let total = 0;
      let mean = 0;
      for (let n = 0; n < 300; n++) {
        const pr = paretoNbdProbability(p, n, 39);
        total += pr;
        mean += n * pr;
      }
      expect(total).toBeCloseTo(1, 9);
      expect(mean).toBeCloseTo(paretoNbdExpected(p, 39), 7);
    }
  });

  it('says a customer without repeat purchases fades as T grows', () => {
    expect(paretoNbdPAlive(published, 0, 0, 10)).toBeGreaterThan(paretoNbdPAlive(published, 0, 0, 30));
    expect(paretoNbdConditionalExpected(published, 0, 3, 10, 20)).toBe(0);
  });
});

describe.skipIf(!HAS_DATA)('Pareto/NBD on CDNOW (needs ../shared/data)', () => {
  it('reproduces Fader, Hardie & Lee (2005) to the published precision', () => {
    const fit = fitParetoNbd(groupRfm(summarize(cdnowOrders(), dayOf('1997-09-30')!, 'week')));
    expect(fit.converged).toBe(true);
    expect(fit.params.r.toFixed(3)).toBe('0.553');
    expect(fit.params.alpha.toFixed(3)).toBe('10.578');
    expect(fit.params.s.toFixed(3)).toBe('0.606');
    expect(fit.params.beta.toFixed(3)).toBe('11.669');
    expect(fit.ll.toFixed(1)).toBe('-9595.0');
  });
});
