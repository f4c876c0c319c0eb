/**
 * Test helper: checks an analytic gradient against central finite differences.
 */
import { expect } from 'vitest';

/** Asserts that `f`'s gradient at `point` matches central differences to `digits` decimals. */
export function expectExactGradient(
  f: (p: Float64Array, grad: Float64Array) => number,
  point: readonly number[],
  digits: number,
): void {
  const p = Float64Array.from(point);
  const grad = new Float64Array(p.length);
  const scratch = new Float64Array(p.length);
  f(p, grad);
  for (let k = 0; k < p.length; k++) {
    const h = 1e-6 * p[k]!;
    const up = Float64Array.from(p);
    const down = Float64Array.from(p);
    up[k] = up[k]! + h;
    down[k] = down[k]! - h;
    expect(grad[k]).toBeCloseTo((f(up, scratch) - f(down, scratch)) / (2 * h), digits);
  }
}
