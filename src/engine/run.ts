/**
 * @module engine/run
 * Runs a query plan on an engine and assembles the answer: one row per dimension combination and
 * time bucket (empty buckets included, as `{value: null, n: 0}`), each metric with its `n`, interval,
 * small-sample flag, and — with `compare` — the previous value, the difference and its significance.
 */
import { METRICS } from '../metrics/catalogue.ts';
import type { Measure } from '../metrics/types.ts';
import { KINDS } from '../model/kinds.ts';
import { HEALTH_COMPONENTS } from '../model/project-config.ts';
import {
  adoptionSql,
  aggregateSql,
  bucketsSql,
  cohortSql,
  dailyDistinctSql,
  distributionSql,
  engagementSql,
  eventFunnelSql,
  funnelSteps,
  healthSql,
  lifecycleSql,
  openAtEndSql,
  orderStatisticsSql,
  periodAsText,
  type Range,
  revenueFlowSql,
  rollingDistinctSql,
  scoreSql,
  visitsSql,
} from './compile.ts';
import type { Dialect } from './dialect.ts';
import type { Memo } from './memo.ts';
import { comparisonRange, type MetricPlan, type QueryPlan } from './plan.ts';
import {
  type Interval,
  npsInterval,
  npsTest,
  npsVariance,
  quantileRanks,
  round,
  shareTest,
  tInterval,
  welchTest,
  wilson,
} from './stats.ts';
import { offsetAt } from './zone.ts';

/** What the engine needs from a store: its dialect and a way to run a read query. */
export interface SqlExecutor {
  readonly dialect: Dialect;
  select(
    sql: string,
    params: Record<string, string | number | boolean | null>,
  ): Promise<Record<string, unknown>[]>;
  /** Metric cells kept between queries until a write can change them (see `engine/memo`). */
  readonly memo?: Memo<MemoCells>;
}

export interface Quantile {
  value: number | null;
  ci: Interval;
}

export interface MetricValue {
  value: number | null;
  n: number;
  ci?: Interval;
  small?: boolean;
  [extra: string]: unknown;
}

export type ResultRow = Record<string, unknown>;

export interface QueryResult {
  rows: ResultRow[];
  meta: {
    from: string;
    to: string;
    timezone: string;
    grain: string | null;
    compare: { kind: string; from: string; to: string } | null;
    params: Record<string, Record<string, number | string>>;
  };
}

/**
 * What the engine returned for one group and period: one row of aggregates, or — for cohorts and
 * distributions — several (`rows`, one per offset or score).
 */
export type Cell = {
  agg: Record<string, unknown>;
  rows?: Record<string, unknown>[];
  quantiles?: Record<string, Quantile>;
};

/** A metric's cells for one period (or a whole range), and what the clock must show for them to hold. */
export interface MemoCells {
  readonly cells: ReadonlyMap<string, Cell>;
  /** Null when the answer no longer depends on the clock; otherwise the `nowKey` it was computed at. */
  readonly nowKey: string | null;
}

/** Measures whose engine answer is several rows per group and period. */
const MULTI_ROW = new Set<Measure['type']>(['cohort', 'distribution']);
/** Cohort offsets computed: up to this many buckets after the cohort's own. */
const MAX_COHORT_OFFSET = 36;

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const keyOf = (dims: unknown[], period: unknown) => JSON.stringify([...dims, period ?? null]);

/**
 * Reads once for callers asking the same SQL with the same values at the same time — metrics that
 * share a query, as churn and both retention rates share the customers' flows. A caller arriving
 * after a write starts its own read. Rows are shared: callers must not change them.
 */
function selectShared(
  exec: SqlExecutor,
  projectId: string,
  sql: string,
  params: Record<string, string | number | boolean | null>,
): Promise<Record<string, unknown>[]> {
  const memo = exec.memo;
  if (!memo) return exec.select(sql, params);
  const key = `select|${projectId}|${memo.generation(projectId)}|${sql}|${JSON.stringify(params)}`;
  return memo.once(key, () => exec.select(sql, params));
}

/** Runs one metric over one range: cells by dimension values and period. */
async function runMetric(exec: SqlExecutor, plan: QueryPlan, m: MetricPlan, range: Range) {
  const compilers = {
    lifecycle: lifecycleSql,
    dailyDistinct: dailyDistinctSql,
    openAtEnd: openAtEndSql,
    rollingDistinct: rollingDistinctSql,
    visits: visitsSql,
    adoption: adoptionSql,
    distribution: distributionSql,
    revenueFlow: revenueFlowSql,
    engagement: engagementSql,
    eventFunnel: eventFunnelSql,
    health: healthSql,
    score: scoreSql,
    cohort: (p: QueryPlan, x: MetricPlan, d: Dialect, r: Range) => cohortSql(p, x, d, r, MAX_COHORT_OFFSET),
  } as const;
  const type = m.def.measure.type;
  const compile = type in compilers ? compilers[type as keyof typeof compilers] : aggregateSql;
  const { sql, params } = periodAsText(plan, exec.dialect, compile(plan, m, exec.dialect, range));
  const read = { sql: [sql], usesNow: Object.keys(params).some((p) => p.startsWith('now_')) };
  const rows = await selectShared(exec, plan.projectId, sql, params);
  const cells = new Map<string, Cell>();
  const dimsOf = (r: Record<string, unknown>) => plan.groupBy.map((_, i) => r[`d${i}`] ?? null);
  for (const r of rows) {
    const key = keyOf(dimsOf(r), r.period);
    const cell = cells.get(key);
    if (!MULTI_ROW.has(type)) cells.set(key, { agg: r });
    else if (cell) cell.rows!.push(r);
    else cells.set(key, { agg: r, rows: [r] });
  }
  if (type === 'distribution')
    for (const cell of cells.values()) cell.agg = distributionAggregates(cell.rows!);
  if (m.def.measure.type === 'duration' && rows.length > 0) {
    const wanted = new Map<
      number,
      Map<string, { point: number; lower: number | null; upper: number | null }>
    >();
    const ranks: { n: number; r: number }[] = [];
    for (const r of rows) {
      const n = num(r.n);
      if (n === 0 || wanted.has(n)) continue;
      const perQ = new Map(
        (['median', 'p90'] as const).map((q) => [q, quantileRanks(n, q === 'median' ? 0.5 : 0.9)] as const),
      );
      wanted.set(n, perQ);
      for (const q of perQ.values())
        for (const rank of [q.point, q.lower, q.upper]) if (rank) ranks.push({ n, r: rank });
    }
    const unique = [...new Map(ranks.map((x) => [`${x.n}:${x.r}`, x])).values()];
    const stats = periodAsText(plan, exec.dialect, orderStatisticsSql(plan, m, exec.dialect, range, unique));
    read.sql.push(stats.sql);
    const values = new Map<string, Map<number, number>>();
    for (const r of await selectShared(exec, plan.projectId, stats.sql, stats.params)) {
      const key = keyOf(dimsOf(r), r.period);
      const byRank = values.get(key) ?? new Map<number, number>();
      byRank.set(num(r.rn), Number(r.v));
      values.set(key, byRank);
    }
    for (const [key, cell] of cells) {
      const n = num(cell.agg.n);
      const byRank = values.get(key);
      const perQ = wanted.get(n);
      if (!byRank || !perQ) continue;
      const at = (rank: number | null) => (rank ? (byRank.get(rank) ?? null) : null);
      cell.quantiles = {};
      for (const [q, r] of perQ) {
        const lo = at(r.lower);
        const hi = at(r.upper);
        cell.quantiles[q] = {
          value: at(r.point),
          ci: lo !== null && hi !== null ? [round(lo), round(hi)] : null,
        };
      }
    }
  }
  return { cells, read };
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/**
 * An instant by which the local day `date` has begun in `zone`: its midnight at the smallest offset
 * the zone has within a day of it, plus an hour to spare (a change of offset at midnight). Records
 * from then on fall on that day or later.
 */
function localDayBegun(date: string, zone: string): number {
  const utc = Date.parse(`${date}T00:00:00Z`);
  const offset = Math.min(...[utc - DAY_MS, utc, utc + DAY_MS].map((t) => offsetAt(zone, t)));
  return utc - offset + HOUR_MS;
}
/** Tables a metric's SQL can read (a name appearing in the SQL text counts as read). */
const TABLES = [...Object.values(KINDS).map((k) => k.table), 'customer_scores'];

/**
 * Measures whose cells for a period depend on more than that period's bounds: funnels are entered by
 * each person's first event in the range. For every other measure a query over a later part of the
 * range gives the same cells for its periods (visits end at local midnight).
 */
const ACROSS_PERIODS = new Set<Measure['type']>(['eventFunnel']);

/** A metric's definition as text, to look for the expressions it uses. */
const definitionText = (m: MetricPlan) => JSON.stringify([m.def.measure, m.def.where, m.def.time]);

/**
 * How long after a period's end records can still change its value (ms): the repeat-contact window
 * of FCR, an event funnel's window, and no limit for a customer's first value (an order or a named
 * event, any time after its acquisition). A later order cannot move an acquisition into a period
 * that ended before it; a customer's loss comes from customer and subscription writes, which reach
 * every period anyway.
 */
function lookahead(m: MetricPlan): number {
  const tree = definitionText(m);
  if (tree.includes('"first_value"')) return Number.POSITIVE_INFINITY;
  if (!tree.includes('"kind":"repeatContact"') && m.def.measure.type !== 'eventFunnel') return 0;
  const days = Number(m.params.windowDays);
  return Number.isFinite(days) ? days * DAY_MS : Number.POSITIVE_INFINITY;
}

/** Whether a metric's SQL reads the clock: cohorts, and definitions using `now()`. */
function readsClock(m: MetricPlan): boolean {
  return m.def.measure.type === 'cohort' || definitionText(m).includes('"kind":"now"');
}

/**
 * What the clock must show for an answer to hold (null: anything). Cohorts count the offsets begun
 * by now, which change only at local midnights (grains of a day or more); anything else reading the
 * clock holds only at the same instant.
 */
function nowKey(plan: QueryPlan, m: MetricPlan): string | null {
  if (!readsClock(m)) return null;
  if (m.def.measure.type !== 'cohort' || plan.grain === 'hour') return m.now;
  const now = Date.parse(m.now);
  return new Date(now + offsetAt(plan.timezone, now)).toISOString().slice(0, 10);
}

/** A part of a range kept in the memo as one entry: its periods and the range it is computed over. */
interface Slot {
  readonly labels: (string | null)[];
  readonly from: string;
  readonly to: string;
}

/**
 * One metric's cells over one range, from the memo where it holds them: per period for measures
 * whose periods are independent (plans with local dates and a grain of a day or more), per end instant
 * for those taken at a period's end (see `pointCells`), otherwise for the whole range. A missing
 * period is taken from a coarser question's cells under a filter, or added up from its days for a
 * measure that adds up; the rest are computed in one query, from the first of them to the end of the last.
 */
async function metricCells(
  exec: SqlExecutor,
  plan: QueryPlan,
  m: MetricPlan,
  range: Range,
  periods: (string | null)[],
): Promise<Map<string, Cell>>;
/** `held`: only what the memo holds, or null (nothing computed, no look-up counted as a miss). */
async function metricCells(
  exec: SqlExecutor,
  plan: QueryPlan,
  m: MetricPlan,
  range: Range,
  periods: (string | null)[],
  held: true,
): Promise<Map<string, Cell> | null>;
async function metricCells(
  exec: SqlExecutor,
  plan: QueryPlan,
  m: MetricPlan,
  range: Range,
  periods: (string | null)[],
  held = false,
): Promise<Map<string, Cell> | null> {
  const memo = exec.memo;
  if (!memo) return (await runMetric(exec, plan, m, range)).cells;
  if (!held) {
    const coarser = await fromCoarser(exec, plan, m, range, periods);
    if (coarser) return coarser;
  }
  if (plan.dateOnly && plan.grain !== 'hour' && AT_END.has(m.def.measure.type))
    return pointCells(exec, plan, m, range, periods, held);
  const months =
    plan.grain === null && plan.dateOnly && totalFromMonths(m.def.measure) ? monthStarts(range) : null;
  if (months && months.length > 1) return totalsOfMonths(exec, plan, m, range, months, held);
  const signature = slotSignature(plan, m);
  const perPeriod =
    plan.dateOnly && plan.grain !== null && plan.grain !== 'hour' && !ACROSS_PERIODS.has(m.def.measure.type);
  const slots: Slot[] = perPeriod
    ? periods.map((label, i) => ({
        labels: [label],
        from: i === 0 ? range.from : label!.slice(0, 10),
        to: i === periods.length - 1 ? range.to : periods[i + 1]!.slice(0, 10),
      }))
    : [{ labels: periods, from: range.from, to: range.to }];
  const slotKey = (s: Slot) => `${signature}|${s.labels[0]}|${s.from}|${s.to}`;
  const clock = nowKey(plan, m);
  const holds = (entry: MemoCells | undefined) =>
    entry !== undefined && (entry.nowKey === null || entry.nowKey === clock);
  if (held && !slots.every((s) => holds(memo.peek(slotKey(s))?.value))) return null;
  const cells = new Map<string, Cell>();
  const missing: number[] = [];
  slots.forEach((slot, i) => {
    const entry = memo.get(slotKey(slot));
    if (holds(entry)) for (const [k, c] of entry!.cells) cells.set(k, c);
    else missing.push(i);
  });
  // A filtered question's periods one by one from the coarser question's: a period it does not
  // hold (one whose answer still moves with the clock, say) is all that is computed under the filter.
  if (!held && perPeriod && missing.length > 0 && Object.keys(plan.filters).length > 0)
    for (const i of [...missing]) {
      const slot = slots[i]!;
      const part = await fromCoarser(exec, plan, m, { from: slot.from, to: slot.to }, slot.labels);
      if (!part) continue;
      for (const [k, c] of part) cells.set(k, c);
      missing.splice(missing.indexOf(i), 1);
    }
  if (!held && perPeriod && plan.grain !== 'day' && addsUp(m.def.measure))
    for (const i of [...missing]) {
      const part = fromDays(memo, plan, m, slots[i]!, slotKey(slots[i]!));
      if (!part) continue;
      for (const [k, c] of part) cells.set(k, c);
      missing.splice(missing.indexOf(i), 1);
    }
  if (missing.length === 0) return cells;
  // One query from the first missing slot to the end of the last: a custom range whose whole weeks or
  // months were asked before computes its edges (and what lies between them, which costs a query
  // little more than the edges alone).
  const span = slots.slice(missing[0], missing.at(-1)! + 1);
  const to = span.at(-1)!.to;
  const generation = memo.generation(plan.projectId);
  const computed = await memo.once(`${slotKey(span[0]!)}|${to}|${generation}|${clock}`, () =>
    computeSlots(exec, plan, m, to, span, { perPeriod, generation, slotKey }),
  );
  for (const [k, c] of computed) cells.set(k, c);
  return cells;
}

/** What identifies a metric's cells of one question (the memo keys of its periods start with it). */
function slotSignature(plan: QueryPlan, m: MetricPlan): string {
  return JSON.stringify([
    plan.projectId,
    m.def.id,
    m.params,
    plan.groupBy,
    plan.filters,
    plan.grain,
    plan.timezone,
    plan.dateOnly,
    plan.conversionEvents,
    plan.healthWeights,
    m.calendar,
  ]);
}

/**
 * A period's cells added up from the daily cells the memo holds for each of its days, computing
 * nothing (null unless it holds them all), and kept under the period's own key, resting on what its
 * days rest on: a custom range's clipped weeks and months, for measures whose periods add up.
 */
function fromDays(
  memo: Memo<MemoCells>,
  plan: QueryPlan,
  m: MetricPlan,
  slot: Slot,
  key: string,
): Map<string, Cell> | null {
  const daily = { ...plan, grain: 'day' as const };
  const signature = slotSignature(daily, m);
  const clock = nowKey(daily, m);
  const entries = [];
  for (let day = slot.from; day < slot.to; ) {
    const next = dayAfter(day);
    const entry = memo.peek(`${signature}|${day} 00:00:00|${day}|${next}`);
    if (!entry || (entry.value.nowKey !== null && entry.value.nowKey !== clock)) return null;
    entries.push(entry);
    day = next;
  }
  if (entries.length === 0) return null;
  const groups = new Map<string, Cell[]>();
  for (const entry of entries)
    for (const [k, cell] of entry.value.cells) {
      const total = keyOf((JSON.parse(k) as unknown[]).slice(0, -1), slot.labels[0]);
      groups.set(total, [...(groups.get(total) ?? []), cell]);
    }
  const cells = new Map([...groups].map(([k, parts]) => [k, addCells(m.def.measure, parts)]));
  memo.put(
    key,
    plan.projectId,
    memo.generation(plan.projectId),
    {
      tables: new Set(entries.flatMap((e) => [...e.tables])),
      horizon: Math.max(...entries.map((e) => e.horizon)),
    },
    { cells, nowKey: entries.some((e) => e.value.nowKey !== null) ? clock : null },
    weightOf(cells),
  );
  return cells;
}

/**
 * The cells of a measure taken at the end of each period (`AT_END`) over local dates: those of the
 * local midnights its periods end at, kept in the memo per instant whatever the grain or range asked —
 * a week's end serves every range holding that week (its first, clipped week included), a range's
 * total is its end's cells and the previous period's total its start's. Missing instants are computed
 * in one query, from the period before the first of them to the last; a question filtered on one
 * value takes each instant the grouped question holds.
 */
async function pointCells(
  exec: SqlExecutor,
  plan: QueryPlan,
  m: MetricPlan,
  range: Range,
  periods: (string | null)[],
  held: boolean,
): Promise<Map<string, Cell> | null> {
  const memo = exec.memo!;
  // The same whatever the grain.
  const signature = slotSignature({ ...plan, grain: null }, m);
  // Each period's end, and the start of a range over which that end alone is computed.
  const points: Slot[] = periods.map((label, i) => ({
    labels: [label],
    from: label === null ? dayBefore(range.to) : label.slice(0, 10),
    to: i === periods.length - 1 ? range.to : periods[i + 1]!.slice(0, 10),
  }));
  const keyAt = (s: Slot) => `${signature}|at|${s.to}`;
  const clock = nowKey(plan, m);
  const holds = (entry: MemoCells | undefined) =>
    entry !== undefined && (entry.nowKey === null || entry.nowKey === clock);
  const cells = new Map<string, Cell>();
  const place = (point: Slot, found: ReadonlyMap<string, Cell>) => {
    for (const [key, cell] of found) {
      const parts = JSON.parse(key) as unknown[];
      cells.set(keyOf(parts.slice(0, -1), point.labels[0]), cell);
    }
  };
  if (held && !points.every((s) => holds(memo.peek(keyAt(s))?.value))) return null;
  const missing: Slot[] = [];
  for (const point of points) {
    const entry = memo.get(keyAt(point));
    if (holds(entry)) place(point, entry!.cells);
    else missing.push(point);
  }
  if (!held && Object.keys(plan.filters).length > 0)
    for (const point of [...missing]) {
      const single = { ...plan, grain: null };
      const part = await fromCoarser(exec, single, m, { from: point.from, to: point.to }, [null]);
      if (!part) continue;
      place(point, part);
      missing.splice(missing.indexOf(point), 1);
    }
  if (missing.length === 0) return cells;
  // One instant alone is computed without a grain, so that a range's total and the last period of a
  // series ending with it share the query.
  const first = points.indexOf(missing[0]!);
  const span = points.slice(first, points.indexOf(missing.at(-1)!) + 1);
  const single = span.length === 1;
  const at = single ? [{ ...span[0]!, labels: [null], from: dayBefore(span[0]!.to) }] : span;
  const generation = memo.generation(plan.projectId);
  const computed = await memo.once(
    `${signature}|at|${single ? '' : plan.grain}|${span.map((s) => s.to).join(',')}|${generation}|${clock}`,
    () =>
      computeSlots(exec, single ? { ...plan, grain: null } : plan, m, at.at(-1)!.to, at, {
        perPeriod: !single,
        generation,
        slotKey: keyAt,
        unlabelled: true,
      }),
  );
  const byPeriod = new Map<unknown, Map<string, Cell>>();
  for (const [key, cell] of computed) {
    const period = (JSON.parse(key) as unknown[]).at(-1) ?? null;
    const group = byPeriod.get(period) ?? new Map<string, Cell>();
    group.set(key, cell);
    byPeriod.set(period, group);
  }
  span.forEach((point, i) => {
    place(point, byPeriod.get(at[i]!.labels[0]) ?? new Map());
  });
  return cells;
}

/** The local date before `date` (`YYYY-MM-DD`). */
function dayBefore(date: string): string {
  return new Date(Date.parse(`${date.slice(0, 10)}T00:00:00Z`) - DAY_MS).toISOString().slice(0, 10);
}

/** The local date after `date` (`YYYY-MM-DD`). */
function dayAfter(date: string): string {
  return new Date(Date.parse(`${date.slice(0, 10)}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10);
}

/**
 * A filtered question's cells from a coarser question whose cells the memo holds, without computing
 * anything: filtering on a dimension the question groups by keeps the groups of those values of the
 * question without that filter; filtering on one value of a dimension it does not group by is that
 * value's group of the question grouped by it as well. The records behind each cell are the same
 * either way, so are the cells. Groups whose value is not text (or is null) are never matched: the
 * filter compares text.
 */
async function fromCoarser(
  exec: SqlExecutor,
  plan: QueryPlan,
  m: MetricPlan,
  range: Range,
  periods: (string | null)[],
): Promise<Map<string, Cell> | null> {
  for (const [dim, values] of Object.entries(plan.filters)) {
    const filters = Object.fromEntries(Object.entries(plan.filters).filter(([d]) => d !== dim));
    const at = plan.groupBy.indexOf(dim);
    if (at < 0 && values.length > 1) continue;
    const groupBy = at < 0 ? [...plan.groupBy, dim] : plan.groupBy;
    const cells = await metricCells(exec, { ...plan, filters, groupBy }, m, range, periods, true);
    if (!cells) continue;
    const picked = new Map<string, Cell>();
    let text = true;
    for (const [key, cell] of cells) {
      const parts = JSON.parse(key) as unknown[];
      const value = parts[at < 0 ? plan.groupBy.length : at];
      if (value !== null && typeof value !== 'string') text = false;
      if (typeof value !== 'string' || !values.includes(value)) continue;
      if (at < 0) parts.splice(plan.groupBy.length, 1);
      picked.set(JSON.stringify(parts), cell);
    }
    if (text) return picked;
  }
  return null;
}

/**
 * Measures whose answer over a range follows from their answers over its parts: counts, sums, NPS,
 * shares, visits (which end at local midnight), funnels, daily actives, distributions, and means
 * without parts (from each part's count, mean and variance). Durations need order statistics; distinct
 * counts and the per-customer measures do not add up.
 */
const ADDITIVE = new Set<Measure['type']>([
  'nps',
  'share',
  'visits',
  'count',
  'sum',
  'funnel',
  'dailyDistinct',
  'distribution',
  'mean',
  'score',
]);

/**
 * Measures whose answer over a range is their answer at its end: a rolling window ending there, the
 * customers' health on its last day, the rows still open then. Over whole months that is the last
 * month's cell.
 */
const AT_END = new Set<Measure['type']>(['rollingDistinct', 'health', 'openAtEnd']);

/** Whether a measure is taken at a period's end, its cells kept per instant (see `pointCells`). */
export function takenAtEnd(measure: Measure): boolean {
  return AT_END.has(measure.type);
}

/** Whether a measure's cells over a range are its cells over the range's parts added up (see `addCells`). */
function addsUp(measure: Measure): boolean {
  return ADDITIVE.has(measure.type) && !(measure.type === 'mean' && measure.parts);
}

/** Whether a metric's total over a range follows from its monthly cells (see `totalsOfMonths`). */
export function totalFromMonths(measure: Measure): boolean {
  return addsUp(measure) || AT_END.has(measure.type);
}

/**
 * The starts ('YYYY-MM-01 00:00:00') of the local months a range of dates touches: the labels of its
 * monthly cells, the first and last of them clipped to the range when it starts or ends inside a month.
 */
function monthStarts(range: Range): string[] {
  const months: string[] = [];
  const d = new Date(`${range.from.slice(0, 8)}01T00:00:00Z`);
  for (; d.toISOString().slice(0, 10) < range.to; d.setUTCMonth(d.getUTCMonth() + 1))
    months.push(`${d.toISOString().slice(0, 10)} 00:00:00`);
  return months;
}

/**
 * A total over the months a range touches from the metric's monthly cells (kept in the memo, shared
 * with the monthly series of the same question; a range starting or ending inside a month has that
 * month's cell clipped to it, so a custom range computes its edges only, or adds them up from their
 * days): one cell per dimension values, each the months' cells added up.
 */
async function totalsOfMonths(
  exec: SqlExecutor,
  plan: QueryPlan,
  m: MetricPlan,
  range: Range,
  months: string[],
  held = false,
): Promise<Map<string, Cell> | null> {
  const monthly = { ...plan, grain: 'month' as const };
  const cellsOf = held
    ? await metricCells(exec, monthly, m, range, months, true)
    : await metricCells(exec, monthly, m, range, months);
  if (!cellsOf) return null;
  const groups = new Map<string, Cell[]>();
  for (const [key, cell] of cellsOf) {
    const parts = JSON.parse(key) as unknown[];
    const total = keyOf(parts.slice(0, -1), null);
    groups.set(total, [...(groups.get(total) ?? []), cell]);
  }
  return new Map([...groups].map(([key, cells]) => [key, addCells(m.def.measure, cells)]));
}

/** Several periods' cells of one group as one: counts and sums added, means and variances pooled. */
function addCells(measure: Measure, cells: Cell[]): Cell {
  if (measure.type === 'distribution') {
    const rows = cells.flatMap((c) => c.rows ?? []);
    return { agg: distributionAggregates(rows), rows };
  }
  if (measure.type === 'mean' || measure.type === 'score') {
    let [n, sum, squares] = [0, 0, 0];
    for (const c of cells) {
      const k = num(c.agg.n);
      if (k === 0) continue;
      const mean = Number(c.agg.mean);
      const variance = c.agg.variance === null || c.agg.variance === undefined ? 0 : Number(c.agg.variance);
      n += k;
      sum += k * mean;
      squares += (k - 1) * variance + k * mean * mean;
    }
    const mean = n > 0 ? sum / n : null;
    const bins: Record<string, number> = {};
    for (const c of cells)
      for (const [field, v] of Object.entries(c.agg))
        if (field.startsWith('bin_')) bins[field] = (bins[field] ?? 0) + num(v);
    return {
      agg: {
        n,
        mean,
        variance: n > 1 && mean !== null ? Math.max(0, (squares - n * mean * mean) / (n - 1)) : null,
        ...bins,
      },
    };
  }
  const agg: Record<string, number> = {};
  for (const c of cells)
    for (const [field, v] of Object.entries(c.agg))
      if (field !== 'period' && !/^d\d+$/.test(field)) agg[field] = (agg[field] ?? 0) + num(v);
  return { agg };
}

/** A memo entry's weight: its cells (a cohort or distribution cell holds several rows). */
function weightOf(cells: ReadonlyMap<string, Cell>): number {
  return 1 + [...cells.values()].reduce((w, c) => w + (c.rows?.length ?? 1), 0);
}

/** Computes consecutive slots (from the first of them to the last one's end `to`) and keeps each in the memo. */
async function computeSlots(
  exec: SqlExecutor,
  plan: QueryPlan,
  m: MetricPlan,
  to: string,
  slots: readonly Slot[],
  o: {
    perPeriod: boolean;
    generation: number;
    slotKey: (s: Slot) => string;
    /** Keep each slot's cells without their period (to serve any period ending where it does). */
    unlabelled?: boolean;
  },
): Promise<Map<string, Cell>> {
  const computed = await runMetric(exec, plan, m, { from: slots[0]!.from, to });
  if (computed.read.usesNow && !readsClock(m))
    throw new Error(`${m.def.id}: its SQL reads the clock, but readsClock does not know it`);
  const sql = computed.read.sql.join(' ');
  const tables = new Set(TABLES.filter((t) => sql.includes(t)));
  const clock = nowKey(plan, m);
  const byPeriod = new Map<unknown, Map<string, Cell>>();
  for (const [k, c] of computed.cells) {
    const period = o.perPeriod ? (JSON.parse(k) as unknown[]).at(-1) : null;
    const group = byPeriod.get(period) ?? new Map<string, Cell>();
    group.set(k, c);
    byPeriod.set(period, group);
  }
  for (const slot of slots) {
    // An instant by which the slot has ended, plus how long later records can still change it.
    const end = plan.dateOnly ? localDayBegun(slot.to, plan.timezone) : Date.parse(slot.to);
    const horizon = end + lookahead(m);
    const found = byPeriod.get(o.perPeriod ? slot.labels[0] : null) ?? new Map<string, Cell>();
    const cells = o.unlabelled
      ? new Map([...found].map(([k, c]) => [keyOf((JSON.parse(k) as unknown[]).slice(0, -1), null), c]))
      : found;
    exec.memo!.put(
      o.slotKey(slot),
      plan.projectId,
      o.generation,
      { tables, horizon },
      {
        cells,
        // Once every window the clock decides has closed, the answer no longer depends on it
        // (cohorts keep counting offsets begun by now for many periods after their own).
        nowKey: m.def.measure.type !== 'cohort' && Date.parse(m.now) >= horizon ? null : clock,
      },
      weightOf(cells),
    );
  }
  return computed.cells;
}

/**
 * Count, composite mean and variance (of the normalised score), top-box count, mean score and the
 * distribution (answers per score) of one group's rows.
 */
function distributionAggregates(rows: Record<string, unknown>[]): Record<string, unknown> {
  let n = 0;
  let top = 0;
  let sum = 0;
  let sumSq = 0;
  let scoreSum = 0;
  const distribution = new Map<number, number>();
  for (const r of rows) {
    const cnt = num(r.cnt);
    const norm = Number(r.norm);
    const score = Number(r.score);
    n += cnt;
    top += num(r.top) * cnt;
    sum += norm * cnt;
    sumSq += norm * norm * cnt;
    scoreSum += score * cnt;
    distribution.set(score, (distribution.get(score) ?? 0) + cnt);
  }
  const mean = n > 0 ? sum / n : null;
  return {
    ...rows[0],
    n,
    top,
    mean,
    variance: n > 1 && mean !== null ? Math.max(0, (sumSq - n * mean * mean) / (n - 1)) : null,
    scoreMean: n > 0 ? scoreSum / n : null,
    distribution: Object.fromEntries([...distribution].sort(([x], [y]) => x - y)),
  };
}

/** The value of a metric from its aggregates. */
function metricValue(m: MetricPlan, cell: Cell | undefined, minSample: number, days: number): MetricValue {
  const measure = m.def.measure;
  const a = cell?.agg;
  const n = num(a?.n);
  const small = n < minSample;
  switch (measure.type) {
    case 'nps': {
      if (n === 0) return { value: null, n: 0, ci: null, small, promoters: 0, passives: 0, detractors: 0 };
      const p = num(a!.promoters);
      const d = num(a!.detractors);
      return {
        value: round((100 * (p - d)) / n),
        n,
        ci: npsInterval(p, d, n),
        small,
        promoters: p,
        passives: n - p - d,
        detractors: d,
        shares: {
          promoters: round((100 * p) / n),
          passives: round((100 * (n - p - d)) / n),
          detractors: round((100 * d) / n),
        },
      };
    }
    case 'share':
    case 'visits': {
      const k = num(a?.k);
      return { value: n === 0 ? null : round((100 * k) / n), n, ci: wilson(k, n), small, hits: k };
    }
    case 'mean':
    case 'score':
    case 'duration': {
      const mean = n === 0 ? null : round(Number(a!.mean));
      const variance = a?.variance === null || a?.variance === undefined ? Number.NaN : Number(a.variance);
      let ci = mean === null ? null : tInterval(n, mean, variance);
      // A duration cannot be negative: the t interval of a skewed sample is clipped at zero.
      if (ci && measure.type === 'duration') ci = [Math.max(0, ci[0]), ci[1]];
      const out: MetricValue = { value: mean, n, ci, small };
      if (measure.type === 'duration') {
        out.median = cell?.quantiles?.median ?? { value: null, ci: null };
        out.p90 = cell?.quantiles?.p90 ?? { value: null, ci: null };
      } else if (measure.type === 'score' && measure.bins) {
        out.bins = measure.bins.map((lo, i) => ({
          from: lo,
          to: measure.bins![i + 1] ?? null,
          n: num(a?.[`bin_${i}`]),
        }));
      } else if (measure.type === 'mean' && measure.parts) {
        out.parts = Object.fromEntries(
          Object.keys(measure.parts).map((name) => [
            name,
            n === 0 ? null : round(Number(a![`part_${name}`])),
          ]),
        );
      }
      return out;
    }
    case 'count':
      return { value: n, n };
    case 'sum':
      return { value: n === 0 ? 0 : round(num(a!.total)), n };
    case 'distinct':
    case 'openAtEnd':
    case 'rollingDistinct':
      return { value: n, n };
    case 'ratio':
      throw new Error(`${m.def.id}: ratios are derived from their components`);
    case 'adoption': {
      const k = num(a?.k);
      return { value: n === 0 ? null : round((100 * k) / n), n, ci: wilson(k, n), small, hits: k };
    }
    case 'distribution': {
      if (n === 0) return { value: null, n: 0, ci: null, small, distribution: {} };
      const mean = round(Number(a!.mean));
      const top = num(a!.top);
      return {
        value: mean,
        n,
        ci: tInterval(n, mean, a!.variance === null ? Number.NaN : Number(a!.variance)),
        small,
        mean: a!.scoreMean === null ? null : round(Number(a!.scoreMean)),
        topBox: { value: round((100 * top) / n), hits: top, ci: wilson(top, n) },
        distribution: a!.distribution,
      };
    }
    case 'cohort': {
      const curve = (cell?.rows ?? [])
        .map((r) => ({ k: num(r.k), n: num(r.n), kept: num(r.kept) }))
        .sort((x, y) => x.k - y.k)
        .map((p) => ({ ...p, rate: p.n > 0 ? round((100 * p.kept) / p.n) : null }));
      const size = curve[0]?.n ?? 0;
      const at = curve.find((p) => p.k === Number(m.params.offset));
      if (!at || at.n === 0) return { value: null, n: 0, ci: null, small: true, size, curve };
      return {
        value: at.rate,
        n: at.n,
        ci: wilson(at.kept, at.n),
        small: at.n < minSample,
        hits: at.kept,
        size,
        curve,
      };
    }
    case 'clv': {
      const years = days / 365.25;
      const orders = num(a?.orders);
      const revenue = num(a?.revenue);
      if (n === 0 || years === 0) return { value: null, n, small };
      const frequency = orders / n / years;
      const aov = revenue / orders;
      const lifespan = Number(m.params.lifespanYears);
      const margin = Number(m.params.grossMargin);
      return {
        value: round(aov * frequency * lifespan * margin),
        n,
        small,
        aov: round(aov),
        frequency: round(frequency),
        orders,
        revenue: round(revenue),
      };
    }
    case 'engagement': {
      const k = num(a?.k);
      const mean = (x: unknown) => (n === 0 ? null : round(Number(x)));
      return {
        value: n === 0 ? null : round((100 * k) / n),
        n,
        ci: wilson(k, n),
        small,
        hits: k,
        interactions: mean(a?.interactions),
        activeDays: mean(a?.active_days),
        depth: mean(a?.depth),
        recencyDays: mean(a?.recency_days),
      };
    }
    case 'health': {
      if (n === 0) return { value: null, n: 0, ci: null, small };
      const mean = round(Number(a!.mean));
      return {
        value: mean,
        n,
        ci: tInterval(n, mean, a!.variance === null ? Number.NaN : Number(a!.variance)),
        small,
        bands: { red: num(a!.red), yellow: num(a!.yellow), green: num(a!.green) },
        components: Object.fromEntries(
          Object.keys(HEALTH_COMPONENTS).map((c) => [c, round(Number(a![`part_${c}`]))]),
        ),
      };
    }
    case 'revenueFlow': {
      const start = num(a?.start_mrr);
      const flow = {
        startMrr: round(start),
        churnedMrr: round(num(a?.churned_mrr)),
        contractionMrr: round(num(a?.contraction_mrr)),
        expansionMrr: round(num(a?.expansion_mrr)),
        newMrr: round(num(a?.new_mrr)),
      };
      const lost = flow.churnedMrr + flow.contractionMrr;
      const rate = (x: number) => (start > 0 ? round((100 * x) / start) : null);
      const gross = rate(lost);
      const net = rate(lost - flow.expansionMrr);
      return { value: m.params.variant === 'net' ? net : gross, n, ci: null, small, gross, net, ...flow };
    }
    case 'funnel':
    case 'eventFunnel': {
      const names = measure.type === 'funnel' ? measure.stages.map(([name]) => name) : funnelSteps(m);
      const counts = names.map((_, i) => num(a?.[`stage_${i}`]));
      const first = counts[0] ?? 0;
      const last = counts[counts.length - 1] ?? 0;
      const steps = Object.fromEntries(names.map((name, i) => [name, counts[i]]));
      const rates = Object.fromEntries(
        names
          .slice(1)
          .map((name, i) => [name, counts[i]! > 0 ? round((100 * counts[i + 1]!) / counts[i]!) : null]),
      );
      return {
        value: first > 0 ? round((100 * last) / first) : null,
        n: first,
        ci: wilson(last, first),
        small: first < minSample,
        hits: last,
        steps,
        rates,
      };
    }
    case 'dailyDistinct': {
      const total = num(a?.total);
      return {
        value: days > 0 ? round(total / days) : null,
        n: days,
        activeDays: num(a?.active_days),
        userDays: total,
      };
    }
    case 'lifecycle': {
      if (measure.outcome === 'acquired') {
        const acquired = num(a?.joined) + num(a?.joined_lost);
        return { value: acquired, n: acquired };
      }
      const flow = {
        start: n,
        end: num(a?.ending),
        lost: num(a?.lost),
        new: num(a?.joined),
        joinedAndLost: num(a?.joined_lost),
      };
      if (n === 0) return { value: null, n: 0, ci: null, small, ...flow };
      if (measure.outcome === 'end')
        return { value: round((100 * flow.end) / n), n, ci: null, small, ...flow };
      const k =
        measure.outcome === 'retained'
          ? flow.end - flow.new
          : flow.lost + (m.params.includeJoinedAndLost === 'yes' ? flow.joinedAndLost : 0);
      return { value: round((100 * k) / n), n, ci: k <= n ? wilson(k, n) : null, small, hits: k, ...flow };
    }
  }
}

/** Difference to the previous value and its significance (α = 0.05). */
function compareValues(
  measure: Measure,
  cur: Cell | undefined,
  prev: Cell | undefined,
  current: MetricValue,
  previous: MetricValue,
) {
  const delta =
    current.value !== null && previous.value !== null ? round(current.value - previous.value) : null;
  let p: number | null = null;
  const a = cur?.agg;
  const b = prev?.agg;
  if (a && b && current.n > 0 && previous.n > 0) {
    if (['share', 'visits', 'adoption', 'engagement'].includes(measure.type))
      p = shareTest(num(a.k), current.n, num(b.k), previous.n);
    else if (measure.type === 'cohort' && current.value !== null && previous.value !== null)
      p = shareTest(Number(current.hits), current.n, Number(previous.hits), previous.n);
    else if (measure.type === 'funnel' || measure.type === 'eventFunnel')
      p = shareTest(Number(current.hits), current.n, Number(previous.hits), previous.n);
    else if (measure.type === 'lifecycle' && measure.outcome !== 'end')
      p = shareTest(Number(current.hits), current.n, Number(previous.hits), previous.n);
    else if (measure.type === 'nps')
      p = npsTest(
        current.value!,
        npsVariance(num(a.promoters), num(a.detractors), current.n),
        previous.value!,
        npsVariance(num(b.promoters), num(b.detractors), previous.n),
      );
    else if (['mean', 'score', 'duration', 'distribution', 'health'].includes(measure.type))
      p = welchTest(
        current.n,
        Number(a.mean),
        Number(a.variance),
        previous.n,
        Number(b.mean),
        Number(b.variance),
      );
  }
  return {
    previous: {
      value: previous.value,
      n: previous.n,
      ...(previous.ci !== undefined ? { ci: previous.ci } : {}),
    },
    delta,
    p,
    significant: p === null ? null : p < 0.05,
  };
}

/**
 * Bucket lists already read, by their SQL and values: a list follows from the range, grain and time
 * zone alone (no table is read), so every query of a dashboard view after the first skips that read.
 */
const BUCKETS = new Map<string, string[]>();
const MAX_BUCKET_LISTS = 1000;

/**
 * Runs a plan.
 * @example const result = await runQuery(store, planQuery(body, project, clock.now()));
 */
export async function runQuery(exec: SqlExecutor, plan: QueryPlan): Promise<QueryResult> {
  const range = { from: plan.from, to: plan.to };
  const prevRange = plan.compare ? comparisonRange(plan) : null;
  const periodsOf = async (r: Range) => {
    const q = bucketsSql(plan, exec.dialect, r);
    if (!q) return [null];
    const key = `${q.sql}|${JSON.stringify(q.params)}`;
    const known = BUCKETS.get(key);
    if (known) return known;
    const labels = (await exec.select(q.sql, q.params)).map((x) => String(x.period));
    if (BUCKETS.size >= MAX_BUCKET_LISTS) BUCKETS.delete(BUCKETS.keys().next().value!);
    BUCKETS.set(key, labels);
    return labels;
  };
  const periods = await periodsOf(range);
  const prevPeriods = prevRange ? await periodsOf(prevRange) : [];
  const current = new Map<string, Map<string, Cell>>();
  const previous = new Map<string, Map<string, Cell>>();
  // Ratios are computed from their components (themselves perhaps ratios), run as metrics of their
  // own whether requested or not; a component not requested runs with its default parameters.
  const byId = new Map(plan.metrics.map((m) => [m.def.id, m]));
  const pending = [...plan.metrics];
  for (let m = pending.pop(); m; m = pending.pop())
    if (m.def.measure.type === 'ratio')
      for (const id of [m.def.measure.numerator, m.def.measure.denominator])
        if (!byId.has(id)) {
          const def = METRICS.get(id)!;
          const params = Object.fromEntries(def.params.map((p) => [p.name, p.default]));
          const component = { ...m, def, params };
          byId.set(id, component);
          pending.push(component);
        }
  const computed = [...byId.values()].filter((m) => m.def.measure.type !== 'ratio');
  // The engine's read connections answer several metrics side by side.
  await Promise.all(
    computed.flatMap((m) => [
      metricCells(exec, plan, m, range, periods).then((cells) => current.set(m.def.id, cells)),
      ...(prevRange
        ? [metricCells(exec, plan, m, prevRange, prevPeriods).then((cells) => previous.set(m.def.id, cells))]
        : []),
    ]),
  );
  // Every dimension combination seen by any metric, in a stable order.
  const combos = new Map<string, unknown[]>();
  if (plan.groupBy.length === 0) combos.set('[]', []);
  for (const cells of current.values())
    for (const key of cells.keys()) {
      const dims = (JSON.parse(key) as unknown[]).slice(0, plan.groupBy.length);
      combos.set(JSON.stringify(dims), dims);
    }
  const sortedCombos = [...combos.values()].sort((x, y) =>
    JSON.stringify(x).localeCompare(JSON.stringify(y)),
  );
  const rows: ResultRow[] = [];
  for (const dims of sortedCombos) {
    for (const [i, period] of periods.entries()) {
      const row: ResultRow = {};
      plan.groupBy.forEach((dim, j) => {
        row[dim] = dims[j] ?? null;
      });
      if (plan.grain) row.period = formatPeriod(period!, plan.grain);
      for (const m of plan.metrics) {
        const measure = m.def.measure;
        if (m.def.measure.type === 'ratio') {
          const value = ratioValue(
            m.def.measure,
            byId,
            current,
            keyOf(dims, period),
            plan,
            daysIn(plan, periods, i, range),
          );
          if (prevRange) {
            const prevPeriod = plan.grain ? prevPeriods[i] : null;
            const prev =
              prevPeriod === undefined
                ? { value: null, n: 0, ci: null }
                : ratioValue(
                    m.def.measure,
                    byId,
                    previous,
                    keyOf(dims, prevPeriod),
                    plan,
                    daysIn(plan, prevPeriods, i, prevRange),
                  );
            Object.assign(value, {
              previous: { value: prev.value, n: prev.n, ci: null },
              delta: value.value !== null && prev.value !== null ? round(value.value - prev.value) : null,
              // No test of significance for a quotient of two estimates.
              p: null,
              significant: null,
            });
          }
          row[m.def.id] = value;
          continue;
        }
        const cell = current.get(m.def.id)!.get(keyOf(dims, period));
        const value = metricValue(m, cell, plan.minSample, daysIn(plan, periods, i, range));
        if (m.def.id === 'fcr') value.method = m.params.method;
        if (prevRange) {
          const prevPeriod = plan.grain ? prevPeriods[i] : null;
          const prevCell =
            prevPeriod === undefined ? undefined : previous.get(m.def.id)!.get(keyOf(dims, prevPeriod));
          Object.assign(
            value,
            compareValues(
              measure,
              cell,
              prevCell,
              value,
              metricValue(m, prevCell, plan.minSample, daysIn(plan, prevPeriods, i, prevRange)),
            ),
          );
        }
        row[m.def.id] = value;
      }
      rows.push(row);
    }
  }
  return {
    rows,
    meta: {
      from: plan.from,
      to: plan.to,
      timezone: plan.timezone,
      grain: plan.grain,
      compare: prevRange && plan.compare ? { kind: plan.compare, ...prevRange } : null,
      params: Object.fromEntries(
        plan.metrics.filter((m) => m.def.params.length > 0).map((m) => [m.def.id, { ...m.params }]),
      ),
    },
  };
}

/** scale × numerator ÷ denominator (scale 100 by default), from the components' values in the same row. */
function ratioValue(
  measure: Extract<Measure, { type: 'ratio' }>,
  byId: Map<string, MetricPlan>,
  cells: Map<string, Map<string, Cell>>,
  key: string,
  plan: QueryPlan,
  days: number,
): MetricValue {
  const part = (id: string): MetricValue => {
    const m = byId.get(id)!;
    return m.def.measure.type === 'ratio'
      ? ratioValue(m.def.measure, byId, cells, key, plan, days)
      : metricValue(m, cells.get(id)!.get(key), plan.minSample, days);
  };
  const num = part(measure.numerator);
  const den = part(measure.denominator);
  const value =
    num.value !== null && den.value ? round(((measure.scale ?? 100) * num.value) / den.value) : null;
  return { value, n: den.n, ci: null, [measure.numerator]: num.value, [measure.denominator]: den.value };
}

/** Local calendar days of period i (clipped to the range); 0 for hourly buckets. */
function daysIn(plan: QueryPlan, periods: (string | null)[], i: number, range: Range): number {
  if (plan.grain === 'hour') return 0;
  const day = (s: string) => Date.parse(`${s.slice(0, 10)}T00:00:00Z`);
  const from = day(range.from);
  const to = day(range.to);
  const start = periods[i] ? Math.max(day(periods[i]!), from) : from;
  const end = periods[i + 1] ? Math.min(day(periods[i + 1]!), to) : to;
  return Math.max(0, Math.round((end - start) / 86_400_000));
}

/** '2026-03-01 00:00:00' → '2026-03-01' (or '2026-03-01T14:00' for hours). */
export function formatPeriod(period: string, grain: string): string {
  return grain === 'hour' ? `${period.slice(0, 10)}T${period.slice(11, 16)}` : period.slice(0, 10);
}
