/**
 * @module service/health
 * The health score per customer, computed by the metric engine's own definition (`health_score`): each
 * customer's score with its components, weights and the points each component adds; one customer's
 * score month by month; and `polso fit health` — a report of how well the score, and each component,
 * separated the customers who were lost in the following days (ROC AUC), a weighting learnt from that
 * outcome and checked on held-out customers, and every customer's current score stored for the
 * customer 360 and routing.
 */
import { healthCustomersSql, periodAsText } from '../engine/compile.ts';
import { planQuery } from '../engine/plan.ts';
import { formatPeriod } from '../engine/run.ts';
import { PolsoError } from '../errors.ts';
import { HEALTH_COMPONENTS, type HealthComponent } from '../model/project-config.ts';
import { fitLogistic, rocAuc, stratifiedFolds } from '../models/churn.ts';
import { dayOf, isoDay } from '../models/summary.ts';
import type { Project, Store } from '../store/store.ts';
import { intOption, projectOption } from './fit-options.ts';

const COMPONENTS = Object.keys(HEALTH_COMPONENTS) as HealthComponent[];
const DAY_MS = 86_400_000;

/** Version of the health code, stored with every `fit health`. */
export const HEALTH_VERSION = 'weighted-components/1';

/** One customer's health at the end of a period. */
export interface CustomerHealth {
  customerId: string;
  segment: string | null;
  /** The period's first local day (`YYYY-MM-DD`) with a grain; null for a score at one instant. */
  period: string | null;
  /** 0–100. */
  score: number;
  /** Each component on 0–1. */
  components: Record<HealthComponent, number>;
  /** The weights of the customer's segment (summing to 1). */
  weights: Record<HealthComponent, number>;
  /** Points each component adds to the score: 100 × weight × component (they sum to the score). */
  contributions: Record<HealthComponent, number>;
  /** Seconds from the period's end to the customer's loss; null while not lost. */
  lostAfter: number | null;
}

const round = (x: number, digits = 4) => Math.round(x * 10 ** digits) / 10 ** digits;
const byComponent = (f: (c: HealthComponent) => number) =>
  Object.fromEntries(COMPONENTS.map((c) => [c, f(c)])) as Record<HealthComponent, number>;

/**
 * Every customer's health (or one customer's) over `[from, to)`: at `to` without a grain, at the end
 * of each period with one. `from` and `to` are local dates or ISO instants, as in a query.
 */
export async function customerHealth(
  store: Store,
  project: Project,
  span: { from: string; to: string; grain?: 'month' | 'week' | 'day'; customerId?: string },
  now: Date,
): Promise<CustomerHealth[]> {
  const plan = planQuery(
    { metrics: ['health_score'], from: span.from, to: span.to, ...(span.grain ? { grain: span.grain } : {}) },
    project,
    now,
  );
  const q = periodAsText(
    plan,
    store.dialect,
    healthCustomersSql(
      plan,
      plan.metrics[0]!,
      store.dialect,
      { from: plan.from, to: plan.to },
      span.customerId,
    ),
  );
  const rows = await store.select(q.sql, q.params);
  return rows.map((r) => {
    const components = byComponent((c) => Number(r[c]));
    const weights = byComponent((c) => Number(r[`w_${c}`]));
    return {
      customerId: String(r.customer_id),
      segment: r.segment === null ? null : String(r.segment),
      period: plan.grain && r.period !== null ? formatPeriod(String(r.period), plan.grain) : null,
      score: round(Number(r.score)),
      components: byComponent((c) => round(components[c])),
      weights: byComponent((c) => round(weights[c], 6)),
      contributions: byComponent((c) => round(100 * weights[c] * components[c])),
      lostAfter: r.lost_after === null ? null : Number(r.lost_after),
    };
  });
}

/** The first day of the month `k` months after `day`'s month (`YYYY-MM-01`). */
function monthStart(day: string, k: number): string {
  const d = new Date(`${day.slice(0, 7)}-01T00:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() + k);
  return d.toISOString().slice(0, 10);
}

/** Today's local date in a time zone. */
function localDay(at: Date, timezone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: timezone }).format(at);
}

/** Every active customer's health at one instant (the end of `[at − 1 day, at)`). */
export function healthAt(store: Store, project: Project, at: Date, now: Date, customerId?: string) {
  return customerHealth(
    store,
    project,
    { from: new Date(at.getTime() - DAY_MS).toISOString(), to: at.toISOString(), customerId },
    now,
  );
}

/** One customer's health at the end of each of the last `months` full months they were active, oldest first. */
export function customerHealthHistory(
  store: Store,
  project: Project,
  customerId: string,
  now: Date,
  months = 12,
): Promise<CustomerHealth[]> {
  const thisMonth = monthStart(localDay(now, project.config.timezone), 0);
  return customerHealth(
    store,
    project,
    { from: monthStart(thisMonth, -months), to: thisMonth, grain: 'month', customerId },
    now,
  );
}

/** How well a health weighting separates the customers lost within the horizon (ROC AUC of −score). */
export interface HealthReport {
  /** The day the scores were taken (local midnight). */
  at: string;
  horizonDays: number;
  customers: number;
  lost: number;
  /** The project's weights and the AUC of its scores. */
  current: { weights: Record<string, Record<HealthComponent, number>>; auc: number };
  /** Each component alone: its AUC and mean among lost and kept customers. */
  components: Record<HealthComponent, { auc: number; meanLost: number; meanKept: number }>;
  /**
   * Weights learnt by an L2 logistic regression of the loss on the components (a component's weight is
   * its protective coefficient, negative ones set to zero, normalised to sum to 1); `auc` is measured on
   * held-out customers, each fold's weights learnt without them.
   */
  suggested: { weights: Record<HealthComponent, number>; auc: number; folds: number; seed: number };
}

/** Options of {@link fitHealth}. */
export interface HealthFitOptions {
  /** The day the stored scores are taken on, local midnight (default: now); the report ends by it. */
  asOf?: string;
  /** The day to take the report's scores on (default: `horizonDays` before `asOf`). */
  at?: string;
  /** Days after `at` in which a loss counts (default 90). */
  horizonDays?: number;
  folds?: number;
  seed?: number;
}

function parseOptions(opts: HealthFitOptions, project: Project, now: Date) {
  const horizonDays = opts.horizonDays ?? 90;
  if (!Number.isInteger(horizonDays) || horizonDays < 1 || horizonDays > 3650)
    throw new PolsoError(
      'POLSO_BAD_OPTION',
      `--horizon-days: a whole number of days, 1–3650 (got ${horizonDays})`,
    );
  const folds = opts.folds ?? 5;
  if (!Number.isInteger(folds) || folds < 2 || folds > 20)
    throw new PolsoError('POLSO_BAD_OPTION', `--folds: 2–20 (got ${folds})`);
  const today = opts.asOf === undefined ? dayOf(localDay(now, project.config.timezone))! : dayOf(opts.asOf);
  if (today === null || (opts.asOf !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(opts.asOf)))
    throw new PolsoError('POLSO_BAD_OPTION', `--as-of: a date YYYY-MM-DD (got ${String(opts.asOf)})`);
  const atDay = opts.at === undefined ? today - horizonDays : dayOf(opts.at);
  if (atDay === null || (opts.at !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(opts.at)))
    throw new PolsoError('POLSO_BAD_OPTION', `--at: a date YYYY-MM-DD (got ${String(opts.at)})`);
  if (atDay + horizonDays > today)
    throw new PolsoError(
      'POLSO_BAD_OPTION',
      `--at: ${isoDay(atDay)} + ${horizonDays} days ends after ${opts.asOf === undefined ? 'today' : '--as-of'} (${isoDay(today)}): the outcome is not known yet`,
    );
  return { at: isoDay(atDay), asOf: isoDay(today), horizonDays, folds, seed: opts.seed ?? 42 };
}

/** Weights from a logistic fit of the loss on the components (row-major `x`, n × components). */
function learnWeights(x: Float64Array, y: Uint8Array): Record<HealthComponent, number> {
  const model = fitLogistic(x, y, COMPONENTS.length, 1e-3);
  const protective = COMPONENTS.map((_, j) => Math.max(0, -model.weights[j]!));
  const total = protective.reduce((a, b) => a + b, 0);
  return byComponent((c) => (total > 0 ? protective[COMPONENTS.indexOf(c)]! / total : 1 / COMPONENTS.length));
}

const weighted = (w: Record<HealthComponent, number>, x: Float64Array, i: number) =>
  COMPONENTS.reduce((s, c, j) => s + w[c] * x[i * COMPONENTS.length + j]!, 0);

/**
 * Scores every customer active on `at` and compares the scores with who was lost in the
 * `horizonDays` after it.
 */
export async function healthReport(
  store: Store,
  project: Project,
  options: HealthFitOptions,
  now: Date,
): Promise<HealthReport> {
  const { at, horizonDays, folds, seed } = parseOptions(options, project, now);
  const rows = await customerHealth(store, project, { from: isoDay(dayOf(at)! - 1), to: at }, now);
  const y = Uint8Array.from(rows, (r) => Number(r.lostAfter !== null && r.lostAfter < horizonDays * 86_400));
  const lost = y.reduce((a, b) => a + b, 0);
  if (lost < folds || rows.length - lost < folds)
    throw new PolsoError(
      'MODEL_NOT_ENOUGH_DATA',
      `${rows.length} customers active on ${at}, ${lost} of them lost within ${horizonDays} days: at least ${folds} lost and ${folds} kept are needed`,
    );
  const x = new Float64Array(rows.length * COMPONENTS.length);
  rows.forEach((r, i) => {
    COMPONENTS.forEach((c, j) => {
      x[i * COMPONENTS.length + j] = r.components[c];
    });
  });
  const mean = (c: HealthComponent, label: number) => {
    let sum = 0;
    let n = 0;
    rows.forEach((r, i) => {
      if (y[i] === label) {
        sum += r.components[c];
        n++;
      }
    });
    return round(sum / n);
  };
  const foldOf = stratifiedFolds(y, folds, seed);
  const heldOut = new Float64Array(rows.length);
  for (let f = 0; f < folds; f++) {
    const train = rows.map((_, i) => i).filter((i) => foldOf[i] !== f);
    const tx = new Float64Array(train.length * COMPONENTS.length);
    train.forEach((row, k) => {
      tx.set(x.subarray(row * COMPONENTS.length, (row + 1) * COMPONENTS.length), k * COMPONENTS.length);
    });
    const w = learnWeights(
      tx,
      Uint8Array.from(train, (i) => y[i]!),
    );
    rows.forEach((_, i) => {
      if (foldOf[i] === f) heldOut[i] = -weighted(w, x, i);
    });
  }
  const plan = planQuery({ metrics: ['health_score'], from: at, to: isoDay(dayOf(at)! + 1) }, project, now);
  return {
    at,
    horizonDays,
    customers: rows.length,
    lost,
    current: {
      weights: plan.healthWeights as Record<string, Record<HealthComponent, number>>,
      auc: round(
        rocAuc(
          Float64Array.from(rows, (r) => -r.score),
          y,
        ),
      ),
    },
    components: Object.fromEntries(
      COMPONENTS.map((c, j) => [
        c,
        {
          auc: round(
            rocAuc(
              Float64Array.from(rows, (_, i) => -x[i * COMPONENTS.length + j]!),
              y,
            ),
          ),
          meanLost: mean(c, 1),
          meanKept: mean(c, 0),
        },
      ]),
    ) as HealthReport['components'],
    suggested: {
      weights: byComponent((c) => round(learnWeights(x, y)[c])),
      auc: round(rocAuc(heldOut, y)),
      folds,
      seed,
    },
  };
}

/**
 * `polso fit health`: the report, then every active customer's score now (or on `asOf`) stored as
 * `health_score` (with components, weights and contributions) for the customer 360 and the routing
 * priority.
 */
export async function fitHealth(
  store: Store,
  input: Record<string, unknown>,
  now: Date,
): Promise<{ report: HealthReport; scored: number }> {
  const projectId = projectOption(input);
  const project = await store.getProject(projectId);
  if (!project) throw new PolsoError('POLSO_BAD_OPTION', `--project: no project ${projectId}`);
  for (const [name, option] of [
    ['at', 'at'],
    ['asOf', 'as-of'],
  ] as const)
    if (input[name] !== undefined && typeof input[name] !== 'string')
      throw new PolsoError('POLSO_BAD_OPTION', `--${option}: a date YYYY-MM-DD`);
  const options: HealthFitOptions = {
    at: input.at as string | undefined,
    asOf: input.asOf as string | undefined,
    horizonDays: intOption(input, 'horizonDays', 'horizon-days'),
    folds: intOption(input, 'folds', 'folds'),
    seed: intOption(input, 'seed', 'seed'),
  };
  const report = await healthReport(store, project, options, now);
  const current =
    options.asOf === undefined
      ? await healthAt(store, project, now, now)
      : await customerHealth(
          store,
          project,
          { from: isoDay(dayOf(options.asOf)! - 1), to: options.asOf },
          now,
        );
  const asOf = options.asOf ?? now.toISOString();
  await store.saveModelFit(
    project.id,
    {
      model: 'health',
      version: HEALTH_VERSION,
      fittedAt: now,
      customers: current.length,
      params: { weights: report.current.weights },
      quality: report,
      scoreNames: ['health_score'],
    },
    current.map((h) => ({
      customerId: h.customerId,
      name: 'health_score',
      value: h.score,
      details: { asOf, components: h.components, weights: h.weights, contributions: h.contributions },
    })),
  );
  return { report, scored: current.length };
}
