/**
 * @module models/gamma-gamma
 * The Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV: using iso-value curves", after
 * Colombo & Jiang 1999): each transaction's value is Gamma(p, ν) with ν ~ Gamma(q, γ) across customers.
 * Fitted on customers with at least one positive repeat spend, by maximum likelihood of their mean spend.
 */
import type { Fit } from './bgnbd.ts';
import { fitPositive } from './optimize.ts';
import { digamma, gammaln } from './special.ts';

/** Gamma-Gamma parameters. */
export interface GammaGammaParams {
  p: number;
  q: number;
  gamma: number;
}

/** Spend observations: number of spend days and their mean, per customer with positive spend. */
export interface SpendData {
  x: Float64Array;
  mean: Float64Array;
}

/** Keeps the customers with positive repeat spend (the model is defined for them only). */
export function spendData(s: { spendDays: Float64Array; monetary: Float64Array }): SpendData {
  const keep = (i: number) => s.spendDays[i]! > 0 && s.monetary[i]! > 0;
  let n = 0;
  for (let i = 0; i < s.spendDays.length; i++) if (keep(i)) n++;
  const out = { x: new Float64Array(n), mean: new Float64Array(n) };
  for (let i = 0, k = 0; i < s.spendDays.length; i++)
    if (keep(i)) {
      out.x[k] = s.spendDays[i]!;
      out.mean[k++] = s.monetary[i]!;
    }
  return out;
}

/** −log-likelihood of the mean spends and its gradient in (p, q, γ). */
export function gammaGammaNegLogLik(d: SpendData): (params: Float64Array, grad: Float64Array) => number {
  const n = d.x.length;
  const lnM = Float64Array.from(d.mean, Math.log);
  const lnX = Float64Array.from(d.x, Math.log);
  const xs = [...new Set(d.x)];
  const slot = new Map(xs.map((x, k) => [x, k]));
  const xOf = Uint32Array.from(d.x, (x) => slot.get(x)!);
  // Per distinct x: [lnΓ(px+q) − lnΓ(px) − lnΓ(q), ψ(px+q), ψ(px)]
  const perX = new Float64Array(xs.length * 3);
  return (params, grad) => {
    const p = params[0]!;
    const q = params[1]!;
    const gamma = params[2]!;
    const lgQ = gammaln(q);
    const psiQ = digamma(q);
    const lnG = Math.log(gamma);
    for (let k = 0; k < xs.length; k++) {
      const px = p * xs[k]!;
      perX[3 * k] = gammaln(px + q) - gammaln(px) - lgQ;
      perX[3 * k + 1] = digamma(px + q);
      perX[3 * k + 2] = digamma(px);
    }
    let ll = 0;
    let gp = 0;
    let gq = 0;
    let gg = 0;
    for (let i = 0; i < n; i++) {
      const x = d.x[i]!;
      const px = p * x;
      const k = xOf[i]!;
      const denom = gamma + x * d.mean[i]!;
      const lnD = Math.log(denom);
      const psiPxQ = perX[3 * k + 1]!;
      ll += perX[3 * k]! + q * lnG + (px - 1) * lnM[i]! + px * lnX[i]! - (px + q) * lnD;
      gp += x * (psiPxQ - perX[3 * k + 2]! + lnM[i]! + lnX[i]! - lnD);
      gq += psiPxQ - psiQ + lnG - lnD;
      gg += q / gamma - (px + q) / denom;
    }
    grad[0] = -gp;
    grad[1] = -gq;
    grad[2] = -gg;
    return -ll;
  };
}

/**
 * Fits the Gamma-Gamma model.
 *
 * @example fitGammaGamma(spendData(summary)).params // { p, q, gamma }
 */
export function fitGammaGamma(d: SpendData): Fit<GammaGammaParams> {
  if (d.x.length === 0) throw new RangeError('Gamma-Gamma needs at least one customer with repeat spend');
  // Start γ at twice the mean spend (E[M] = pγ/(q−1) = mean at p = 1, q = 3), whatever the currency.
  let mean = 0;
  for (const m of d.mean) mean += m / d.x.length;
  const f = fitPositive(gammaGammaNegLogLik(d), [1, 3, 2 * mean], d.x.length);
  const [p, q, gamma] = f.params;
  const [sp, sq, sg] = f.stdErr;
  return {
    params: { p: p!, q: q!, gamma: gamma! },
    stdErr: { p: sp!, q: sq!, gamma: sg! },
    ll: -f.negLogLik,
    converged: f.converged,
    iterations: f.iterations,
  };
}

/** E[M | x, m̄]: expected spend per transaction of a customer with x spend days of mean m̄ (0 days: the population mean). */
export function gammaGammaExpectedSpend(params: GammaGammaParams, x: number, mean: number): number {
  const { p, q, gamma } = params;
  return (p * (gamma + x * mean)) / (p * x + q - 1);
}

/** Pearson correlation of frequency and mean spend: the model assumes they are independent (near 0). */
export function spendFrequencyCorrelation(d: SpendData): number {
  const n = d.x.length;
  let sx = 0;
  let sm = 0;
  for (let i = 0; i < n; i++) {
    sx += d.x[i]!;
    sm += d.mean[i]!;
  }
  const mx = sx / n;
  const mm = sm / n;
  let cov = 0;
  let vx = 0;
  let vm = 0;
  for (let i = 0; i < n; i++) {
    const dx = d.x[i]! - mx;
    const dm = d.mean[i]! - mm;
    cov += dx * dm;
    vx += dx * dx;
    vm += dm * dm;
  }
  return cov / Math.sqrt(vx * vm);
}
