/**
 * @module models/simulate
 * Seeded simulation of customer bases from the BG/NBD and Gamma-Gamma generative processes: the ground
 * truth for parameter-recovery tests and the synthetic data of the benchmarks (100k to millions of
 * customers with known parameters).
 */
import { Random } from '../demo/random.ts';
import type { BgNbdParams } from './bgnbd.ts';
import type { GammaGammaParams } from './gamma-gamma.ts';
import type { RfmSummary } from './summary.ts';

/** Gamma(shape, 1) draw (Marsaglia & Tsang 2000; shape < 1 by the boost u^(1/shape)). */
export function gammaDraw(rng: Random, shape: number): number {
  if (shape < 1) return gammaDraw(rng, shape + 1) * (1 - rng.next()) ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = rng.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - rng.next();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** Options of {@link simulateRfm}. */
export interface SimulationOptions {
  customers: number;
  seed: number;
  bgnbd: BgNbdParams;
  gammaGamma: GammaGammaParams;
  /** Customers join uniformly over the first `joinWeeks` weeks and are observed until `weeks`. */
  weeks: number;
  joinWeeks: number;
  /** Round purchase times to whole days (as real order data is); otherwise continuous. */
  daily: boolean;
}

/**
 * Simulates an RFM summary in weeks: λ ~ Gamma(r, α), p ~ Beta(a, b); purchases are Poisson(λ) from the
 * first purchase on, and after each repeat purchase the customer drops out with probability p. Each repeat
 * transaction is worth Gamma(p, ν) with ν ~ Gamma(q, γ).
 */
export function simulateRfm(opts: SimulationOptions): RfmSummary {
  const rng = new Random(opts.seed);
  const n = opts.customers;
  const { r, alpha, a, b } = opts.bgnbd;
  const gg = opts.gammaGamma;
  const out: RfmSummary = {
    unit: 'week',
    cutoffDay: opts.weeks * 7,
    ids: Array.from({ length: n }, (_, i) => `c${i + 1}`),
    frequency: new Float64Array(n),
    recency: new Float64Array(n),
    T: new Float64Array(n),
    monetary: new Float64Array(n),
    spendDays: new Float64Array(n),
  };
  const round = (t: number) => (opts.daily ? Math.ceil(t * 7) / 7 : t);
  for (let i = 0; i < n; i++) {
    const join = opts.daily ? Math.floor(rng.next() * opts.joinWeeks * 7) / 7 : rng.next() * opts.joinWeeks;
    const T = opts.weeks - join;
    const lambda = gammaDraw(rng, r) / alpha;
    const ga = gammaDraw(rng, a);
    const p = ga / (ga + gammaDraw(rng, b));
    let t = 0;
    let x = 0;
    let tx = 0;
    for (;;) {
      t += rng.exponential(1 / lambda);
      const at = round(t);
      if (!(at <= T)) break;
      if (at > tx) {
        x++;
        tx = at;
      }
      if (rng.next() < p) break;
    }
    out.frequency[i] = x;
    out.recency[i] = tx;
    out.T[i] = T;
    if (x > 0) {
      const nu = gammaDraw(rng, gg.q) / gg.gamma;
      out.monetary[i] = gammaDraw(rng, gg.p * x) / nu / x;
      out.spendDays[i] = x;
    }
  }
  return out;
}
