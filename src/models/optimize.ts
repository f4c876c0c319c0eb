/**
 * @module models/optimize
 * Maximum-likelihood machinery shared by the models: BFGS minimisation with an Armijo/curvature line
 * search, a Hessian by central differences of an analytic gradient, and standard errors from its inverse.
 * The models have 2–4 parameters, so a dense BFGS is the right tool: quasi-Newton convergence in a few
 * dozen gradient evaluations, where a derivative-free method would need hundreds of likelihood passes.
 */

/** An objective: returns f(x) and writes ∇f(x) into `grad`. */
export type Objective = (x: Float64Array, grad: Float64Array) => number;

export interface MinimizeResult {
  x: Float64Array;
  value: number;
  iterations: number;
  evaluations: number;
  converged: boolean;
}

/**
 * Minimises `f` from `x0` with BFGS (inverse-Hessian update, backtracking line search).
 *
 * @example minimize((x, g) => { g[0] = 2 * (x[0]! - 3); return (x[0]! - 3) ** 2; }, [0]).x[0] // ≈ 3
 */
export function minimize(
  objective: Objective,
  x0: ArrayLike<number>,
  opts: { gradTol?: number; maxIterations?: number; ftol?: number } = {},
): MinimizeResult {
  const n = x0.length;
  const gradTol = opts.gradTol ?? 1e-9;
  const ftol = opts.ftol ?? 2.220446049250313e-9;
  // A point where the objective cannot be evaluated (a special function out of its range) counts as +∞,
  // so the line search steps back from it instead of failing the fit.
  const f = (x: Float64Array, grad: Float64Array): number => {
    try {
      return objective(x, grad);
    } catch (error) {
      if (error instanceof RangeError) return Number.POSITIVE_INFINITY;
      throw error;
    }
  };
  const maxIterations = opts.maxIterations ?? 500;
  const x = Float64Array.from(x0);
  const g = new Float64Array(n);
  let fx = f(x, g);
  let evaluations = 1;
  if (!Number.isFinite(fx)) throw new RangeError('The objective is not finite at the starting point');
  const h = identity(n);
  const xNew = new Float64Array(n);
  const gNew = new Float64Array(n);
  const dir = new Float64Array(n);
  const s = new Float64Array(n);
  const y = new Float64Array(n);
  const hy = new Float64Array(n);
  let stalled = 0;
  for (let iter = 0; iter < maxIterations; iter++) {
    if (maxAbs(g) < gradTol) return { x, value: fx, iterations: iter, evaluations, converged: true };
    for (let i = 0; i < n; i++) {
      let d = 0;
      for (let j = 0; j < n; j++) d -= h[i * n + j]! * g[j]!;
      dir[i] = d;
    }
    let slope = dot(dir, g);
    if (slope >= 0) {
      // The update lost positive definiteness: restart from steepest descent.
      h.set(identity(n));
      for (let i = 0; i < n; i++) dir[i] = -g[i]!;
      slope = dot(dir, g);
    }
    // Never step further than a factor e^5 in any log-parameter in one go.
    let step = Math.min(1, 5 / Math.max(maxAbs(dir), 1e-300));
    let fNew = Number.NaN;
    for (let tries = 0; tries < 60; tries++) {
      for (let i = 0; i < n; i++) xNew[i] = x[i]! + step * dir[i]!;
      fNew = f(xNew, gNew);
      evaluations++;
      if (Number.isFinite(fNew) && fNew <= fx + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    if (!(Number.isFinite(fNew) && fNew <= fx + 1e-4 * step * slope))
      return { x, value: fx, iterations: iter, evaluations, converged: maxAbs(g) < Math.sqrt(gradTol) };
    for (let i = 0; i < n; i++) {
      s[i] = xNew[i]! - x[i]!;
      y[i] = gNew[i]! - g[i]!;
    }
    const sy = dot(s, y);
    if (sy > 1e-12 * Math.sqrt(dot(s, s) * dot(y, y))) {
      if (iter === 0) {
        // Scale the first inverse Hessian (Nocedal & Wright, eq. 6.20).
        const scale = sy / dot(y, y);
        for (let i = 0; i < n; i++) h[i * n + i] = scale;
      }
      for (let i = 0; i < n; i++) {
        let v = 0;
        for (let j = 0; j < n; j++) v += h[i * n + j]! * y[j]!;
        hy[i] = v;
      }
      const yhy = dot(y, hy);
      const rho = 1 / sy;
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++)
          h[i * n + j] =
            h[i * n + j]! + (1 + yhy * rho) * rho * s[i]! * s[j]! - rho * (hy[i]! * s[j]! + s[i]! * hy[j]!);
    }
    const reduction = (fx - fNew) / Math.max(1, Math.abs(fx), Math.abs(fNew));
    const converged = reduction <= 1e-15 && maxAbs(gNew) < 1e-5;
    x.set(xNew);
    g.set(gNew);
    fx = fNew;
    if (converged) return { x, value: fx, iterations: iter + 1, evaluations, converged: true };
    // A likelihood that keeps rising along a ridge towards a boundary (a model degenerating, e.g. no
    // dropout heterogeneity) improves by ever less while its gradient stays large: stop after three
    // steps in a row that each gain less than `ftol` relative (L-BFGS-B's default factr × machine
    // epsilon) with the gradient still above 1e-5, reporting no convergence. Near a true optimum the
    // gradient falls below that within those steps (superlinear convergence).
    stalled = reduction <= ftol && maxAbs(gNew) >= 1e-5 ? stalled + 1 : 0;
    if (stalled === 3) return { x, value: fx, iterations: iter + 1, evaluations, converged: false };
  }
  return { x, value: fx, iterations: maxIterations, evaluations, converged: maxAbs(g) < gradTol };
}

/**
 * Standard errors of a maximum-likelihood estimate: square roots of the diagonal of the inverse of the
 * observed information (the Hessian of the negative log-likelihood), the Hessian being taken by central
 * differences of the analytic gradient. `negLogLikGrad` works in the natural parameters.
 */
export function standardErrors(
  negLogLikGrad: (params: Float64Array, grad: Float64Array) => void,
  params: ArrayLike<number>,
): number[] {
  const n = params.length;
  const hess = new Float64Array(n * n);
  const gp = new Float64Array(n);
  const gm = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const h = 1e-5 * Math.max(Math.abs(params[j]!), 1e-3);
    const xp = Float64Array.from(params);
    const xm = Float64Array.from(params);
    xp[j] = xp[j]! + h;
    xm[j] = xm[j]! - h;
    negLogLikGrad(xp, gp);
    negLogLikGrad(xm, gm);
    for (let i = 0; i < n; i++) hess[i * n + j] = (gp[i]! - gm[i]!) / (2 * h);
  }
  for (let i = 0; i < n; i++)
    for (let j = 0; j < i; j++) {
      const v = (hess[i * n + j]! + hess[j * n + i]!) / 2;
      hess[i * n + j] = v;
      hess[j * n + i] = v;
    }
  const inv = invert(hess, n);
  return Array.from({ length: n }, (_, i) => {
    const v = inv ? inv[i * n + i]! : Number.NaN;
    return v > 0 ? Math.sqrt(v) : Number.NaN;
  });
}

/** Inverse of a small dense n×n matrix (Gauss–Jordan with partial pivoting); null when singular. */
export function invert(m: Float64Array, n: number): Float64Array | null {
  const a = Float64Array.from(m);
  const inv = identity(n);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++)
      if (Math.abs(a[r * n + col]!) > Math.abs(a[pivot * n + col]!)) pivot = r;
    const p = a[pivot * n + col]!;
    if (Math.abs(p) < 1e-300) return null;
    if (pivot !== col) for (const mat of [a, inv]) swapRows(mat, n, pivot, col);
    for (let j = 0; j < n; j++) {
      a[col * n + j] = a[col * n + j]! / p;
      inv[col * n + j] = inv[col * n + j]! / p;
    }
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const factor = a[r * n + col]!;
      if (factor === 0) continue;
      for (let j = 0; j < n; j++) {
        a[r * n + j] = a[r * n + j]! - factor * a[col * n + j]!;
        inv[r * n + j] = inv[r * n + j]! - factor * inv[col * n + j]!;
      }
    }
  }
  return inv;
}

function swapRows(m: Float64Array, n: number, r1: number, r2: number): void {
  for (let j = 0; j < n; j++) {
    const t = m[r1 * n + j]!;
    m[r1 * n + j] = m[r2 * n + j]!;
    m[r2 * n + j] = t;
  }
}

function identity(n: number): Float64Array {
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) m[i * n + i] = 1;
  return m;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

/**
 * Fits positive parameters by maximum likelihood in log space: `negLogLik(params, grad)` returns the
 * negative log-likelihood and its gradient in the natural parameters; the optimiser sees θ = ln(params),
 * where ∂/∂θᵢ = paramsᵢ ∂/∂paramsᵢ, and the objective divided by `scale` (the number of customers) so one
 * gradient tolerance suits every data size. `inDomain(θ)` may narrow the region a model is evaluated in.
 */
export function fitPositive(
  negLogLik: (params: Float64Array, grad: Float64Array) => number,
  start: ArrayLike<number>,
  scale: number,
  inDomain: (theta: Float64Array) => boolean = () => true,
): { params: Float64Array; negLogLik: number; converged: boolean; iterations: number; stdErr: number[] } {
  const p = new Float64Array(start.length);
  const result = minimize(
    (theta, grad) => {
      // Parameters beyond e^±12 mean a degenerate model (no dropout, no heterogeneity): out of bounds.
      for (let i = 0; i < p.length; i++) if (Math.abs(theta[i]!) > 12) return Number.POSITIVE_INFINITY;
      if (!inDomain(theta)) return Number.POSITIVE_INFINITY;
      for (let i = 0; i < p.length; i++) p[i] = Math.exp(theta[i]!);
      const v = negLogLik(p, grad);
      for (let i = 0; i < p.length; i++) grad[i] = (grad[i]! * p[i]!) / scale;
      return v / scale;
    },
    Array.from(start, Math.log),
  );
  const params = result.x.map(Math.exp);
  // Standard errors only mean something at an optimum.
  const stdErr = result.converged
    ? standardErrors((q, grad) => {
        negLogLik(q, grad);
      }, params)
    : Array.from(params, () => Number.NaN);
  return {
    params,
    negLogLik: result.value * scale,
    converged: result.converged,
    iterations: result.iterations,
    stdErr,
  };
}
