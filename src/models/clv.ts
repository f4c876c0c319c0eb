/**
 * @module models/clv
 * Predictive customer lifetime value: BG/NBD for how many purchases, Gamma-Gamma for how much each, summed
 * period by period over a horizon and discounted. The discount rate is per year and converted to the
 * summary's unit explicitly, (1 + R)^(days per unit / 365.25) − 1; nothing else changes units.
 */
import { type BgNbdParams, bgNbdConditionalExpected, bgNbdPAlive, type Fit, fitBgNbd } from './bgnbd.ts';
import {
  fitGammaGamma,
  type GammaGammaParams,
  gammaGammaExpectedSpend,
  spendData,
  spendFrequencyCorrelation,
} from './gamma-gamma.ts';
import { fitParetoNbd, type ParetoNbdParams } from './pareto-nbd.ts';
import { groupRfm, type RfmSummary, type TimeUnit, UNIT_DAYS } from './summary.ts';

/** Discount rate per unit equivalent to `annualRate` per year. */
export function discountPerUnit(annualRate: number, unit: TimeUnit): number {
  return (1 + annualRate) ** (UNIT_DAYS[unit] / 365.25) - 1;
}

/**
 * Discounted expected value over `horizon` units: Σₖ (E[Y(k)] − E[Y(k−1)]) · spend / (1 + d)ᵏ, where
 * `expected(t)` is the expected number of purchases in the next t units and d the rate per unit.
 *
 * @example discountedValue((t) => t, 10, 2, 0) // 20
 */
export function discountedValue(
  expected: (t: number) => number,
  spend: number,
  horizon: number,
  ratePerUnit: number,
): number {
  let value = 0;
  let previous = 0;
  for (let k = 1; k <= horizon; k++) {
    const cumulative = expected(k);
    value += ((cumulative - previous) * spend) / (1 + ratePerUnit) ** k;
    previous = cumulative;
  }
  return value;
}

/** One customer's prediction. */
export interface ClvPrediction {
  customerId: string;
  frequency: number;
  recency: number;
  T: number;
  expectedPurchases: number;
  pAlive: number;
  expectedSpend: number;
  clv: number;
}

/** The three fits and the per-customer predictions of {@link fitClv}. */
export interface ClvResult {
  bgnbd: Fit<BgNbdParams>;
  paretoNbd: Fit<ParetoNbdParams>;
  gammaGamma: Fit<GammaGammaParams>;
  /** Correlation of frequency and mean spend among repeat buyers (Gamma-Gamma assumes ≈ 0). */
  spendFrequencyCorrelation: number;
  predictions: ClvPrediction[];
}

/** Options of {@link fitClv}: horizon in the summary's unit, discount rate per year. */
export interface ClvOptions {
  horizon: number;
  annualDiscountRate: number;
}

/**
 * Fits BG/NBD, Pareto/NBD and Gamma-Gamma on a summary and predicts each customer's purchases, P(alive),
 * expected spend and discounted CLV over the horizon (BG/NBD × Gamma-Gamma). Customers with the same
 * (x, tₓ, T) share one computation.
 */
export function fitClv(summary: RfmSummary, opts: ClvOptions): ClvResult {
  const groups = groupRfm(summary);
  const bgnbd = fitBgNbd(groups);
  const paretoNbd = fitParetoNbd(groups);
  const spend = spendData(summary);
  const gammaGamma = fitGammaGamma(spend);
  const rate = discountPerUnit(opts.annualDiscountRate, summary.unit);
  const p = bgnbd.params;
  // Per group: expected purchases over the horizon, P(alive), and the discounted purchase stream
  // Σₖ ΔE[Y(k)]/(1+d)ᵏ, which the customer's expected spend then scales.
  const n = groups.x.length;
  const purchases = new Float64Array(n);
  const alive = new Float64Array(n);
  const discounted = new Float64Array(n);
  for (let g = 0; g < n; g++) {
    const x = groups.x[g]!;
    const tx = groups.recency[g]!;
    const T = groups.T[g]!;
    const expected = (t: number) => bgNbdConditionalExpected(p, t, x, tx, T);
    purchases[g] = expected(opts.horizon);
    alive[g] = bgNbdPAlive(p, x, tx, T);
    discounted[g] = discountedValue(expected, 1, opts.horizon, rate);
  }
  const predictions = summary.ids.map((customerId, i) => {
    const g = groups.groupOf[i]!;
    const expectedSpend = gammaGammaExpectedSpend(
      gammaGamma.params,
      summary.spendDays[i]!,
      summary.monetary[i]!,
    );
    return {
      customerId,
      frequency: summary.frequency[i]!,
      recency: summary.recency[i]!,
      T: summary.T[i]!,
      expectedPurchases: purchases[g]!,
      pAlive: alive[g]!,
      expectedSpend,
      clv: discounted[g]! * expectedSpend,
    };
  });
  return {
    bgnbd,
    paretoNbd,
    gammaGamma,
    spendFrequencyCorrelation: spendFrequencyCorrelation(spend),
    predictions,
  };
}

/** Total and mean CLV per segment (`segmentOf` maps a customer to its segment; unmapped ones go to ""). */
export function clvBySegment(
  predictions: readonly ClvPrediction[],
  segmentOf: (customerId: string) => string | undefined,
): { segment: string; customers: number; total: number; mean: number }[] {
  const acc = new Map<string, { customers: number; total: number }>();
  for (const pr of predictions) {
    const key = segmentOf(pr.customerId) ?? '';
    const a = acc.get(key) ?? { customers: 0, total: 0 };
    a.customers++;
    a.total += pr.clv;
    acc.set(key, a);
  }
  return [...acc]
    .map(([segment, a]) => ({ segment, customers: a.customers, total: a.total, mean: a.total / a.customers }))
    .sort((x, y) => y.total - x.total);
}
