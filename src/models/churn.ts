/**
 * @module models/churn
 * Churn risk: L2-regularised logistic regression on encoded customer attributes (models/features),
 * fitted with BFGS on the exact gradient; stratified k-fold cross-validation with a seeded shuffle; Platt
 * calibration learnt on the out-of-fold scores; per-customer explanations as each input column's
 * contribution to the log-odds relative to an average customer (exact for a linear model).
 */
import { Random } from '../demo/random.ts';
import { type Encoder, encode, type FeatureRow, fitEncoder } from './features.ts';
import { minimize } from './optimize.ts';

/** A fitted logistic regression: weights per feature and an intercept (on standardised features). */
export interface Logistic {
  weights: Float64Array;
  intercept: number;
}

function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/**
 * Fits a logistic regression with penalty (λ/2)‖w‖² (the intercept is not penalised) on a row-major matrix
 * `x` (n × d) and labels `y` ∈ {0, 1}, from zero or from `start` (a fit on similar data converges in fewer
 * iterations from there).
 */
export function fitLogistic(
  x: Float64Array,
  y: Uint8Array,
  d: number,
  lambda: number,
  start?: Logistic,
): Logistic {
  const n = y.length;
  const w = new Float64Array(d);
  const g = new Float64Array(d);
  const result = minimize(
    (theta, grad) => {
      for (let j = 0; j < d; j++) w[j] = theta[j]!;
      g.fill(0);
      const b = theta[d]!;
      let loss = 0;
      let gb = 0;
      for (let i = 0, o = 0; i < n; i++, o += d) {
        let s = b;
        for (let j = 0; j < d; j++) s += x[o + j]! * w[j]!;
        // softplus(s) and sigmoid(s) from one exponential of −|s|
        const e = Math.exp(-Math.abs(s));
        loss += Math.max(s, 0) + Math.log1p(e) - (y[i] ? s : 0);
        const r = (s >= 0 ? 1 / (1 + e) : e / (1 + e)) - y[i]!;
        for (let j = 0; j < d; j++) g[j] = g[j]! + r * x[o + j]!;
        gb += r;
      }
      let penalty = 0;
      for (let j = 0; j < d; j++) {
        penalty += w[j]! * w[j]!;
        grad[j] = g[j]! / n + lambda * w[j]!;
      }
      grad[d] = gb / n;
      return loss / n + (lambda / 2) * penalty;
    },
    start ? [...start.weights, start.intercept] : new Float64Array(d + 1),
    { gradTol: 1e-6, maxIterations: 1000 },
  );
  return { weights: result.x.slice(0, d), intercept: result.x[d]! };
}

/** Log-odds of each row. */
export function logOdds(model: Logistic, x: Float64Array, d: number): Float64Array {
  const n = x.length / d;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = model.intercept;
    for (let j = 0; j < d; j++) s += x[i * d + j]! * model.weights[j]!;
    out[i] = s;
  }
  return out;
}

/** ROC AUC: the probability that a random positive scores above a random negative (ties count half). */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let rankSum = 0;
  let positives = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const rank = (i + j) / 2 + 1; // average rank of the tie block
    for (let k = i; k <= j; k++)
      if (labels[order[k]!]) {
        rankSum += rank;
        positives++;
      }
    i = j + 1;
  }
  const negatives = order.length - positives;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Assigns each row to one of k folds, keeping the share of positives equal across folds (seeded). */
export function stratifiedFolds(labels: ArrayLike<number>, k: number, seed: number): Uint8Array {
  const rng = new Random(seed);
  const folds = new Uint8Array(labels.length);
  for (const cls of [0, 1]) {
    const idx = Array.from({ length: labels.length }, (_, i) => i).filter((i) => (labels[i] ? 1 : 0) === cls);
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(rng.next() * (i + 1));
      [idx[i], idx[j]] = [idx[j]!, idx[i]!];
    }
    idx.forEach((row, pos) => {
      folds[row] = pos % k;
    });
  }
  return folds;
}

/** Platt scaling: P(churn) = σ(a · logit + b), fitted on held-out scores. */
export interface Calibration {
  a: number;
  b: number;
}

function fitPlatt(scores: Float64Array, labels: Uint8Array): Calibration {
  const m = fitLogistic(scores, labels, 1, 0);
  return { a: m.weights[0]!, b: m.intercept };
}

/** Options of {@link trainChurn}. */
export interface ChurnOptions {
  /** L2 penalty (default 1e-3). */
  lambda?: number;
  folds?: number;
  seed?: number;
  /** Columns never used as features (ids, the label, anything derived from it). */
  exclude?: readonly string[];
}

/** A trained churn model with its cross-validated quality. */
export interface ChurnModel {
  encoder: Encoder;
  model: Logistic;
  /** Mean encoded features of the training customers: explanations are measured from this customer. */
  baseline: Float64Array;
  calibration: Calibration;
  /** Out-of-fold ROC AUC of each fold, and over all rows. */
  cv: { foldAuc: number[]; auc: number; brier: number };
}

/**
 * Trains the churn model: k-fold stratified cross-validation (encoder and model refit on each training
 * part), Platt calibration on the pooled out-of-fold log-odds, then a final fit on every row.
 */
export function trainChurn(
  rows: readonly FeatureRow[],
  labels: Uint8Array,
  opts: ChurnOptions = {},
): ChurnModel {
  const lambda = opts.lambda ?? 1e-3;
  const k = opts.folds ?? 5;
  const exclude = opts.exclude ?? [];
  const folds = stratifiedFolds(labels, k, opts.seed ?? 42);
  const oof = new Float64Array(rows.length);
  const foldAuc: number[] = [];
  // Folds share most rows: each fit starts from the previous one when the features are the same.
  let previous: { features: string; model: Logistic } | null = null;
  const warm = (enc: Encoder) =>
    previous?.features === enc.features.join('\n') ? previous.model : undefined;
  for (let f = 0; f < k; f++) {
    const train = rows.filter((_, i) => folds[i] !== f);
    const trainY = labels.filter((_, i) => folds[i] !== f);
    const testIdx = rows.map((_, i) => i).filter((i) => folds[i] === f);
    const enc = fitEncoder(train, exclude);
    const d = enc.features.length;
    const m = fitLogistic(encode(enc, train), trainY, d, lambda, warm(enc));
    previous = { features: enc.features.join('\n'), model: m };
    const scores = logOdds(
      m,
      encode(
        enc,
        testIdx.map((i) => rows[i]!),
      ),
      d,
    );
    testIdx.forEach((row, j) => {
      oof[row] = scores[j]!;
    });
    foldAuc.push(
      rocAuc(
        scores,
        testIdx.map((i) => labels[i]!),
      ),
    );
  }
  const calibration = fitPlatt(oof, labels);
  let brier = 0;
  for (let i = 0; i < rows.length; i++)
    brier += (sigmoid(calibration.a * oof[i]! + calibration.b) - labels[i]!) ** 2;
  const encoder = fitEncoder(rows, exclude);
  const d = encoder.features.length;
  const x = encode(encoder, rows);
  const model = fitLogistic(x, labels, d, lambda, warm(encoder));
  const baseline = new Float64Array(d);
  for (let i = 0; i < rows.length; i++)
    for (let j = 0; j < d; j++) baseline[j] = baseline[j]! + x[i * d + j]! / rows.length;
  return {
    encoder,
    model,
    baseline,
    calibration,
    cv: { foldAuc, auc: rocAuc(oof, labels), brier: brier / rows.length },
  };
}

/** One customer's calibrated churn probability and the input columns that push it most. */
export interface ChurnScore {
  probability: number;
  /** Contributions to the log-odds relative to an average customer, largest in size first. */
  top: { column: string; contribution: number }[];
}

/** Scores rows with a trained model; `top` input columns per customer. */
export function scoreChurn(trained: ChurnModel, rows: readonly FeatureRow[], top = 3): ChurnScore[] {
  const { encoder, model, calibration, baseline } = trained;
  const d = encoder.features.length;
  const x = encode(encoder, rows);
  const z = logOdds(model, x, d);
  return rows.map((_, i) => {
    const byColumn = new Map<string, number>();
    for (let j = 0; j < d; j++) {
      const c = model.weights[j]! * (x[i * d + j]! - baseline[j]!);
      byColumn.set(encoder.sourceOf[j]!, (byColumn.get(encoder.sourceOf[j]!) ?? 0) + c);
    }
    return {
      probability: sigmoid(calibration.a * z[i]! + calibration.b),
      top: [...byColumn]
        .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]))
        .slice(0, top)
        .map(([column, contribution]) => ({ column, contribution })),
    };
  });
}
