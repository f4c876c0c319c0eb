/**
 * @module models/pareto-nbd
 * The Pareto/NBD model (Schmittlein, Morrison & Colombo 1987) in the formulation of Fader & Hardie's
 * note "A note on deriving the Pareto/NBD model and related expressions" (2005): purchases are Poisson
 * with rate λ ~ Gamma(r, α), lifetimes are exponential with rate μ ~ Gamma(s, β). The likelihood needs the
 * Gauss hypergeometric function; its logarithm's derivatives (from models/special) give the analytic
 * gradient. Every term is combined in log space.
 */
import { type Fit, sizeAndScale } from './bgnbd.ts';
import { fitPositive } from './optimize.ts';
import { digamma, gammaln, log2f1 } from './special.ts';
import type { RfmGroups } from './summary.ts';

/** Pareto/NBD parameters. */
export interface ParetoNbdParams {
  r: number;
  alpha: number;
  s: number;
  beta: number;
}

/** One exponential term of the likelihood: its logarithm and the gradient of that logarithm. */
interface LogTerm {
  value: number;
  d: [number, number, number, number];
}

/**
 * ln of the part of the likelihood after the death time integral, s/(r+s+x) · F(A, b; A+1; z)/u^A,
 * evaluated at time `t` (tₓ or T), with its gradient in (r, α, s, β).
 */
function integralTerm(p: ParetoNbdParams, x: number, t: number): LogTerm {
  const { r, alpha, s, beta } = p;
  const A = r + s + x;
  const alphaBig = alpha >= beta;
  const u = (alphaBig ? alpha : beta) + t;
  const z = Math.abs(alpha - beta) / u;
  const b = alphaBig ? s + 1 : r + x;
  const f = log2f1(A, b, A + 1, z);
  const lnU = Math.log(u);
  const common = -1 / A + f.da + f.dc - lnU;
  // ∂z/∂α and ∂z/∂β for z = (α−β)/(α+t) or (β−α)/(β+t)
  const dzA = alphaBig ? (beta + t) / (u * u) : -1 / u;
  const dzB = alphaBig ? -1 / u : (alpha + t) / (u * u);
  return {
    value: Math.log(s) - Math.log(A) + f.value - A * lnU,
    d: [
      common + (alphaBig ? 0 : f.db),
      f.dz * dzA - (alphaBig ? A / u : 0),
      1 / s + common + (alphaBig ? f.db : 0),
      f.dz * dzB - (alphaBig ? 0 : A / u),
    ],
  };
}

/** ln of the "alive at T" term 1/((α+T)^{r+x} (β+T)^s) with its gradient. */
function aliveTerm(p: ParetoNbdParams, x: number, T: number): LogTerm {
  const { r, alpha, s, beta } = p;
  const la = Math.log(alpha + T);
  const lb = Math.log(beta + T);
  return {
    value: -(r + x) * la - s * lb,
    d: [-la, -(r + x) / (alpha + T), -lb, -s / (beta + T)],
  };
}

/**
 * ln L for one (x, tₓ, T) minus the factor Γ(r+x)α^r β^s / Γ(r), with its gradient, and the share of the
 * likelihood that says "still alive at T" (P(alive)).
 */
function core(
  p: ParetoNbdParams,
  x: number,
  tx: number,
  T: number,
): { value: number; d: number[]; pAlive: number } {
  const alive = aliveTerm(p, x, T);
  const atTx = integralTerm(p, x, tx);
  const atT = integralTerm(p, x, T);
  const m = Math.max(alive.value, atTx.value);
  const e1 = Math.exp(alive.value - m);
  const e2 = Math.exp(atTx.value - m);
  const e3 = Math.exp(atT.value - m);
  // F(·, z)/u^A decreases in t, so e2 ≥ e3 and the sum is positive; clamp rounding when tₓ ≈ T.
  const sum = e1 + Math.max(e2 - e3, 0);
  const d = [0, 1, 2, 3].map((k) => (e1 * alive.d[k]! + e2 * atTx.d[k]! - e3 * atT.d[k]!) / sum);
  return { value: m + Math.log(sum), d, pAlive: e1 / sum };
}

function asParams(v: Float64Array): ParetoNbdParams {
  return { r: v[0]!, alpha: v[1]!, s: v[2]!, beta: v[3]! };
}

/** −log-likelihood of grouped data and its gradient in (r, α, s, β). */
export function paretoNbdNegLogLik(g: RfmGroups): (p: Float64Array, grad: Float64Array) => number {
  return (v, grad) => {
    const p = asParams(v);
    const lnA = Math.log(p.alpha);
    const lnB = Math.log(p.beta);
    const lgR = gammaln(p.r);
    const psiR = digamma(p.r);
    let ll = 0;
    const gsum = [0, 0, 0, 0];
    for (let i = 0; i < g.x.length; i++) {
      const w = g.count[i]!;
      const x = g.x[i]!;
      const c = core(p, x, g.recency[i]!, g.T[i]!);
      ll += w * (gammaln(p.r + x) - lgR + p.r * lnA + p.s * lnB + c.value);
      gsum[0]! += w * (digamma(p.r + x) - psiR + lnA + c.d[0]!);
      gsum[1]! += w * (p.r / p.alpha + c.d[1]!);
      gsum[2]! += w * (lnB + c.d[2]!);
      gsum[3]! += w * (p.s / p.beta + c.d[3]!);
    }
    for (let k = 0; k < 4; k++) grad[k] = -gsum[k]!;
    return -ll;
  };
}

/**
 * Fits the Pareto/NBD model to grouped RFM data.
 *
 * @example fitParetoNbd(groupRfm(summary)).params // { r, alpha, s, beta }
 */
export function fitParetoNbd(g: RfmGroups): Fit<ParetoNbdParams> {
  const { n, meanT } = sizeAndScale(g);
  // The 2F1 series needs about 40 (α ∨ β + t) ÷ (α ∧ β + t) terms. α and β drift apart only on the
  // ridge where dropout loses its heterogeneity (s, β → ∞ with s/β fixed); the fit stays within a
  // ratio of e⁶ and stops there, not converged, instead of summing ever longer series.
  const f = fitPositive(
    paretoNbdNegLogLik(g),
    [1, meanT / 2, 1, meanT / 2],
    n,
    (theta) => Math.abs(theta[1]! - theta[3]!) <= 6,
  );
  return {
    params: asParams(f.params),
    stdErr: asParams(Float64Array.from(f.stdErr)),
    ll: -f.negLogLik,
    converged: f.converged,
    iterations: f.iterations,
  };
}

/** P(alive at T | x, tₓ, T). */
export function paretoNbdPAlive(p: ParetoNbdParams, x: number, tx: number, T: number): number {
  return core(p, x, tx, T).pAlive;
}

/** (1 − q^{s−1}) / (s − 1), continuous through s = 1 (where it is −ln q). */
function lifetimeFactor(s: number, lnQ: number): number {
  const k = s - 1;
  return Math.abs(k) < 1e-10 ? -lnQ : -Math.expm1(k * lnQ) / k;
}

/** E[Y(t) | x, tₓ, T]: expected purchases in the next t units of a customer with that history. */
export function paretoNbdConditionalExpected(
  p: ParetoNbdParams,
  t: number,
  x: number,
  tx: number,
  T: number,
): number {
  if (t <= 0) return 0;
  const { r, alpha, s, beta } = p;
  const factor = lifetimeFactor(s, Math.log((beta + T) / (beta + T + t)));
  return (paretoNbdPAlive(p, x, tx, T) * ((r + x) * (beta + T) * factor)) / (alpha + T);
}

/** E[X(t)]: expected purchases of a new customer in their first t units. */
export function paretoNbdExpected(p: ParetoNbdParams, t: number): number {
  if (t <= 0) return 0;
  const { r, alpha, s, beta } = p;
  return ((r * beta) / alpha) * lifetimeFactor(s, Math.log(beta / (beta + t)));
}

/**
 * P(X(t) = n) for a new customer (Fader & Hardie 2006, "Deriving an expression for P(X(t) = x) under the
 * Pareto/NBD model", equation 9).
 */
export function paretoNbdProbability(p: ParetoNbdParams, n: number, t: number): number {
  if (t <= 0) return n === 0 ? 1 : 0;
  const { r, alpha, s, beta } = p;
  const alphaBig = alpha >= beta;
  const m = alphaBig ? alpha : beta;
  const b = alphaBig ? s + 1 : r + n;
  const c = r + s + n + 1;
  const first = Math.exp(
    gammaln(r + n) -
      gammaln(r) -
      gammaln(n + 1) +
      r * Math.log(alpha / (alpha + t)) +
      n * Math.log(t / (alpha + t)) +
      s * Math.log(beta / (beta + t)),
  );
  const lnBeta = (u: number, v: number) => gammaln(u) + gammaln(v) - gammaln(u + v);
  const lead = r * Math.log(alpha) + s * Math.log(beta) + lnBeta(r + n, s + 1) - lnBeta(r, s);
  const b1 = Math.exp(lead + log2f1(r + s, b, c, Math.abs(alpha - beta) / m).value - (r + s) * Math.log(m));
  let b2 = 0;
  for (let j = 0; j <= n; j++) {
    const mt = m + t;
    b2 += Math.exp(
      lead +
        gammaln(r + s + j) -
        gammaln(r + s) -
        gammaln(j + 1) +
        j * Math.log(t) +
        log2f1(r + s + j, b, c, Math.abs(alpha - beta) / mt).value -
        (r + s + j) * Math.log(mt),
    );
  }
  return first + b1 - b2;
}
