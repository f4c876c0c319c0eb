/**
 * @module metrics/types
 * The shape of a metric definition. A definition is data: what it measures, over which records,
 * placed in time by which column, with which parameters — and nothing about any engine.
 */
import type { RecordKind } from '../model/kinds.ts';
import type { Expr } from './expr.ts';

export interface Bilingual {
  readonly it: string;
  readonly en: string;
}

/**
 * How the value is computed from the records in scope (`where`):
 * - `nps`: % of `score` 9–10 minus % 0–6 over answered scores (−100…100);
 * - `share`: % of the `population` rows that are `hit` (0–100, Wilson interval);
 * - `mean`: mean of `value` (t interval); `duration` adds median and p90 (order-statistic intervals);
 * - `count`: number of rows; `sum`: total of `value`;
 * - `lifecycle`: customers at the start of each period (S), lost during it, at its end (E) and new
 *   (N, still active at the end); the value is lost ÷ S, (S − lost) ÷ S or E ÷ S, in percent;
 * - `distinct`: exact number of distinct `value`s; `dailyDistinct`: the mean over the period's days of
 *   each day's distinct `value`s (days without any count as zero);
 * - `openAtEnd`: rows `opened` before the period's end and not `closed` by then;
 * - `rollingDistinct`: distinct `value`s in the `days` days that end with the period;
 * - `ratio`: 100 × one metric's value ÷ another's, in the same row;
 * - `visits`: % of visits (a `sessionId`, else a person's events with gaps under `gapMinutes`) with at
 *   least one of the project's conversion events;
 * - `funnel`: rows reaching each stage (in order); the value is the last stage ÷ the first, in percent;
 * - `adoption`: distinct people for whom `hit` holds ÷ distinct people in scope, in percent; the
 *   denominator ignores the dimension `over` (the share of all active users who used each feature);
 * - `distribution`: answers per score, the mean of `normalised` (0–100, the composite) and the share
 *   of answers in the top box (`top`);
 * - `cohort`: customers grouped by the period they were acquired in, and the share of each cohort not
 *   lost k periods later (the value is k = `offset`);
 * - `clv`: average order value × purchases per customer per year × expected lifespan × margin;
 * - `eventFunnel`: people entering the funnel (their first `steps[0]` event in the period) and those
 *   reaching each further step in order within `windowDays` of entering;
 * - `engagement`: customers with any interaction in the period, and the share fully engaged (active on
 *   enough days, across enough touchpoints, recently), with the mean interactions, active days, depth
 *   and recency beside;
 * - `health`: each customer active at the end of the period gets a weighted sum of normalised
 *   components (usage, adoption, feedback, support, payment, recency) on 0–100; the value is the mean,
 *   with bands and each component's mean;
 * - `score`: the mean of a stored per-customer model score (`customer_scores`, name `score`, times `scale`) over
 *   the customers in scope, placed at the date of the fit that produced it (t interval);
 * - `revenueFlow`: recurring revenue of subscriptions active at the start of each period and the part
 *   of it that ended during the period (gross revenue churn, in percent).
 */
export type Measure =
  | { readonly type: 'nps'; readonly score: Expr }
  | { readonly type: 'share'; readonly population: Expr; readonly hit: Expr }
  | { readonly type: 'mean'; readonly value: Expr; readonly parts?: Readonly<Record<string, Expr>> }
  | { readonly type: 'duration'; readonly value: Expr }
  | { readonly type: 'count' }
  | { readonly type: 'sum'; readonly value: Expr }
  | { readonly type: 'lifecycle'; readonly outcome: 'lost' | 'retained' | 'end' | 'acquired' }
  | { readonly type: 'distinct'; readonly value: Expr }
  | { readonly type: 'dailyDistinct'; readonly value: Expr }
  | { readonly type: 'openAtEnd'; readonly opened: Expr; readonly closed: Expr }
  | { readonly type: 'rollingDistinct'; readonly value: Expr; readonly days: number }
  | {
      readonly type: 'ratio';
      readonly numerator: string;
      readonly denominator: string;
      /** 100 for a percentage (default), 1 for a plain quotient. */
      readonly scale?: number;
    }
  | { readonly type: 'visits' }
  | { readonly type: 'funnel'; readonly stages: readonly (readonly [string, Expr])[] }
  | { readonly type: 'adoption'; readonly person: Expr; readonly hit: Expr; readonly over: string }
  | { readonly type: 'distribution'; readonly score: Expr; readonly normalised: Expr; readonly top: Expr }
  | { readonly type: 'cohort' }
  | { readonly type: 'clv'; readonly amount: Expr }
  | { readonly type: 'engagement' }
  | { readonly type: 'eventFunnel'; readonly person: Expr }
  | { readonly type: 'health' }
  | {
      readonly type: 'score';
      readonly score: string;
      readonly scale?: number;
      /** Lower edges of the bands counted for the distribution (ascending; the last band is open). */
      readonly bins?: readonly number[];
    }
  | {
      readonly type: 'revenueFlow';
      readonly mrr: Expr;
      readonly started: Expr;
      readonly ended: Expr;
    };

export interface ParamSpec {
  readonly name: string;
  /**
   * `string`: free text up to 200 characters (an event name, say); `list`: such text holding `min`
   * to `max` distinct, non-empty items separated by `separator` ("A > B > C").
   */
  readonly type: 'number' | 'enum' | 'string' | 'list';
  readonly default: number | string;
  readonly min?: number;
  readonly max?: number;
  readonly separator?: string;
  readonly values?: readonly string[];
  readonly doc: Bilingual;
}

/** The items of a `list` parameter's value. */
export function listItems(value: string | number, separator: string): string[] {
  return String(value)
    .split(separator)
    .map((x) => x.trim());
}

export type Unit = 'percent' | 'nps' | 'score' | 'seconds' | 'count' | 'points' | 'currency' | 'ratio';

export interface MetricDefinition {
  readonly id: string;
  readonly name: Bilingual;
  readonly description: Bilingual;
  /** The formula, as a reader would write it. */
  readonly formula: string;
  readonly unit: Unit;
  readonly direction: 'higher_is_better' | 'lower_is_better' | 'neutral';
  /** Record kind the metric is computed from. */
  readonly source: RecordKind;
  /**
   * Read a derived relation instead of the source's table: `customer_life` is one row per customer
   * with its acquisition (`acq`), loss (`lost`), first completed order (`first_order`) and first value
   * event (`first_value`, from the parameter `valueEvent`) beside its own columns.
   */
  readonly relation?: 'customer_life';
  /** Column that places a record in a period (half-open range on it). */
  readonly time: Expr;
  /** Records in scope. */
  readonly where: Expr;
  readonly measure: Measure;
  /** Fields of the source the metric reads (documentation, and a check against the model). */
  readonly fields: readonly string[];
  readonly params: readonly ParamSpec[];
  /** When set, the only dimensions the metric can be read by. */
  readonly dimensions?: readonly string[];
  /** Seed articles the metric comes from. */
  readonly seeds: readonly string[];
}
