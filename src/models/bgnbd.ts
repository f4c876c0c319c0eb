/**
 * @module models/bgnbd
 * The BG/NBD model of Fader, Hardie & Lee (2005), "Counting your customers the easy way": while alive a
 * customer buys as a Poisson process with rate λ ~ Gamma(r, α); after each purchase they drop out with
 * probability p ~ Beta(a, b). Fitted by maximum likelihood (equation 6 of the paper) with an analytic
 * gradient, on customers grouped by identical (x, tₓ, T); every term is computed in log space.
 */
import { fitPositive } from './optimize.ts';
import { betaln, digamma, gammaln, log2f1, logAddExp } from './special.ts';
import type { RfmGroups } from './summary.ts';

/** BG/NBD parameters. */
export interface BgNbdParams {
  r: number;
  alpha: number;
  a: number;
  b: number;
}

/** A fitted model: parameters, their standard errors and the maximised log-likelihood. */
export interface Fit<P> {
  params: P;
  stdErr: P;
  ll: number;
  converged: boolean;
  iterations: number;
}

/** Distinct values of x and, for each group, the index of its x (terms that depend on x alone are shared). */
function xIndex(x: Float64Array): { values: Float64Array; of: Uint32Array } {
  const map = new Map<number, number>();
  const of = new Uint32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    let k = map.get(x[i]!);
    if (k === undefined) {
      k = map.size;
      map.set(x[i]!, k);
    }
    of[i] = k;
  }
  return { values: Float64Array.from(map.keys()), of };
}

/** −log-likelihood of grouped data and its gradient in (r, α, a, b). */
export function bgNbdNegLogLik(g: RfmGroups): (p: Float64Array, grad: Float64Array) => number {
  const xi = xIndex(g.x);
  const nx = xi.values.length;
  // Per distinct x: [lgamma(r+x), ψ(r+x), c1, c2, ∂c1/∂a, ∂c1/∂b, ∂c2/∂a, ∂c2/∂b]
  const perX = new Float64Array(nx * 8);
  return (p, grad) => {
    const r = p[0]!;
    const alpha = p[1]!;
    const a = p[2]!;
    const b = p[3]!;
    const lbAB = betaln(a, b);
    const psiA = digamma(a);
    const psiB = digamma(b);
    const psiAB = digamma(a + b);
    const psiA1 = digamma(a + 1);
    const lgR = gammaln(r);
    const psiR = digamma(r);
    const lnAlpha = Math.log(alpha);
    for (let k = 0; k < nx; k++) {
      const x = xi.values[k]!;
      const psiABx = digamma(a + b + x);
      const o = k * 8;
      perX[o] = gammaln(r + x) - lgR;
      perX[o + 1] = digamma(r + x) - psiR;
      perX[o + 2] = betaln(a, b + x) - lbAB;
      perX[o + 4] = psiAB - psiABx;
      perX[o + 5] = digamma(b + x) - psiABx - psiB + psiAB;
      if (x > 0) {
        perX[o + 3] = betaln(a + 1, b + x - 1) - lbAB;
        perX[o + 6] = psiA1 - psiABx - psiA + psiAB;
        perX[o + 7] = digamma(b + x - 1) - psiABx - psiB + psiAB;
      }
    }
    let ll = 0;
    let gr = 0;
    let gal = 0;
    let ga = 0;
    let gb = 0;
    for (let i = 0; i < g.x.length; i++) {
      const w = g.count[i]!;
      const x = g.x[i]!;
      const o = xi.of[i]! * 8;
      const rx = r + x;
      const lT = Math.log(alpha + g.T[i]!);
      const l1 = perX[o + 2]! - rx * lT;
      let lsum = l1;
      let w2 = 0;
      let dr = -lT;
      let dal = -rx / (alpha + g.T[i]!);
      let da = perX[o + 4]!;
      let db = perX[o + 5]!;
      if (x > 0) {
        const lt = Math.log(alpha + g.recency[i]!);
        const l2 = perX[o + 3]! - rx * lt;
        lsum = logAddExp(l1, l2);
        w2 = Math.exp(l2 - lsum);
        const w1 = 1 - w2;
        dr = w1 * dr - w2 * lt;
        dal = w1 * dal - (w2 * rx) / (alpha + g.recency[i]!);
        da = w1 * da + w2 * perX[o + 6]!;
        db = w1 * db + w2 * perX[o + 7]!;
      }
      ll += w * (perX[o]! + r * lnAlpha + lsum);
      gr += w * (perX[o + 1]! + lnAlpha + dr);
      gal += w * (r / alpha + dal);
      ga += w * da;
      gb += w * db;
    }
    grad[0] = -gr;
    grad[1] = -gal;
    grad[2] = -ga;
    grad[3] = -gb;
    return -ll;
  };
}

/** Number of customers and their mean age T: the scale of α in the summary's unit. */
export function sizeAndScale(g: RfmGroups): { n: number; meanT: number } {
  let n = 0;
  let sumT = 0;
  for (let i = 0; i < g.count.length; i++) {
    n += g.count[i]!;
    sumT += g.count[i]! * g.T[i]!;
  }
  return { n, meanT: sumT / n };
}

/**
 * Fits the BG/NBD model to grouped RFM data.
 *
 * @example fitBgNbd(groupRfm(summarize(orders, cutoff, 'week'))).params // { r, alpha, a, b }
 */
export function fitBgNbd(g: RfmGroups): Fit<BgNbdParams> {
  // Start α at half the mean age, so the start is as good in days as in weeks.
  const { n, meanT } = sizeAndScale(g);
  const f = fitPositive(bgNbdNegLogLik(g), [1, meanT / 2, 1, 3], n);
  const [r, alpha, a, b] = f.params;
  const [sr, salpha, sa, sb] = f.stdErr;
  return {
    params: { r: r!, alpha: alpha!, a: a!, b: b! },
    stdErr: { r: sr!, alpha: salpha!, a: sa!, b: sb! },
    ll: -f.negLogLik,
    converged: f.converged,
    iterations: f.iterations,
  };
}

/** P(alive at T | x, tₓ, T) (equation 11 of the paper's technical note). */
export function bgNbdPAlive(p: BgNbdParams, x: number, tx: number, T: number): number {
  if (x === 0) return 1;
  const logRatio = Math.log(p.a / (p.b + x - 1)) + (p.r + x) * Math.log((p.alpha + T) / (p.alpha + tx));
  return 1 / (1 + Math.exp(logRatio));
}

/** E[Y(t) | x, tₓ, T]: expected purchases in the next t units of a customer with that history (eq. 10). */
export function bgNbdConditionalExpected(
  p: BgNbdParams,
  t: number,
  x: number,
  tx: number,
  T: number,
): number {
  if (t <= 0) return 0;
  const { r, alpha, a, b } = p;
  const z = t / (alpha + T + t);
  const lf = log2f1(r + x, b + x, a + b + x - 1, z).value;
  // 1 − ((α+T)/(α+T+t))^{r+x} 2F1(…), in a form that keeps its precision when t is small.
  const bracket = -Math.expm1((r + x) * Math.log1p(-z) + lf);
  const numerator = ((a + b + x - 1) / (a - 1)) * bracket;
  const denominator =
    x > 0 ? 1 + (a / (b + x - 1)) * Math.exp((r + x) * Math.log((alpha + T) / (alpha + tx))) : 1;
  return numerator / denominator;
}

/** E[X(t)]: expected purchases of a new customer in their first t units (eq. 7). */
export function bgNbdExpected(p: BgNbdParams, t: number): number {
  if (t <= 0) return 0;
  const { r, alpha, a, b } = p;
  const z = t / (alpha + t);
  const lf = log2f1(r, b, a + b - 1, z).value;
  return ((a + b - 1) / (a - 1)) * -Math.expm1(r * Math.log1p(-z) + lf);
}

/** P(X(t) = n): probability that a new customer makes n purchases in their first t units (eq. 8). */
export function bgNbdProbability(p: BgNbdParams, n: number, t: number): number {
  const { r, alpha, a, b } = p;
  const lq = Math.log(alpha / (alpha + t)); // ln(α/(α+t))
  const lz = Math.log(t / (alpha + t)); // ln(t/(α+t))
  const lnb = (j: number) => gammaln(r + j) - gammaln(r) - gammaln(j + 1) + r * lq + j * lz;
  const first = Math.exp(betaln(a, b + n) - betaln(a, b) + lnb(n));
  if (n === 0) return first;
  let cdf = 0;
  for (let j = 0; j < n; j++) cdf += Math.exp(lnb(j));
  return first + Math.exp(betaln(a + 1, b + n - 1) - betaln(a, b)) * (1 - cdf);
}
