/**
 * @module models/sbg
 * The shifted-beta-geometric model for subscriptions (Fader & Hardie 2007, "How to project customer
 * retention"): each period an active customer cancels with probability θ ~ Beta(γ, δ). Fitted by maximum
 * likelihood on a survival table (customers still active at the start of each period), projected forward,
 * and valued as discounted expected residual lifetime (Fader & Hardie 2010).
 */
import type { Fit } from './bgnbd.ts';
import { fitPositive } from './optimize.ts';
import { betaln, digamma, log2f1 } from './special.ts';

/** sBG parameters. */
export interface SbgParams {
  gamma: number;
  delta: number;
}

/**
 * Fits the sBG to a survival table: `alive[t]` customers active at period t (alive[0] is the cohort). Those
 * lost between t−1 and t churned in period t; those still active at the end are right-censored.
 *
 * @example fitSbg([1000, 631, 468, 382, 326, 289, 262, 241]).params // γ ≈ 0.704, δ ≈ 1.182
 */
export function fitSbg(alive: readonly number[]): Fit<SbgParams> {
  if (alive.length < 2) throw new RangeError('sBG needs at least two periods');
  for (let t = 1; t < alive.length; t++)
    if (!(alive[t]! >= 0 && alive[t]! <= alive[t - 1]!))
      throw new RangeError('alive must be a non-increasing list of counts');
  const n = alive.length - 1;
  const f = fitPositive(
    (p, grad) => {
      const g = p[0]!;
      const d = p[1]!;
      const lb = betaln(g, d);
      const dLbG = digamma(g) - digamma(g + d);
      const dLbD = digamma(d) - digamma(g + d);
      let ll = 0;
      let gg = 0;
      let gd = 0;
      for (let t = 1; t <= n; t++) {
        const lost = alive[t - 1]! - alive[t]!;
        if (lost === 0) continue;
        // ln P(T = t) = ln B(γ+1, δ+t−1) − ln B(γ, δ)
        const psi = digamma(g + d + t);
        ll += lost * (betaln(g + 1, d + t - 1) - lb);
        gg += lost * (digamma(g + 1) - psi - dLbG);
        gd += lost * (digamma(d + t - 1) - psi - dLbD);
      }
      const survivors = alive[n]!;
      if (survivors > 0) {
        // ln S(n) = ln B(γ, δ+n) − ln B(γ, δ)
        const psi = digamma(g + d + n);
        ll += survivors * (betaln(g, d + n) - lb);
        gg += survivors * (digamma(g) - psi - dLbG);
        gd += survivors * (digamma(d + n) - psi - dLbD);
      }
      grad[0] = -gg;
      grad[1] = -gd;
      return -ll;
    },
    [1, 1],
    alive[0]!,
  );
  return {
    params: { gamma: f.params[0]!, delta: f.params[1]! },
    stdErr: { gamma: f.stdErr[0]!, delta: f.stdErr[1]! },
    ll: -f.negLogLik,
    converged: f.converged,
    iterations: f.iterations,
  };
}

/** S(t): share of a new cohort still active at period t. */
export function sbgSurvival(p: SbgParams, t: number): number {
  return Math.exp(betaln(p.gamma, p.delta + t) - betaln(p.gamma, p.delta));
}

/** Retention rate from period t−1 to t: (δ + t − 1)/(γ + δ + t − 1), rising with t as the cohort sorts itself. */
export function sbgRetention(p: SbgParams, t: number): number {
  return (p.delta + t - 1) / (p.gamma + p.delta + t - 1);
}

/**
 * Discounted expected residual lifetime of a customer who has just renewed for the n-th time: the expected
 * number of further renewals, each discounted by (1 + d) per period,
 * Σ_{m≥1} S(n+m)/S(n) (1+d)^{−m} = z (δ+n)/(γ+δ+n) ₂F₁(1, δ+n+1; γ+δ+n+1; z) with z = 1/(1+d).
 * `discount` is the rate per period of the model (a year in the paper's tables).
 */
export function sbgResidualLifetime(p: SbgParams, n: number, discount: number): number {
  if (!(discount > 0)) throw new RangeError('the discount rate must be positive');
  const z = 1 / (1 + discount);
  const lf = log2f1(1, p.delta + n + 1, p.gamma + p.delta + n + 1, z).value;
  return z * ((p.delta + n) / (p.gamma + p.delta + n)) * Math.exp(lf);
}
