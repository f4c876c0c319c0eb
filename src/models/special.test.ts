import { describe, expect, it } from 'vitest';
import { hyp2f1, log2f1, logAddExp, logSubExp } from './special.ts';

describe('2F1', () => {
  it('matches closed forms', () => {
    for (const z of [0, 0.1, 0.5, 0.9, 0.999]) {
      expect(hyp2f1(1, 1, 2, z)).toBeCloseTo(z === 0 ? 1 : -Math.log1p(-z) / z, 12);
      expect(Math.abs(hyp2f1(2.3, 1.7, 1.7, z) / (1 - z) ** -2.3 - 1)).toBeLessThan(1e-12);
      const w = Math.sqrt(z);
      expect(hyp2f1(0.5, 0.5, 1.5, z)).toBeCloseTo(z === 0 ? 1 : Math.asin(w) / w, 12);
    }
  });

  it('matches 20-digit reference values (mpmath), near z = 1 too', () => {
    const cases: [number, number, number, number, number][] = [
      [1.5, 2.5, 3.5, 0.9, 8.30541217213222],
      [0.8, 3.2, 1.9, 0.99, 5726.859861686089],
      [25.3, 0.6, 26.3, 0.45, 1.40594455791396],
      [1, 2.18, 2.88, 1 / 1.1, 4.745660320079356],
    ];
    for (const [a, b, c, z, want] of cases)
      expect(Math.abs(hyp2f1(a, b, c, z) / want - 1)).toBeLessThan(1e-12);
  });

  it('gives the derivatives of its logarithm', () => {
    const [a, b, c, z] = [1.7, 0.9, 3.1, 0.62];
    const f = log2f1(a, b, c, z);
    const h = 1e-6;
    const num = (fn: (d: number) => number) => (fn(h) - fn(-h)) / (2 * h);
    expect(f.da).toBeCloseTo(
      num((d) => log2f1(a + d, b, c, z).value),
      7,
    );
    expect(f.db).toBeCloseTo(
      num((d) => log2f1(a, b + d, c, z).value),
      7,
    );
    expect(f.dc).toBeCloseTo(
      num((d) => log2f1(a, b, c + d, z).value),
      7,
    );
    expect(f.dz).toBeCloseTo(
      num((d) => log2f1(a, b, c, z + d).value),
      7,
    );
  });

  it('does not overflow where the function is huge', () => {
    const v = log2f1(300, 300, 1, 0.9).value;
    expect(Number.isFinite(v)).toBe(true);
    expect(v).toBeGreaterThan(700);
  });

  it('rejects arguments outside its domain', () => {
    expect(() => log2f1(1, 1, 2, 1)).toThrow(RangeError);
    expect(() => log2f1(-1, 1, 2, 0.5)).toThrow(RangeError);
  });
});

describe('log-space sums', () => {
  it('adds and subtracts without overflow', () => {
    expect(logAddExp(1000, 1000)).toBeCloseTo(1000 + Math.LN2, 12);
    expect(logAddExp(Number.NEGATIVE_INFINITY, 3)).toBe(3);
    expect(logSubExp(1000, 1000 - Math.LN2)).toBeCloseTo(1000 - Math.LN2, 12);
    expect(logSubExp(5, 5)).toBe(Number.NEGATIVE_INFINITY);
  });
});
