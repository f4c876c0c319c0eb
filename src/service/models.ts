/**
 * @module service/models
 * The customer-model operations behind `polso fit`: read orders (a `customer_id,timestamp,amount` CSV file
 * or a project's stored orders), validate the options, fit, and write the per-customer predictions; and
 * train the churn-risk model on a project's customers.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { parse } from 'csv-parse';
import { stringify } from 'csv-stringify';
import { PolsoError } from '../errors.ts';
import { type ChurnModel, scoreChurn, trainChurn } from '../models/churn.ts';
import { type ClvPrediction, type ClvResult, fitClv } from '../models/clv.ts';
import type { FeatureRow } from '../models/features.ts';
import { type Priority, routingPriority } from '../models/priority.ts';
import { dayOf, isoDay, type OrderRow, summarize, type TimeUnit } from '../models/summary.ts';
import type { CustomerScore, Project, Store } from '../store/store.ts';
import { intOption, projectOption } from './fit-options.ts';
import { customerHealthHistory, healthAt } from './health.ts';

/** Versions of the fitting code, stored with every fit (bump when results would change). */
export const MODEL_VERSIONS = { clv: 'bgnbd-gamma-gamma/1', churn_risk: 'logistic-l2-platt/1' } as const;

const MAX_REPORTED = 20;

/**
 * Reads an orders CSV with the columns `customer_id,timestamp,amount` (others are ignored). A blank amount
 * is a purchase of unknown value; a negative one is a return. Every bad row (up to 20) is reported at once
 * with its line and column.
 */
export async function readOrdersCsv(path: string): Promise<OrderRow[]> {
  const parser = createReadStream(path).pipe(
    parse({ columns: true, trim: true, skip_empty_lines: true, bom: true, relax_column_count: true }),
  );
  const rows: OrderRow[] = [];
  const problems: { line: number; field: string; message: string }[] = [];
  let line = 1;
  try {
    for await (const record of parser as AsyncIterable<Record<string, string | undefined>>) {
      line++;
      if (line === 2) {
        const missing = ['customer_id', 'timestamp', 'amount'].filter((c) => !(c in record));
        if (missing.length > 0)
          throw new PolsoError('MODEL_BAD_INPUT', `${path}: missing column(s) ${missing.join(', ')}`, {
            missing,
          });
      }
      const customerId = record.customer_id ?? '';
      const day = dayOf(record.timestamp ?? '');
      const rawAmount = record.amount ?? '';
      const amount = rawAmount === '' ? null : Number(rawAmount);
      const problem =
        customerId === ''
          ? { field: 'customer_id', message: 'empty' }
          : day === null
            ? { field: 'timestamp', message: `not a date: ${record.timestamp ?? ''}` }
            : amount !== null && !Number.isFinite(amount)
              ? { field: 'amount', message: `not a number: ${rawAmount}` }
              : null;
      if (problem) {
        problems.push({ line, ...problem });
        if (problems.length >= MAX_REPORTED) break;
        continue;
      }
      rows.push({ customerId, day: day!, amount });
    }
  } catch (error) {
    if (error instanceof PolsoError) throw error;
    throw new PolsoError('MODEL_BAD_INPUT', `${path}: ${(error as Error).message}`);
  }
  if (problems.length > 0)
    throw new PolsoError(
      'MODEL_BAD_INPUT',
      `${path}: ${problems.map((p) => `line ${p.line} ${p.field}: ${p.message}`).join('; ')}`,
      { problems },
    );
  return rows;
}

/**
 * A project's completed orders, each on its calendar day in the project's time zone, in the reporting
 * currency (refunds are left out: they are not purchases).
 */
export async function projectOrders(store: Store, projectId: string): Promise<OrderRow[]> {
  const project = await store.getProject(projectId);
  if (!project) throw new PolsoError('POLSO_BAD_OPTION', `--project: no project ${projectId}`);
  const rows = await store.select(
    `SELECT customer_id, strftime(timezone($tz, ts), '%Y-%m-%d') AS day,
            CAST(amount_reporting AS DOUBLE) AS amount
       FROM orders
      WHERE project_id = $p AND customer_id IS NOT NULL AND coalesce(status, 'completed') = 'completed'`,
    { p: projectId, tz: project.config.timezone },
  );
  return rows.map((r) => ({
    customerId: String(r.customer_id),
    day: dayOf(String(r.day))!,
    amount: r.amount === null ? null : Number(r.amount),
  }));
}

/**
 * Fits the CLV models on a project's stored orders (`polso fit clv --project`, locally or through a
 * server) and stores the fit and each customer's scores.
 */
export async function fitClvForProject(
  store: Store,
  input: Record<string, unknown>,
  now: Date,
): Promise<ClvResult> {
  const options = parseClvOptions({
    cutoff: typeof input.cutoffDay === 'number' ? isoDay(input.cutoffDay) : input.cutoff,
    unit: input.unit,
    horizon: input.horizon,
    discountRate: input.annualDiscountRate ?? input.discountRate,
  });
  if (typeof input.projectId !== 'string') throw new PolsoError('POLSO_BAD_OPTION', '--project: required');
  const result = fitClvOnOrders(await projectOrders(store, input.projectId), options);
  await saveClv(store, input.projectId, result, options, now);
  return result;
}

/** CLV percentile of each prediction: the share of customers (0–100) with a lower CLV. */
function percentiles(values: readonly number[]): Float64Array {
  const order = values.map((_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const out = new Float64Array(values.length);
  for (let k = 0; k < order.length; ) {
    let j = k;
    while (j + 1 < order.length && values[order[j + 1]!] === values[order[k]!]) j++;
    for (let m = k; m <= j; m++) out[order[m]!] = (100 * k) / values.length;
    k = j + 1;
  }
  return out;
}

const CLV_SCORES = ['clv', 'clv_percentile', 'expected_purchases', 'p_alive', 'expected_spend'] as const;

async function saveClv(
  store: Store,
  projectId: string,
  result: ClvResult,
  options: ClvFitOptions,
  now: Date,
): Promise<void> {
  const rank = percentiles(result.predictions.map((p) => p.clv));
  const scores: CustomerScore[] = [];
  result.predictions.forEach((p, i) => {
    const values = [p.clv, rank[i]!, p.expectedPurchases, p.pAlive, p.expectedSpend];
    CLV_SCORES.forEach((name, k) => {
      scores.push({ customerId: p.customerId, name, value: values[k]! });
    });
  });
  await store.saveModelFit(
    projectId,
    {
      model: 'clv',
      version: MODEL_VERSIONS.clv,
      fittedAt: now,
      customers: result.predictions.length,
      params: {
        ...clvParamsJson(result),
        cutoff: isoDay(options.cutoffDay),
        unit: options.unit,
        horizon: options.horizon,
        annualDiscountRate: options.annualDiscountRate,
      },
      quality: {
        stdErr: {
          bgnbd: result.bgnbd.stdErr,
          paretoNbd: result.paretoNbd.stdErr,
          gammaGamma: result.gammaGamma.stdErr,
        },
        spendFrequencyCorrelation: result.spendFrequencyCorrelation,
      },
      scoreNames: CLV_SCORES,
    },
    scores,
  );
}

/** Validated options of `polso fit clv`. */
export interface ClvFitOptions {
  cutoffDay: number;
  unit: TimeUnit;
  horizon: number;
  annualDiscountRate: number;
}

/** Checks the CLI's raw options (strings) and returns typed ones, or throws naming the option. */
export function parseClvOptions(raw: {
  cutoff?: unknown;
  unit?: unknown;
  horizon?: unknown;
  discountRate?: unknown;
}): ClvFitOptions {
  const cutoffDay = typeof raw.cutoff === 'string' ? dayOf(raw.cutoff) : null;
  if (cutoffDay === null || !/^\d{4}-\d{2}-\d{2}$/.test(String(raw.cutoff)))
    throw new PolsoError('POLSO_BAD_OPTION', `--cutoff: a date YYYY-MM-DD (got ${String(raw.cutoff)})`);
  if (raw.unit !== 'day' && raw.unit !== 'week')
    throw new PolsoError('POLSO_BAD_OPTION', `--unit: day or week (got ${String(raw.unit)})`);
  const horizon = Number(raw.horizon);
  if (!Number.isInteger(horizon) || horizon < 1 || horizon > 10_000)
    throw new PolsoError(
      'POLSO_BAD_OPTION',
      `--horizon: a whole number of units, 1–10000 (got ${String(raw.horizon)})`,
    );
  const rate = raw.discountRate === undefined ? 0.1 : Number(raw.discountRate);
  if (!Number.isFinite(rate) || rate < 0 || rate > 10)
    throw new PolsoError(
      'POLSO_BAD_OPTION',
      `--discount-rate: a yearly rate such as 0.10 (got ${String(raw.discountRate)})`,
    );
  return { cutoffDay, unit: raw.unit, horizon, annualDiscountRate: rate };
}

/** Summarises the orders at the cut-off and fits the CLV models; too little data is a user error. */
export function fitClvOnOrders(orders: OrderRow[], opts: ClvFitOptions): ClvResult {
  const summary = summarize(orders, opts.cutoffDay, opts.unit);
  let repeaters = 0;
  let spenders = 0;
  for (let i = 0; i < summary.ids.length; i++) {
    if (summary.frequency[i]! > 0) repeaters++;
    if (summary.spendDays[i]! > 0) spenders++;
  }
  if (summary.ids.length < 10 || repeaters < 3 || spenders < 3)
    throw new PolsoError(
      'MODEL_NOT_ENOUGH_DATA',
      `${summary.ids.length} customers bought by the cut-off, ${repeaters} of them again and ${spenders} with positive repeat spend: at least 10, 3 and 3 are needed`,
    );
  return fitClv(summary, { horizon: opts.horizon, annualDiscountRate: opts.annualDiscountRate });
}

/** The fitted parameters as `polso fit clv --json` prints them (a stable shape). */
export function clvParamsJson(result: ClvResult) {
  const { bgnbd, paretoNbd, gammaGamma } = result;
  return {
    bgnbd: { ...bgnbd.params, ll: bgnbd.ll },
    paretoNbd: { ...paretoNbd.params, ll: paretoNbd.ll },
    gammaGamma: { ...gammaGamma.params, ll: gammaGamma.ll },
  };
}

/** Columns of the predictions CSV, one row per customer. */
export const PREDICTION_COLUMNS = [
  'customer_id',
  'frequency',
  'recency',
  'T',
  'expected_purchases',
  'p_alive',
  'expected_spend',
  'clv',
] as const;

/** Writes one CSV row per customer. */
export async function writePredictionsCsv(
  path: string,
  predictions: readonly ClvPrediction[],
): Promise<void> {
  const out = createWriteStream(path);
  const csv = stringify({ header: true, columns: [...PREDICTION_COLUMNS] });
  csv.pipe(out);
  for (const p of predictions)
    csv.write([
      p.customerId,
      p.frequency,
      p.recency,
      p.T,
      p.expectedPurchases,
      p.pAlive,
      p.expectedSpend,
      p.clv,
    ]);
  csv.end();
  await finished(out);
}

/**
 * Each customer of a project as one flat attribute record: the well-known fields (segment, plan,
 * country, language) and every trait. `churnedAt` is left out: it is the outcome, not a predictor.
 */
export async function customerAttributes(
  store: Store,
  projectId: string,
): Promise<{ ids: string[]; rows: FeatureRow[]; churned: boolean[] }> {
  const found = await store.select(
    `SELECT id, segment, plan, country, language, CAST(traits AS VARCHAR) AS traits, churned_at IS NOT NULL AS churned
       FROM customers WHERE project_id = $p ORDER BY id`,
    { p: projectId },
  );
  const ids: string[] = [];
  const rows: FeatureRow[] = [];
  const churned: boolean[] = [];
  for (const r of found) {
    const traits = r.traits ? (JSON.parse(String(r.traits)) as Record<string, unknown>) : {};
    const flat: FeatureRow = {};
    for (const [k, v] of Object.entries(traits)) if (v === null || typeof v !== 'object') flat[k] = v;
    for (const k of ['segment', 'plan', 'country', 'language'] as const) if (r[k] !== null) flat[k] = r[k];
    ids.push(String(r.id));
    rows.push(flat);
    churned.push(r.churned === true);
  }
  return { ids, rows, churned };
}

const POSITIVE = new Set(['yes', 'true', '1', 'churned']);

/**
 * Trains the churn model on a project's customers. The label is `churnedAt` being set, or, with
 * `label`, a trait such as `Churn` (yes/true/1 = churned); the label trait is never a feature.
 */
export async function fitChurnForProject(
  store: Store,
  input: { projectId: string; label?: string; folds?: number; seed?: number },
  now: Date,
): Promise<{ customers: number; churned: number; model: ChurnModel; ids: string[]; rows: FeatureRow[] }> {
  const project = await store.getProject(input.projectId);
  if (!project) throw new PolsoError('POLSO_BAD_OPTION', `--project: no project ${input.projectId}`);
  const { ids, rows, churned } = await customerAttributes(store, input.projectId);
  const label = input.label;
  const y = Uint8Array.from(rows, (r, i) =>
    label === undefined
      ? Number(churned[i])
      : Number(
          POSITIVE.has(
            String(r[label] ?? '')
              .trim()
              .toLowerCase(),
          ),
        ),
  );
  const positives = y.reduce((a, b) => a + b, 0);
  const folds = input.folds ?? 5;
  if (positives < folds || rows.length - positives < folds)
    throw new PolsoError(
      'MODEL_NOT_ENOUGH_DATA',
      `${positives} churned and ${rows.length - positives} retained customers: at least ${folds} of each are needed`,
    );
  const model = trainChurn(rows, y, { folds, seed: input.seed ?? 42, exclude: label ? [label] : [] });
  const scored = scoreChurn(model, rows);
  await store.saveModelFit(
    input.projectId,
    {
      model: 'churn_risk',
      version: MODEL_VERSIONS.churn_risk,
      fittedAt: now,
      customers: rows.length,
      params: {
        label: label ?? 'churnedAt',
        features: model.encoder.features,
        weights: Array.from(model.model.weights),
        intercept: model.model.intercept,
        calibration: model.calibration,
      },
      quality: model.cv,
      scoreNames: ['churn_risk'],
    },
    scored.map((sc, i) => ({
      customerId: ids[i]!,
      name: 'churn_risk',
      value: sc.probability,
      details: sc.top,
    })),
  );
  return { customers: rows.length, churned: positives, model, ids, rows };
}

/** `polso fit churn`, locally or through a server: validates the options, trains, stores, summarises. */
export async function fitChurn(store: Store, input: Record<string, unknown>, now: Date) {
  const label = input.label;
  if (label !== undefined && (typeof label !== 'string' || label === '' || label.length > 200))
    throw new PolsoError('POLSO_BAD_OPTION', '--label: the name of a trait');
  const folds = intOption(input, 'folds', 'folds');
  if (folds !== undefined && (folds < 2 || folds > 20))
    throw new PolsoError('POLSO_BAD_OPTION', `--folds: 2–20 (got ${folds})`);
  const fit = await fitChurnForProject(
    store,
    { projectId: projectOption(input), label, folds, seed: intOption(input, 'seed', 'seed') },
    now,
  );
  const { cv, encoder } = fit.model;
  return {
    customers: fit.customers,
    churned: fit.churned,
    features: encoder.features.length,
    auc: cv.auc,
    foldAuc: cv.foldAuc,
    brier: cv.brier,
  };
}

/** A customer's routing priority from the stored scores (404 when the customer has none). */
export async function customerPriority(
  store: Store,
  projectId: string,
  customerId: string,
): Promise<Priority & { customerId: string; scores: Record<string, number | null> }> {
  const stored = await store.customerScores(projectId, customerId);
  if (stored.length === 0)
    throw new PolsoError(
      'POLSO_NOT_FOUND',
      `No model scores for customer ${customerId}: run polso fit clv|churn`,
    );
  const scores = Object.fromEntries(stored.map((s) => [s.model, s.value]));
  return {
    customerId,
    ...priorityOf(scores),
    scores,
  };
}

function priorityOf(scores: Record<string, number | null | undefined>): Priority {
  return routingPriority({
    clvPercentile: scores.clv_percentile,
    clv: scores.clv,
    churnRisk: scores.churn_risk,
    pAlive: scores.p_alive,
    healthScore: scores.health_score,
  });
}

/**
 * Everything the customer models say about one customer, for the customer 360: the stored CLV
 * prediction and churn risk (with the attributes that move it), the health score (the latest `fit
 * health`, else computed now) and at the end of each of the last twelve months (computed from the
 * records), and the routing priority.
 */
export async function customerModels(store: Store, project: Project, customerId: string, now: Date) {
  const [customer] = await store.listRecords(project.id, 'customer', { id: customerId, limit: 1 });
  if (!customer)
    throw new PolsoError(
      'POLSO_CUSTOMER_NOT_FOUND',
      `No customer ${JSON.stringify(customerId)} in this project`,
    );
  const stored = new Map((await store.customerScores(project.id, customerId)).map((s) => [s.model, s]));
  const value = (name: string) => stored.get(name)?.value ?? null;
  const fitOf = (name: string) => {
    const s = stored.get(name);
    return s ? { version: s.version, fittedAt: s.fittedAt } : null;
  };
  const clv = fitOf('clv');
  const churn = fitOf('churn_risk');
  const storedHealth = stored.get('health_score');
  const [history, live] = await Promise.all([
    customerHealthHistory(store, project, customerId, now),
    storedHealth ? Promise.resolve([]) : healthAt(store, project, now, now, customerId),
  ]);
  return {
    customerId,
    clv: clv && {
      ...clv,
      value: value('clv'),
      percentile: value('clv_percentile'),
      expectedPurchases: value('expected_purchases'),
      pAlive: value('p_alive'),
      expectedSpend: value('expected_spend'),
    },
    churnRisk: churn && {
      ...churn,
      value: value('churn_risk'),
      top: (stored.get('churn_risk')?.details ?? []) as { column: string; contribution: number }[],
    },
    health: {
      // The latest `fit health` score, as of the day it was taken; without one, computed now.
      current: storedHealth
        ? {
            ...(storedHealth.details as object),
            score: storedHealth.value,
            version: storedHealth.version,
            fittedAt: storedHealth.fittedAt,
          }
        : live[0]
          ? { ...live[0], asOf: now.toISOString() }
          : null,
      history,
    },
    priority: priorityOf(Object.fromEntries([...stored].map(([name, s]) => [name, s.value]))),
  };
}
