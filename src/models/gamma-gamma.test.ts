import { describe, expect, it } from 'vitest';
import { cdnowOrders, HAS_DATA } from '../../test/datasets.ts';
import { expectExactGradient } from '../../test/gradient.ts';
import {
  fitGammaGamma,
  gammaGammaExpectedSpend,
  gammaGammaNegLogLik,
  spendData,
  spendFrequencyCorrelation,
} from './gamma-gamma.ts';
import { dayOf, summarize } from './summary.ts';

describe('Gamma-Gamma', () => {
  it('has an exact gradient', () => {
    const f = gammaGammaNegLogLik({ x: Float64Array.of(1, 2, 5), mean: Float64Array.of(12, 30.5, 8) });
    expectExactGradient(f, [5, 3, 14], 6);
  });

  it('shrinks a customer’s mean spend towards the population mean', () => {
    const params = { p: 6.25, q: 3.74, gamma: 15.44 };
    const population = gammaGammaExpectedSpend(params, 0, 0);
    expect(population).toBeCloseTo((params.p * params.gamma) / (params.q - 1), 10);
    const one = gammaGammaExpectedSpend(params, 1, 100);
    const ten = gammaGammaExpectedSpend(params, 10, 100);
    expect(one).toBeGreaterThan(population);
    expect(ten).toBeGreaterThan(one);
    expect(ten).toBeLessThan(100);
  });

  it('refuses an empty data set', () => {
    expect(() =>
      fitGammaGamma(spendData({ spendDays: Float64Array.of(0), monetary: Float64Array.of(0) })),
    ).toThrow(RangeError);
  });
});

describe.skipIf(!HAS_DATA)('Gamma-Gamma on CDNOW (needs ../shared/data)', () => {
  it('reproduces Fader, Hardie & Lee (2005) on the 946 repeat buyers', () => {
    const d = spendData(summarize(cdnowOrders(), dayOf('1997-09-30')!, 'week'));
    expect(d.x.length).toBe(946);
    const fit = fitGammaGamma(d);
    expect(fit.params.p.toFixed(2)).toBe('6.25');
    expect(fit.params.q.toFixed(2)).toBe('3.74');
    expect(fit.params.gamma.toFixed(2)).toBe('15.44');
    // frequency and spend are nearly independent, as the model assumes (the paper reports 0.11)
    expect(spendFrequencyCorrelation(d).toFixed(2)).toBe('0.11');
  });
});
