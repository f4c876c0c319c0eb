/**
 * @module models/special
 * Special functions for the customer models. Log-gamma, log-beta and digamma come from stdlib; the Gauss
 * hypergeometric function 2F1 has no maintained JavaScript implementation, so it is summed here as its
 * power series, in a rescaled form that cannot overflow, together with the derivatives of its logarithm
 * with respect to every argument (the Pareto/NBD gradient needs them).
 */
import betaln from '@stdlib/math-base-special-betaln';
import digamma from '@stdlib/math-base-special-digamma';
import gammaln from '@stdlib/math-base-special-gammaln';

export { betaln, digamma, gammaln };

/** ln(e^x + e^y) without overflow. */
export function logAddExp(x: number, y: number): number {
  if (x === Number.NEGATIVE_INFINITY) return y;
  if (y === Number.NEGATIVE_INFINITY) return x;
  return x > y ? x + Math.log1p(Math.exp(y - x)) : y + Math.log1p(Math.exp(x - y));
}

/** ln(e^x − e^y) for x ≥ y (−∞ when they are equal). */
export function logSubExp(x: number, y: number): number {
  if (y === Number.NEGATIVE_INFINITY) return x;
  const d = y - x;
  return d >= 0 ? Number.NEGATIVE_INFINITY : x + Math.log(-Math.expm1(d));
}

/** ln 2F1(a, b; c; z) and its partial derivatives. */
export interface Log2F1 {
  value: number;
  da: number;
  db: number;
  dc: number;
  dz: number;
}

const MAX_TERMS = 200_000;
const RESCALE = 1e200;

/**
 * ln 2F1(a, b; c; z) for a, b, c > 0 and 0 ≤ z < 1 (the only region the models use), by the power series
 * Σ (a)ₖ(b)ₖ / ((c)ₖ k!) zᵏ. All terms are positive there, so the sum has no cancellation; the partial
 * sums are rescaled when they grow large (near z = 1 with c − a − b < 0 the function itself is huge).
 * The derivatives follow term by term: ∂tₖ/∂a = tₖ Σ_{j<k} 1/(a+j), ∂tₖ/∂z = k tₖ / z.
 *
 * @example log2f1(1, 1, 2, 0.5).value // ln(−ln(1 − 0.5) / 0.5) = ln(2 ln 2)
 */
export function log2f1(a: number, b: number, c: number, z: number): Log2F1 {
  if (!(a > 0 && b > 0 && c > 0 && z >= 0 && z < 1))
    throw new RangeError(`2F1 needs a, b, c > 0 and 0 ≤ z < 1 (a=${a}, b=${b}, c=${c}, z=${z})`);
  let term = 1;
  let sum = 1;
  let sa = 0; // Σ_{j<k} 1/(a+j) for the current term
  let sb = 0;
  let sc = 0;
  let fa = 0;
  let fb = 0;
  let fc = 0;
  let fz = 0;
  let logScale = 0;
  for (let k = 0; k < MAX_TERMS; k++) {
    const ratio = ((a + k) * (b + k)) / ((c + k) * (k + 1));
    const next = term * ratio * z;
    sa += 1 / (a + k);
    sb += 1 / (b + k);
    sc += 1 / (c + k);
    term = next;
    sum += term;
    fa += term * sa;
    fb += term * sb;
    fc -= term * sc;
    fz += term * (k + 1);
    if (sum > RESCALE) {
      term /= RESCALE;
      sum /= RESCALE;
      fa /= RESCALE;
      fb /= RESCALE;
      fc /= RESCALE;
      fz /= RESCALE;
      logScale += Math.log(RESCALE);
    }
    // Stop once the terms shrink and the tail (bounded by a geometric series once ratio·z < 1) is negligible.
    const r = ratio * z;
    if (r < 1 && term * (k + 1) <= 1e-17 * sum * (1 - r)) {
      return {
        value: Math.log(sum) + logScale,
        da: fa / sum,
        db: fb / sum,
        dc: fc / sum,
        dz: z > 0 ? fz / z / sum : (a * b) / c,
      };
    }
  }
  throw new RangeError(`2F1 series did not converge (a=${a}, b=${b}, c=${c}, z=${z})`);
}

/** 2F1(a, b; c; z) for a, b, c > 0 and 0 ≤ z < 1. */
export function hyp2f1(a: number, b: number, c: number, z: number): number {
  return Math.exp(log2f1(a, b, c, z).value);
}
