/**
 * @module engine/stats
 * Intervals and tests, deterministic and exact where the catalogue asks: Wilson for shares, t for
 * means, an adjusted interval for NPS, exact order-statistic intervals for quantiles, z-tests for
 * shares and NPS, Welch's t-test for means. Distribution functions come from stdlib.
 */
import binomialCdf from '@stdlib/stats-base-dists-binomial-cdf';
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile';
import tCdf from '@stdlib/stats-base-dists-t-cdf';
import tQuantile from '@stdlib/stats-base-dists-t-quantile';

export const CONFIDENCE = 0.95;
const Z = normalQuantile(1 - (1 - CONFIDENCE) / 2, 0, 1);

export type Interval = [number, number] | null;

const round = (x: number, digits = 4) => Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * Wilson score interval for a share, in percent.
 * @example wilson(8, 10) // [49.0, 94.33] (approximately)
 */
export function wilson(k: number, n: number): Interval {
  if (n <= 0) return null;
  const p = k / n;
  const z2 = Z * Z;
  const denom = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denom;
  const half = (Z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  return [round(100 * Math.max(0, center - half)), round(100 * Math.min(1, center + half))];
}

/** t interval for a mean from n, mean and sample variance. */
export function tInterval(n: number, mean: number, variance: number): Interval {
  if (n < 2 || !Number.isFinite(variance)) return null;
  const t = tQuantile(1 - (1 - CONFIDENCE) / 2, n - 1);
  const half = t * Math.sqrt(variance / n);
  return [round(mean - half), round(mean + half)];
}

/**
 * NPS interval: one pseudo-count added to each of promoters, passives and detractors before
 * estimating (as Agresti–Coull does for one share), variance (p₊ + p₋ − (p₊ − p₋)²)/n, clipped to
 * −100…100. Plain ±1.96σ gives impossible intervals at small n and zero width when all agree.
 */
export function npsInterval(promoters: number, detractors: number, n: number): Interval {
  if (n <= 0) return null;
  const m = n + 3;
  const pp = (promoters + 1) / m;
  const pd = (detractors + 1) / m;
  const center = pp - pd;
  const half = Z * Math.sqrt((pp + pd - center * center) / m);
  return [round(Math.max(-100, 100 * (center - half))), round(Math.min(100, 100 * (center + half)))];
}

/** NPS variance of the estimate (in NPS points²), from the observed shares. */
export function npsVariance(promoters: number, detractors: number, n: number): number {
  const pp = promoters / n;
  const pd = detractors / n;
  return (10_000 * (pp + pd - (pp - pd) ** 2)) / n;
}

/** Two-sided p-value of a z statistic. */
function zP(z: number): number {
  return 2 * (1 - normalCdf(Math.abs(z), 0, 1));
}

/** Two-proportion z-test (pooled), p-value. */
export function shareTest(k1: number, n1: number, k2: number, n2: number): number | null {
  if (n1 <= 0 || n2 <= 0) return null;
  const p = (k1 + k2) / (n1 + n2);
  const se = Math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2));
  if (se === 0) return k1 / n1 === k2 / n2 ? 1 : 0;
  return round(zP((k1 / n1 - k2 / n2) / se), 6);
}

/** z-test of two NPS values with their variances. */
export function npsTest(nps1: number, var1: number, nps2: number, var2: number): number | null {
  const se = Math.sqrt(var1 + var2);
  if (!Number.isFinite(se)) return null;
  if (se === 0) return nps1 === nps2 ? 1 : 0;
  return round(zP((nps1 - nps2) / se), 6);
}

/** Welch's t-test of two means, p-value. */
export function welchTest(
  n1: number,
  m1: number,
  v1: number,
  n2: number,
  m2: number,
  v2: number,
): number | null {
  if (n1 < 2 || n2 < 2) return null;
  const a = v1 / n1;
  const b = v2 / n2;
  const se = Math.sqrt(a + b);
  if (se === 0) return m1 === m2 ? 1 : 0;
  const df = (a + b) ** 2 / (a ** 2 / (n1 - 1) + b ** 2 / (n2 - 1));
  const t = Math.abs(m1 - m2) / se;
  return round(2 * (1 - tCdf(t, df)), 6);
}

/**
 * Ranks (1-based) of the order statistics for the p-quantile of n values: the point estimate
 * x₍⌈pn⌉₎, and the exact distribution-free interval [x₍l₎, x₍u₎] with
 * P(l ≤ B < u) ≥ 95% for B ~ Binomial(n, p). A side that cannot be reached is null.
 */
export function quantileRanks(
  n: number,
  p: number,
): { point: number; lower: number | null; upper: number | null } {
  const point = Math.max(1, Math.ceil(p * n));
  const alpha = (1 - CONFIDENCE) / 2;
  // lower: largest l with P(B ≤ l − 1) ≤ α
  let lower: number | null = null;
  for (let l = point; l >= 1; l--) {
    if (binomialCdf(l - 1, n, p) <= alpha) {
      lower = l;
      break;
    }
  }
  // upper: smallest u with P(B ≤ u − 1) ≥ 1 − α
  let upper: number | null = null;
  for (let u = point; u <= n; u++) {
    if (binomialCdf(u - 1, n, p) >= 1 - alpha) {
      upper = u;
      break;
    }
  }
  return { point, lower, upper };
}

export { round };
