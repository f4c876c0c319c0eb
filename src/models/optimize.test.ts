import { describe, expect, it } from 'vitest';
import { invert, minimize } from './optimize.ts';

describe('BFGS', () => {
  it('minimises the Rosenbrock function', () => {
    const r = minimize(
      (x, g) => {
        const [a, b] = [x[0]!, x[1]!];
        g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
        g[1] = 200 * (b - a * a);
        return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
      },
      [-1.2, 1],
    );
    expect(r.converged).toBe(true);
    expect(r.x[0]).toBeCloseTo(1, 6);
    expect(r.x[1]).toBeCloseTo(1, 6);
  });

  it('steps back from points where the objective cannot be evaluated', () => {
    const r = minimize(
      (x, g) => {
        if (x[0]! > 6) throw new RangeError('out of range');
        g[0] = 2 * (x[0]! - 10);
        return (x[0]! - 10) ** 2;
      },
      [0],
    );
    expect(r.x[0]).toBeLessThanOrEqual(6);
    expect(r.x[0]).toBeGreaterThan(5.9);
  });

  it('inverts small matrices and detects singular ones', () => {
    const inv = invert(Float64Array.of(4, 7, 2, 6), 2)!;
    expect(Array.from(inv).map((v) => Number(v.toFixed(10)))).toEqual([0.6, -0.7, -0.2, 0.4]);
    expect(invert(Float64Array.of(1, 2, 2, 4), 2)).toBeNull();
  });
});
