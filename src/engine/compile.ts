/**
 * @module engine/compile
 * Logical plan → SQL through a dialect. One aggregate query per metric (grouped by the requested
 * dimensions and time bucket), and for durations a second query that fetches exactly the order
 * statistics the quantiles and their intervals need. Values are bound, never spliced.
 */
import { col, type Expr } from '../metrics/expr.ts';
import { listItems, type MetricDefinition } from '../metrics/types.ts';
import { KINDS, type RecordKind } from '../model/kinds.ts';
import { HEALTH_COMPONENTS, type HealthComponent } from '../model/project-config.ts';
import type { Dialect, Zone } from './dialect.ts';
import type { MetricPlan, QueryPlan } from './plan.ts';
import { zoneOffsets } from './zone.ts';

/** A half-open range [from, to): local dates or ISO instants, as in the query. */
export type Range = { from: string; to: string };

/**
 * The records of a query's scope, for look-ups: the source table (alias `s` in `where`), the
 * conditions of project and range, and the instants bounding `s.ts` (null when the metric's time is
 * another column).
 */
interface RowsInScope {
  readonly table: string;
  readonly project: string;
  readonly where: string;
  readonly ts: { readonly from: string; readonly to: string } | null;
}

/** The records a look-up ranges over: an error outside a record table's scope. */
function rowsInScope(b: Binder, metric: MetricPlan): RowsInScope {
  if (!b.rows) throw new Error(`${metric.def.id}: a look-up needs the records of a record table`);
  return b.rows;
}

/** Collects bound values under generated names. */
export class Binder {
  readonly values: Record<string, string | number | boolean | null> = {};
  private next = 0;
  /** The records a query ranges over, for per-record look-ups (set by the query's scope). */
  rows: RowsInScope | null = null;
  /** Joins added by per-record look-ups, each keyed by the record's id (see `lookup`). */
  readonly lookups: string[] = [];
  private sealed = false;
  constructor(private readonly dialect: Dialect) {}
  /**
   * Adds a look-up: a relation with one row per record of the scope (`id`, and its values), left
   * joined to the source alias `s`. Returns the alias of its columns.
   */
  lookup(relation: string): string {
    if (this.sealed) throw new Error('a look-up was added after the FROM clause was built');
    const alias = `lk${this.lookups.length}`;
    this.lookups.push(`LEFT JOIN (${relation}) ${alias} ON ${alias}.id = s.id`);
    return alias;
  }
  /** The look-up joins, once the query's expressions are compiled. */
  seal(): string {
    this.sealed = true;
    return this.lookups.join('\n    ');
  }
  bind(value: string | number | boolean | null, hint = 'v'): string {
    const name = `${hint}_${this.next++}`;
    this.values[name] = value;
    return this.dialect.param(name);
  }
  /**
   * Binds time zone `name` with its offsets over the instants a query over `range` can place in
   * time (the range, a year before it for look-backs and comparisons, at most a few years in all).
   */
  zone(name: string, range?: Range): Zone {
    const us = (ms: number) => this.bind(ms * 1000, 'z');
    const o = range ? zoneOffsets(name, ...zoneWindow(range)) : { start: 0, end: 0, spans: [] };
    return {
      name: this.bind(name, 'tz'),
      start: us(o.start),
      end: us(o.end),
      spans: o.spans.map((x) => ({ until: us(x.until), offset: us(x.offset) })),
    };
  }
}

const DAY_MS = 86_400_000;
/** The window of instants whose zone offsets a query over `range` binds (epoch ms). */
function zoneWindow(range: Range): [number, number] {
  const ms = (v: string) => Date.parse(v.length === 10 ? `${v}T00:00:00Z` : v);
  const to = ms(range.to) + 2 * DAY_MS;
  return [Math.max(ms(range.from), to - 6 * 366 * DAY_MS) - 400 * DAY_MS, to];
}

/** The instant of a range bound: a local date at midnight in the time zone, or an ISO instant. */
function instantOf(plan: QueryPlan, d: Dialect, b: Binder, tz: Zone): (value: string) => string {
  return (value) =>
    plan.dateOnly ? d.localToInstant(b.bind(value, 'day'), tz) : d.instant(b.bind(value, 'at'));
}

/**
 * The grouping of a query: the selected keys (`d0…` dimensions, then `period` from `period`, an
 * expression or null without grain) and the GROUP BY clause over them.
 */
function grouping(plan: QueryPlan, dims: string[], period: string | null) {
  const names = [...plan.groupBy.map((_, i) => `d${i}`), ...(period ? ['period'] : [])];
  return {
    select: [...dims, ...(period ? [`${period} AS period`] : [])],
    names,
    clause: names.length > 0 ? `GROUP BY ${names.join(', ')}` : '',
  };
}

/** Compiles an expression over the source alias `s` (`value`: the column holding the metric's value). */
export function compileExpr(e: Expr, d: Dialect, b: Binder, metric: MetricPlan, value?: string): string {
  const c = (x: Expr) => compileExpr(x, d, b, metric, value);
  switch (e.kind) {
    case 'value':
      if (!value) throw new Error(`metric ${metric.def.id}: its value is not available here`);
      return value;
    case 'col':
      return `s.${d.ident(e.name)}`;
    case 'param': {
      const value = metric.params[e.name];
      if (value === undefined) throw new Error(`metric ${metric.def.id}: no parameter ${e.name}`);
      return b.bind(value, 'p');
    }
    case 'lit':
      if (typeof e.value === 'boolean') return d.bool(e.value);
      return b.bind(e.value, 'l');
    case 'op':
      return `(${c(e.left)} ${e.op} ${c(e.right)})`;
    case 'all':
      return e.args.length === 0 ? d.bool(true) : `(${e.args.map(c).join(' AND ')})`;
    case 'any':
      return e.args.length === 0 ? d.bool(false) : `(${e.args.map(c).join(' OR ')})`;
    case 'not':
      return `(NOT ${c(e.arg)})`;
    case 'isNull':
      return `(${c(e.arg)} IS NULL)`;
    case 'notNull':
      return `(${c(e.arg)} IS NOT NULL)`;
    case 'in':
      return `(${c(e.arg)} IN (${e.values.map(c).join(', ')}))`;
    case 'coalesce':
      return `coalesce(${e.args.map(c).join(', ')})`;
    case 'secondsBetween':
      return d.secondsBetween(c(e.from), c(e.to));
    case 'case':
      return `(CASE ${e.when.map(([w, t]) => `WHEN ${c(w)} THEN ${c(t)}`).join(' ')} ELSE ${c(e.else)} END)`;
    case 'addDays':
      return d.addDays(c(e.arg), c(e.days));
    case 'now':
      return d.instant(b.bind(metric.now, 'now'));
    case 'repeatContact': {
      // One semi-join over the contacts in scope rather than a correlated probe per contact.
      const rows = rowsInScope(b, metric);
      const days = c(e.days);
      const table = d.ident(KINDS.contact.table);
      // A repeat follows its contact, so it lies within [from, to + days) of the scope.
      const later = rows.ts ? ` AND r.ts > ${rows.ts.from} AND r.ts < ${d.addDays(rows.ts.to, days)}` : '';
      const alias = b.lookup(`SELECT DISTINCT s.id FROM ${rows.table} s JOIN ${table} r
          ON r.project_id = s.project_id AND r.customer_id = s.customer_id AND r.reason = s.reason
            AND r.ts > s.ts AND r.ts <= ${d.addDays('s.ts', days)}${later}
        WHERE ${rows.where}`);
      return `(${alias}.id IS NOT NULL)`;
    }
    case 'elapsed': {
      if (metric.params.clock !== 'business') return d.secondsBetween(c(e.from), c(e.to));
      const { spans, holidays, timezone } = metric.calendar;
      return d.businessSeconds(
        c(e.from),
        c(e.to),
        b.zone(timezone),
        d.jsonRows(b.bind(JSON.stringify(spans), 'spans'), ['dow', 'open', 'close']),
        d.jsonRows(b.bind(JSON.stringify(holidays.length > 0 ? holidays : [{ day: 0 }]), 'holidays'), [
          'day',
        ]),
      );
    }
    case 'touchpoints': {
      // Every record in scope joined once with its customer's touches in the window before it: far
      // faster than a correlated count per record.
      const rows = rowsInScope(b, metric);
      const days = c(e.days);
      const bounds = rows.ts
        ? ` AND ts >= ${d.addDays(rows.ts.from, `-${days}`)} AND ts < ${rows.ts.to}`
        : '';
      const used = (kind: 'contact' | 'event' | 'social' | 'order', touchpoint: string, extra = '') =>
        `SELECT customer_id, ts, ${touchpoint} AS tp FROM ${d.ident(KINDS[kind].table)}
          WHERE project_id = ${rows.project} AND customer_id IS NOT NULL${bounds}${extra}`;
      const alias = b.lookup(`SELECT s.id, ${d.countDistinct('t.tp')} AS v FROM ${rows.table} s JOIN (
          ${used('contact', "'contact:' || coalesce(channel, '')")}
          UNION ALL ${used('event', "'digital'")}
          UNION ALL ${used('social', "'social:' || platform")}
          UNION ALL ${used('order', "'order:' || coalesce(channel, '')", " AND status = 'completed'")}
        ) t ON t.customer_id = s.customer_id AND t.ts >= ${d.addDays('s.ts', `-${days}`)} AND t.ts < s.ts
        WHERE ${rows.where}
        GROUP BY s.id`);
      return `coalesce(${alias}.v, 0)`;
    }
  }
}

/**
 * The group-by columns (`… AS d0`, `… AS d1`) and the filter conditions of a plan for one metric,
 * values bound; `filters` defaults to the plan's.
 */
function dimensionsSql(
  plan: QueryPlan,
  m: MetricPlan,
  d: Dialect,
  b: Binder,
  tz: Zone,
  filters: Readonly<Record<string, readonly string[]>> = plan.filters,
) {
  return {
    dims: plan.groupBy.map((dim, i) => `${dimensionSql(m, dim, d, tz)} AS d${i}`),
    filters: Object.entries(filters).map(
      ([dim, values]) =>
        `${dimensionSql(m, dim, d, tz)} IN (${values.map((v) => b.bind(v, 'f')).join(', ')})`,
    ),
  };
}

/** FROM … WHERE … shared by a metric's queries: scope, range, filters and the metric's own records. */
function scope(plan: QueryPlan, m: MetricPlan, d: Dialect, b: Binder, range: Range) {
  const def = m.def;
  const table = def.relation
    ? `(${customerLifeSql(m, d, b, plan.projectId)})`
    : d.ident(KINDS[def.source].table);
  const needsCustomer = [...plan.groupBy, ...Object.keys(plan.filters)].some(
    (dim) => m.dimensions[dim] && 'customer' in m.dimensions[dim]!,
  );
  const join = needsCustomer
    ? `LEFT JOIN ${d.ident(KINDS.customer.table)} c ON c.project_id = s.project_id AND c.id = s.customer_id`
    : '';
  const tz = b.zone(plan.timezone, range);
  const time = compileExpr(def.time, d, b, m);
  const bound = instantOf(plan, d, b, tz);
  const [from, to] = [bound(range.from), bound(range.to)];
  const project = b.bind(plan.projectId, 'project');
  const conditions = [`s.project_id = ${project}`, `${time} >= ${from}`, `${time} < ${to}`];
  if (!def.relation)
    b.rows = {
      table,
      project,
      where: conditions.join(' AND '),
      ts: time === compileExpr(col('ts'), d, b, m) ? { from, to } : null,
    };
  conditions.push(compileExpr(def.where, d, b, m));
  const { dims, filters } = dimensionsSql(plan, m, d, b, tz);
  conditions.push(...filters);
  const period = plan.grain ? d.bucket(time, plan.grain, tz) : null;
  return {
    /** Read once every expression of the query is compiled: it carries their look-ups. */
    get from() {
      return `${table} s ${join} ${b.seal()}`;
    },
    where: conditions.join('\n    AND '),
    dims,
    period,
    time,
  };
}

/** Delay bands (seconds, label): labels sort in time order. */
const DELAY_BANDS: readonly [number, string][] = [
  [3_600, 'h000-001'],
  [21_600, 'h001-006'],
  [86_400, 'h006-024'],
  [259_200, 'h024-072'],
  [604_800, 'h072-168'],
];

/** The SQL of a dimension for a metric's records; `tz` is the bound time zone of the query. */
export function dimensionSql(m: MetricPlan, dim: string, d: Dialect, tz: Zone): string {
  const source = m.dimensions[dim];
  if (!source) throw new Error(`dimension ${dim} not planned for ${m.def.id}`);
  if ('own' in source) return `s.${d.ident(source.own)}`;
  if ('customer' in source) return `c.${d.ident(source.customer)}`;
  if ('localPart' in source) return d.localPart(`s.${d.ident(source.localPart)}`, source.part, tz);
  const delay = d.secondsBetween(`s.${d.ident(source.delayFrom)}`, `s.${d.ident(source.delayTo)}`);
  return `(CASE WHEN ${delay} IS NULL THEN NULL ${DELAY_BANDS.map(([s, label]) => `WHEN ${delay} < ${s} THEN '${label}'`).join(' ')} ELSE 'h168+' END)`;
}

/** The aggregate query of one metric over one range. */
export function aggregateSql(plan: QueryPlan, m: MetricPlan, d: Dialect, range: Range) {
  const b = new Binder(d);
  const sc = scope(plan, m, d, b, range);
  const measure = m.def.measure;
  const e = (x: Expr) => compileExpr(x, d, b, m);
  const aggregates: string[] = [];
  switch (measure.type) {
    case 'nps': {
      const score = e(measure.score);
      aggregates.push(
        'count(*) AS n',
        `${d.countIf(`${score} >= 9`)} AS promoters`,
        `${d.countIf(`${score} <= 6`)} AS detractors`,
      );
      break;
    }
    case 'share': {
      const pop = e(measure.population);
      aggregates.push(`${d.countIf(pop)} AS n`, `${d.countIf(`${pop} AND ${e(measure.hit)}`)} AS k`);
      break;
    }
    case 'mean':
    case 'duration':
      break;
    case 'count':
      aggregates.push('count(*) AS n');
      break;
    case 'sum':
      aggregates.push('count(*) AS n', `sum(${e(measure.value)}) AS total`);
      break;
    case 'distinct':
      aggregates.push(`${d.countDistinct(e(measure.value))} AS n`);
      break;
    case 'funnel':
      measure.stages.forEach(([, reached], i) => {
        aggregates.push(`${d.countIf(e(reached))} AS ${d.ident(`stage_${i}`)}`);
      });
      break;
    case 'clv':
      aggregates.push(
        `${d.countDistinct('s.customer_id')} AS n`,
        'count(*) AS orders',
        `sum(${e(measure.amount)}) AS revenue`,
      );
      break;
    case 'lifecycle':
    case 'dailyDistinct':
    case 'openAtEnd':
    case 'rollingDistinct':
    case 'ratio':
    case 'visits':
    case 'adoption':
    case 'distribution':
    case 'cohort':
    case 'revenueFlow':
    case 'engagement':
    case 'health':
    case 'score':
    case 'eventFunnel':
      throw new Error(`${m.def.id}: ${measure.type} metrics have their own compiler`);
  }
  const g = grouping(plan, sc.dims, sc.period);
  if (measure.type === 'mean' || measure.type === 'duration') {
    // The value is computed once per record in an inner query, then aggregated with its parts.
    const parts = Object.entries(measure.type === 'mean' ? (measure.parts ?? {}) : {});
    const usesValue = (x: Expr) => JSON.stringify(x).includes('"kind":"value"');
    const inner = parts.flatMap(([, part], i) => (usesValue(part) ? [] : [`${e(part)} AS p${i}`]));
    const sql = `SELECT ${[
      ...g.names,
      'count(v) AS n',
      'avg(v) AS mean',
      `${d.varSamp('v')} AS variance`,
      ...parts.map(
        ([name, part], i) =>
          `avg(${usesValue(part) ? compileExpr(part, d, b, m, 'v') : `p${i}`}) AS ${d.ident(`part_${name}`)}`,
      ),
    ].join(', ')}
  FROM (SELECT ${[...g.select, `${e(measure.value)} AS v`, ...inner].join(', ')}
    FROM ${sc.from} WHERE ${sc.where}) x
  ${g.clause}`;
    return { sql, params: b.values };
  }
  const sql = `SELECT ${[...g.select, ...aggregates].join(',\n  ')}
  FROM ${sc.from}
  WHERE ${sc.where}
  ${g.clause}`;
  return { sql, params: b.values };
}

/**
 * The records behind a value (drill-down): the metric's own records in scope — range, filters and the
 * metric's conditions — newest first, each row carrying the total in scope as `_total`.
 */
export function recordsSql(plan: QueryPlan, m: MetricPlan, d: Dialect, range: Range, limit: number) {
  const b = new Binder(d);
  const sc = scope(plan, m, d, b, range);
  // The count apart from the newest rows: a window over every row in scope would carry all their
  // columns through the sort.
  const sql = `SELECT t.*, (SELECT count(*) FROM ${sc.from} WHERE ${sc.where}) AS _total
  FROM (SELECT s.*, ${sc.time} AS _at FROM ${sc.from} WHERE ${sc.where}
    ORDER BY ${sc.time} DESC, s.id LIMIT ${b.bind(limit, 'limit')}) t
  ORDER BY t._at DESC, t.id`;
  return { sql, params: b.values };
}

/**
 * The order statistics of a duration metric at the ranks asked for (per group size n), from a
 * window over the values of each group. `ranks` is bound as JSON rows `{n, r}`.
 */
export function orderStatisticsSql(
  plan: QueryPlan,
  m: MetricPlan,
  d: Dialect,
  range: Range,
  ranks: { n: number; r: number }[],
) {
  const b = new Binder(d);
  const sc = scope(plan, m, d, b, range);
  if (m.def.measure.type !== 'duration') throw new Error('order statistics need a duration metric');
  const v = compileExpr(m.def.measure.value, d, b, m);
  const g = grouping(plan, sc.dims, sc.period);
  const keys = g.select;
  const part = g.names;
  const over = part.length > 0 ? `PARTITION BY ${part.join(', ')}` : '';
  const ranksParam = b.bind(JSON.stringify(ranks), 'ranks');
  const sql = `SELECT ${[...part.map((k) => `x.${k}`), 'x.rn', 'x.v'].join(', ')} FROM (
    SELECT *, row_number() OVER (${over} ORDER BY v) AS rn, count(*) OVER (${over}) AS cnt FROM (
      SELECT ${[...keys, `${v} AS v`].join(', ')} FROM ${sc.from} WHERE ${sc.where} AND ${v} IS NOT NULL
    ) g
  ) x JOIN ${d.jsonRows(ranksParam, ['n', 'r'])} q ON q.n = x.cnt AND q.r = x.rn`;
  return { sql, params: b.values };
}

/** The periods of a plan as rows `period, b0, b1` (instants, clipped to the range). */
function periodsSql(plan: QueryPlan, d: Dialect, from: string, to: string, tz: Zone): string {
  return plan.grain
    ? `SELECT period, greatest(${d.localToInstant('period', tz)}, ${from}) AS b0,
         coalesce(lead(${d.localToInstant('period', tz)}) OVER (ORDER BY period), ${to}) AS b1
       FROM ${d.bucketSeries(from, to, plan.grain, tz)} p`
    : `SELECT NULL AS period, ${from} AS b0, ${to} AS b1`;
}

/** Daily distinct values per period: their sum over the active days (the mean is taken over all days). */
export function dailyDistinctSql(plan: QueryPlan, m: MetricPlan, d: Dialect, range: Range) {
  const b = new Binder(d);
  const sc = scope(plan, m, d, b, range);
  if (m.def.measure.type !== 'dailyDistinct')
    throw new Error('dailyDistinctSql needs a dailyDistinct metric');
  const v = compileExpr(m.def.measure.value, d, b, m);
  const tz = b.zone(plan.timezone, range);
  const g = grouping(plan, sc.dims, sc.period);
  const keys = g.select;
  const outer = g.names;
  const sql = `SELECT ${[...outer, 'sum(dc) AS total', 'count(*) AS active_days'].join(', ')} FROM (
      SELECT ${[...keys, `${d.localDate(sc.time, tz)} AS day`, `${d.countDistinct(v)} AS dc`].join(', ')}
      FROM ${sc.from} WHERE ${sc.where}
      GROUP BY ${[...outer, 'day'].join(', ')}
    ) x ${g.clause}`;
  return { sql, params: b.values };
}

/** Rows open at the end of each period (opened before it, not closed by then). */
export function openAtEndSql(plan: QueryPlan, m: MetricPlan, d: Dialect, range: Range) {
  const b = new Binder(d);
  const measure = m.def.measure;
  if (measure.type !== 'openAtEnd') throw new Error('openAtEndSql needs an openAtEnd metric');
  const sc = scope(plan, m, d, b, { from: '1900-01-01', to: range.to });
  const tz = b.zone(plan.timezone, range);
  const bound = instantOf(plan, d, b, tz);
  const opened = compileExpr(measure.opened, d, b, m);
  const closed = compileExpr(measure.closed, d, b, m);
  const g = grouping(plan, sc.dims, plan.grain ? 'periods.period' : null);
  const sql = `SELECT ${[...g.select, `${d.countIf(`${opened} < periods.b1 AND (${closed} IS NULL OR ${closed} >= periods.b1)`)} AS n`].join(', ')}
    FROM ${sc.from} CROSS JOIN (${periodsSql(plan, d, bound(range.from), bound(range.to), tz)}) periods
    WHERE ${sc.where}
    ${g.clause}`;
  return { sql, params: b.values };
}

/** Distinct values in the `days` days ending with each period (events before `from` included). */
export function rollingDistinctSql(plan: QueryPlan, m: MetricPlan, d: Dialect, range: Range) {
  const b = new Binder(d);
  const measure = m.def.measure;
  if (measure.type !== 'rollingDistinct')
    throw new Error('rollingDistinctSql needs a rollingDistinct metric');
  const early = plan.dateOnly
    ? new Date(Date.parse(`${range.from}T00:00:00Z`) - measure.days * 86_400_000).toISOString().slice(0, 10)
    : new Date(Date.parse(range.from) - measure.days * 86_400_000).toISOString();
  const sc = scope(plan, m, d, b, { from: early, to: range.to });
  const tz = b.zone(plan.timezone, range);
  const bound = instantOf(plan, d, b, tz);
  const v = compileExpr(measure.value, d, b, m);
  const days = b.bind(measure.days, 'days');
  if (measure.days < 2) throw new Error(`${m.def.id}: a rolling window needs at least two days`);
  // Each person's records are first reduced to one row per day with the first and last instant: a
  // window of two days or more never starts and ends within one day, so a person is in a window
  // exactly when one of their days has its last instant at or after the window's start and its
  // first before the window's end. Periods are then matched to days by equality, not by range.
  const dims = plan.groupBy.map((_, i) => `d${i}`);
  const keys = [...dims, ...(plan.grain ? ['pd.period'] : [])];
  const sql = `WITH touched AS (
      SELECT ${[...sc.dims, `${v} AS who`, `${d.dayNumber(sc.time)} AS day`, `min(${sc.time}) AS t0`, `max(${sc.time}) AS t1`].join(', ')}
      FROM ${sc.from} WHERE ${sc.where}
      GROUP BY ${[...dims, 'who', 'day'].join(', ')}
    ), periods AS (
      SELECT period, b1, ${d.addDays('b1', `-${days}`)} AS lo
      FROM (${periodsSql(plan, d, bound(range.from), bound(range.to), tz)}) p
    ), pd AS (
      SELECT period, b1, lo, ${d.unnestRange(d.dayNumber('lo'), d.dayNumber('b1'))} AS day FROM periods
    )
    SELECT ${[...dims, ...(plan.grain ? ['pd.period AS period'] : []), `${d.countDistinct('t.who')} AS n`].join(', ')}
    FROM touched t JOIN pd ON pd.day = t.day
    WHERE t.t1 >= pd.lo AND t.t0 < pd.b1
    ${keys.length > 0 ? `GROUP BY ${keys.join(', ')}` : ''}`;
  return { sql, params: b.values };
}

/**
 * Visits and converting visits per period (of the visit's start). A visit is a `session_id`, else a
 * person's events without a gap longer than `gapMinutes`; either ends at local midnight, so a day's
 * visits depend on that day's events alone.
 */
export function visitsSql(plan: QueryPlan, m: MetricPlan, d: Dialect, range: Range) {
  const b = new Binder(d);
  const sc = scope(plan, m, d, b, range);
  const tz = b.zone(plan.timezone, range);
  const gap = b.bind(Number(m.params.gapMinutes) * 60, 'gap');
  const conversions =
    plan.conversionEvents.length > 0
      ? plan.conversionEvents.map((e) => b.bind(e, 'conv')).join(', ')
      : 'NULL';
  const dims = plan.groupBy.map((_, i) => `d${i}`);
  const visit = `SELECT ${[...dims, 'min(t) AS start', 'max(CASE WHEN conv THEN 1 ELSE 0 END) AS converted'].join(', ')}`;
  // Events with a session id are grouped by it directly; only the others are ordered in time, per
  // person, to cut visits at gaps.
  const sql = `WITH ev AS (
      SELECT ${[...sc.dims, `${sc.time} AS t`, `${d.localDate(sc.time, tz)} AS day`, 'coalesce(s.customer_id, s.anonymous_id) AS who', 's.session_id AS sid', `(s.name IN (${conversions})) AS conv`].join(', ')}
      FROM ${sc.from} WHERE ${sc.where}
    ), visits AS (
      ${visit} FROM ev WHERE sid IS NOT NULL GROUP BY ${[...dims, 'sid', 'day'].join(', ')}
      UNION ALL
      ${visit} FROM (
        SELECT *, sum(starts) OVER (PARTITION BY who, day ORDER BY t ROWS UNBOUNDED PRECEDING) AS n
        FROM (
          SELECT *, CASE WHEN prev IS NULL OR ${d.secondsBetween('prev', 't')} > ${gap} THEN 1 ELSE 0 END AS starts
          FROM (SELECT *, lag(t) OVER (PARTITION BY who, day ORDER BY t) AS prev FROM ev WHERE sid IS NULL) x
        ) y
      ) z
      GROUP BY ${[...dims, 'who', 'day', 'n'].join(', ')}
    )
    SELECT ${[...dims, ...(plan.grain ? [`${d.bucket('start', plan.grain, tz)} AS period`] : []), 'count(*) AS n', `${d.countIf('converted = 1')} AS k`].join(', ')}
    FROM visits
    ${dims.length > 0 || plan.grain ? `GROUP BY ${[...dims, ...(plan.grain ? ['period'] : [])].join(', ')}` : ''}`;
  return { sql, params: b.values };
}

/**
 * Customer flow per period: each customer's acquisition (acquiredAt, else first subscription or
 * completed order) and loss (churnedAt, else the end of its last subscription once all have ended),
 * crossed with the periods' [start, end) instants: S at the start, lost during, E at the end, N new
 * and still active at the end, J joined and lost within.
 */
export function lifecycleSql(plan: QueryPlan, m: MetricPlan, d: Dialect, range: Range) {
  const b = new Binder(d);
  const tz = b.zone(plan.timezone, range);
  const bound = instantOf(plan, d, b, tz);
  const from = bound(range.from);
  const to = bound(range.to);
  const periods = periodsSql(plan, d, from, to, tz);
  const { dims, filters } = dimensionsSql(plan, m, d, b, tz);
  const at = (x: string) => `acq < ${x} AND (lost IS NULL OR lost >= ${x})`;
  const sql = `WITH life AS (
      SELECT * FROM (${customerLifeSql(m, d, b, plan.projectId)}) s
      ${filters.length > 0 ? `WHERE ${filters.join(' AND ')}` : ''}
    ), periods AS (${periods})
    SELECT ${[...dims, ...(plan.grain ? ['period'] : [])].join(', ')}${dims.length > 0 || plan.grain ? ',' : ''}
      ${d.countIf(at('b0'))} AS n,
      ${d.countIf(`${at('b0')} AND lost < b1`)} AS lost,
      ${d.countIf(at('b1'))} AS ending,
      ${d.countIf(`acq >= b0 AND acq < b1 AND (lost IS NULL OR lost >= b1)`)} AS joined,
      ${d.countIf(`acq >= b0 AND acq < b1 AND lost < b1`)} AS joined_lost
    FROM life s CROSS JOIN periods
    ${dims.length > 0 || plan.grain ? `GROUP BY ${[...plan.groupBy.map((_, i) => `d${i}`), ...(plan.grain ? ['period'] : [])].join(', ')}` : ''}`;
  return { sql, params: b.values };
}

/**
 * One row per customer of the project with its acquisition (`acq`: acquiredAt, else its first
 * subscription or completed order), its loss (`lost`: churnedAt, else the end of its last subscription
 * once all have ended), its first completed order and — for metrics with a `valueEvent` parameter —
 * its first value event (`first_value`: the first completed order, or the first event of that name).
 */
function customerLifeSql(m: MetricPlan, d: Dialect, b: Binder, projectId: string): string {
  const project = b.bind(projectId, 'project');
  const t = (k: 'customer' | 'subscription' | 'order' | 'event') => d.ident(KINDS[k].table);
  const valueEvent = m.params.valueEvent;
  const firstEvent =
    valueEvent !== undefined && valueEvent !== 'order'
      ? `LEFT JOIN (SELECT customer_id, min(ts) AS first_event FROM ${t('event')}
          WHERE project_id = ${project} AND name = ${b.bind(valueEvent, 'event')} GROUP BY customer_id) ev
          ON ev.customer_id = s.id`
      : '';
  return `SELECT s.*, coalesce(s.acquired_at, sub.first_start, ord.first_order) AS acq,
      coalesce(s.churned_at, CASE WHEN sub.open_subs = 0 THEN sub.last_end END) AS lost,
      ord.first_order, ${firstEvent ? 'ev.first_event' : 'ord.first_order'} AS first_value
    FROM ${t('customer')} s
    LEFT JOIN (SELECT customer_id, min(started_at) AS first_start, max(ended_at) AS last_end,
        ${d.countIf('ended_at IS NULL')} AS open_subs
      FROM ${t('subscription')} WHERE project_id = ${project} GROUP BY customer_id) sub ON sub.customer_id = s.id
    LEFT JOIN (SELECT customer_id, min(ts) AS first_order FROM ${t('order')}
      WHERE project_id = ${project} AND status = 'completed' GROUP BY customer_id) ord ON ord.customer_id = s.id
    ${firstEvent}
    WHERE s.project_id = ${project}`;
}

/**
 * Acquisition cohorts: per dimension values, cohort (the bucket of `acq`, or — without grain — every
 * customer acquired in the range, each from its own acquisition month) and offset k, the customers
 * whose k-th following bucket has begun by now (`n`) and those not lost before it began (`kept`).
 */
export function cohortSql(plan: QueryPlan, m: MetricPlan, d: Dialect, range: Range, maxOffset: number) {
  const b = new Binder(d);
  const sc = scope(plan, m, d, b, range);
  const tz = b.zone(plan.timezone, range);
  const grain = plan.grain ?? 'month';
  const ks = b.bind(JSON.stringify(Array.from({ length: maxOffset + 1 }, (_, k) => ({ k }))), 'ks');
  const now = d.instant(b.bind(m.now, 'now'));
  const dims = plan.groupBy.map((_, i) => `d${i}`);
  const cohorts = plan.grain ? ['cohort'] : [];
  const begins = d.localToInstant(d.addBuckets('cohort', grain, 'ks.k'), tz);
  const sql = `SELECT ${[...dims, ...cohorts.map((c) => `${c} AS period`), 'ks.k AS k', 'count(*) AS n', `${d.countIf(`lost IS NULL OR lost >= ${begins}`)} AS kept`].join(', ')}
    FROM (
      SELECT ${[...sc.dims, `${d.bucket(sc.time, grain, tz)} AS cohort`, 's.lost AS lost'].join(', ')}
      FROM ${sc.from} WHERE ${sc.where}
    ) c CROSS JOIN ${d.jsonRows(ks, ['k'])} ks
    WHERE ${begins} <= ${now}
    GROUP BY ${[...dims, ...cohorts, 'ks.k'].join(', ')}`;
  return { sql, params: b.values };
}

/**
 * Adoption: per group, the distinct people for whom `hit` holds (`k`) and — ignoring the dimension
 * `over` in grouping and filters — the distinct people in scope (`n`), e.g. each feature's users
 * among all active users.
 */
export function adoptionSql(plan: QueryPlan, m: MetricPlan, d: Dialect, range: Range) {
  const measure = m.def.measure;
  if (measure.type !== 'adoption') throw new Error('adoptionSql needs an adoption metric');
  const b = new Binder(d);
  const { [measure.over]: overFilter, ...otherFilters } = plan.filters;
  const sc = scope({ ...plan, filters: otherFilters }, m, d, b, range);
  const person = compileExpr(measure.person, d, b, m);
  const hit = [
    compileExpr(measure.hit, d, b, m),
    ...(overFilter
      ? dimensionsSql(plan, m, d, b, b.zone(plan.timezone, range), { [measure.over]: overFilter }).filters
      : []),
  ];
  const g = grouping(plan, sc.dims, sc.period);
  const shared = g.names.filter((_, i) => plan.groupBy[i] !== measure.over);
  const sameKeys = shared.map((k) => `hits.${k} IS NOT DISTINCT FROM pop.${k}`);
  const sql = `WITH ev AS (
      SELECT ${[...g.select, `${person} AS who`, `(${hit.join(' AND ')}) AS hit`].join(', ')}
      FROM ${sc.from} WHERE ${sc.where} AND ${person} IS NOT NULL
    ), hits AS (
      SELECT ${[...g.names, `${d.countDistinct('who')} AS k`].join(', ')} FROM ev WHERE hit ${g.clause}
    ), pop AS (
      SELECT ${[...shared, `${d.countDistinct('who')} AS n`].join(', ')} FROM ev
      ${shared.length > 0 ? `GROUP BY ${shared.join(', ')}` : ''}
    )
    SELECT ${[...g.names.map((k) => `hits.${k}`), 'hits.k', 'pop.n'].join(', ')}
    FROM hits JOIN pop ON ${sameKeys.length > 0 ? sameKeys.join(' AND ') : d.bool(true)}`;
  return { sql, params: b.values };
}

/**
 * Answers per group and score, with the normalised score (0–100) and whether it is in the top box,
 * for distributions, composites and top-box shares.
 */
export function distributionSql(plan: QueryPlan, m: MetricPlan, d: Dialect, range: Range) {
  const measure = m.def.measure;
  if (measure.type !== 'distribution') throw new Error('distributionSql needs a distribution metric');
  const b = new Binder(d);
  const sc = scope(plan, m, d, b, range);
  const e = (x: Expr) => compileExpr(x, d, b, m);
  const g = grouping(plan, sc.dims, sc.period);
  const sql = `SELECT ${[...g.names, 'score', 'norm', 'top', 'count(*) AS cnt'].join(', ')} FROM (
      SELECT ${[...g.select, `${e(measure.score)} AS score`, `${e(measure.normalised)} AS norm`, `CASE WHEN ${e(measure.top)} THEN 1 ELSE 0 END AS top`].join(', ')}
      FROM ${sc.from} WHERE ${sc.where}
    ) x GROUP BY ${[...g.names, 'score', 'norm', 'top'].join(', ')}`;
  return { sql, params: b.values };
}

/** The steps of an event funnel from its `steps` list parameter ("A > B > C"). */
export function funnelSteps(m: MetricPlan): string[] {
  const spec = m.def.params.find((p) => p.name === 'steps')!;
  return listItems(m.params.steps!, spec.separator!);
}

/**
 * An ordered event funnel: each person's first step-0 event in the range enters them (the period is
 * that instant's); step i is reached by the first step-i event at or after step i − 1 and before the
 * entry plus `windowDays`. Returns `stage_0…` counts per group.
 */
export function eventFunnelSql(plan: QueryPlan, m: MetricPlan, d: Dialect, range: Range) {
  const measure = m.def.measure;
  if (measure.type !== 'eventFunnel') throw new Error('eventFunnelSql needs an eventFunnel metric');
  const b = new Binder(d);
  const sc = scope(plan, m, d, b, range);
  const tz = b.zone(plan.timezone, range);
  const bound = instantOf(plan, d, b, tz);
  const steps = funnelSteps(m).map((name) => b.bind(name, 'step'));
  const window = b.bind(Number(m.params.windowDays), 'window');
  const who = compileExpr(measure.person, d, b, m);
  const g = grouping(
    plan,
    plan.groupBy.map((_, i) => `f.d${i} AS d${i}`),
    plan.grain ? d.bucket('f.t0', plan.grain, tz) : null,
  );
  const later = steps.slice(1).map(
    (step, i) => `, s${i + 1} AS (
      SELECT p.who, p.t0, min(ev.ts) AS t${i + 1} FROM s${i} p JOIN ev ON ev.who = p.who AND ev.name = ${step}
        AND ev.ts >= p.t${i} AND ev.ts < ${d.addDays('p.t0', window)}
      GROUP BY p.who, p.t0
    )`,
  );
  const sql = `WITH entries AS (
      SELECT ${[...sc.dims, `${who} AS who`, `min(${sc.time}) AS t0`].join(', ')}
      FROM ${sc.from} WHERE ${sc.where} AND s.name = ${steps[0]} AND ${who} IS NOT NULL
      GROUP BY ${[...plan.groupBy.map((_, i) => `d${i}`), `${who}`].join(', ')}
    ), ev AS (
      SELECT ${who} AS who, s.name, s.ts FROM ${d.ident(KINDS.event.table)} s
      WHERE s.project_id = ${b.bind(plan.projectId, 'project')} AND s.name IN (${steps.slice(1).join(', ') || 'NULL'})
        AND s.ts >= ${bound(range.from)} AND s.ts < ${d.addDays(bound(range.to), window)}
    ), s0 AS (SELECT who, t0 FROM entries)${later.join('')}
    SELECT ${[
      ...g.select,
      ...steps.map((_, i) => `count(${i === 0 ? '*' : `s${i}.t${i}`}) AS ${d.ident(`stage_${i}`)}`),
    ].join(', ')}
    FROM entries f ${steps
      .slice(1)
      .map((_, i) => `LEFT JOIN s${i + 1} ON s${i + 1}.who = f.who`)
      .join(' ')}
    ${g.clause}`;
  return { sql, params: b.values };
}

/** The relation of a customer's interactions (`customer_id, ts, touch`) of every kind, within [from, to). */
function interactionsSql(d: Dialect, project: string, from: string, to: string): string {
  const kinds: [RecordKind, string][] = [
    [
      'event',
      "CASE WHEN feature IS NOT NULL THEN 'feature:' || feature WHEN page IS NOT NULL THEN 'page:' || page ELSE 'event:' || name END",
    ],
    ['contact', "'contact:' || coalesce(channel, '')"],
    ['order', "'order:' || coalesce(channel, '')"],
    ['social', "'social:' || platform"],
    ['survey_response', "'survey:' || survey_id"],
  ];
  return kinds
    .map(
      ([kind, touch]) => `SELECT customer_id, ts, ${touch} AS touch FROM ${d.ident(KINDS[kind].table)}
        WHERE project_id = ${project} AND customer_id IS NOT NULL AND ts >= ${from} AND ts < ${to}`,
    )
    .join('\n      UNION ALL ');
}

/**
 * Engagement per period: customers with any interaction (`n`), those fully engaged (`k`: active on
 * at least `minActiveDays` days per 30, across at least `minDepth` distinct touchpoints, and active in
 * the last `recentDays` days), and the means of interactions, active days, depth and recency.
 */
export function engagementSql(plan: QueryPlan, m: MetricPlan, d: Dialect, range: Range) {
  const b = new Binder(d);
  const tz = b.zone(plan.timezone, range);
  const project = b.bind(plan.projectId, 'project');
  const bound = instantOf(plan, d, b, tz);
  const from = bound(range.from);
  const to = bound(range.to);
  const p = (name: string) => b.bind(Number(m.params[name]), 'p');
  const { dims, filters } = dimensionsSql(plan, m, d, b, tz);
  const g = grouping(plan, dims, plan.grain ? 's.period' : null);
  const full = `s.active_days * 30 * 86400 >= ${p('minActiveDays')} * ${d.secondsBetween('s.b0', 's.b1')}
      AND s.depth >= ${p('minDepth')} AND s.last_at >= ${d.addDays('s.b1', `-${p('recentDays')}`)}`;
  const sql = `WITH periods AS (${periodsSql(plan, d, from, to, tz)}),
    touches AS (${interactionsSql(d, project, from, to)}),
    per AS (
      SELECT t.customer_id, ${plan.grain ? d.bucket('t.ts', plan.grain, tz) : 'NULL'} AS period, count(*) AS interactions,
        ${d.countDistinct(d.localDate('t.ts', tz))} AS active_days,
        ${d.countDistinct('t.touch')} AS depth, max(t.ts) AS last_at
      FROM touches t
      GROUP BY 1, 2
    )
    SELECT ${[
      ...g.select,
      'count(*) AS n',
      `${d.countIf(full)} AS k`,
      'avg(s.interactions) AS interactions',
      'avg(s.active_days) AS active_days',
      'avg(s.depth) AS depth',
      `avg(${d.secondsBetween('s.last_at', 's.b1')}) / 86400 AS recency_days`,
    ].join(',\n      ')}
    FROM (SELECT per.*, p.b0, p.b1 FROM per JOIN periods p ON ${
      // Periods are joined to each customer's summary, not to every interaction.
      plan.grain ? 'p.period = per.period' : d.bool(true)
    }) s
    LEFT JOIN ${d.ident(KINDS.customer.table)} c ON c.project_id = ${project} AND c.id = s.customer_id
    ${filters.length > 0 ? `WHERE ${filters.join(' AND ')}` : ''}
    ${g.clause}`;
  return { sql, params: b.values };
}

/**
 * Health per customer and period: every customer active at the period's end (one customer with
 * `customerId`), scored on 0–100 from components on 0–1 over the `windowDays` before it — usage (active
 * days ÷ (window × usageTarget)), adoption (features ÷ featureTarget), feedback (mean NPS/CSAT answer on
 * 0–1, neutral 0.5 without one), support (1 ÷ (1 + open contacts)), payment (0 after a refund in the
 * window), recency (1 − days since the last product event ÷ window) — weighted by the segment's weights.
 * The CTEs end in `y`: the dimensions `d0…`, `id`, `segment`, `lost`, `period`, `b1`, each component, each
 * component's weight `w_<component>` and `score`.
 */
function healthRelation(
  plan: QueryPlan,
  m: MetricPlan,
  d: Dialect,
  b: Binder,
  range: Range,
  customerId?: string,
) {
  const tz = b.zone(plan.timezone, range);
  const bound = instantOf(plan, d, b, tz);
  const p = (name: string) => b.bind(Number(m.params[name]), 'p');
  const window = p('windowDays');
  const { dims, filters } = dimensionsSql(plan, m, d, b, tz);
  const customer = customerId === undefined ? null : b.bind(customerId, 'customer');
  if (customer) filters.push(`s.id = ${customer}`);
  const t = (k: RecordKind) => d.ident(KINDS[k].table);
  const since = d.addDays('p.b1', `-${window}`);
  // Every period ends within (from, to], so every window lies within [from − window, to): bounding the
  // records by it before they are joined to the periods leaves the older ones out. Each component is
  // taken per customer and period from the records and the periods alone (a handful of rows), not
  // from every customer's periods; the customers scored pick theirs when the components are joined.
  const [lo, hi] = [bound(range.from), bound(range.to)];
  const within = (ts: string) => `${ts} >= ${d.addDays(lo, `-${window}`)} AND ${ts} < ${hi}`;
  const project = b.bind(plan.projectId, 'project');
  const own = (alias: string) =>
    `${alias}.project_id = ${project} AND ${alias}.customer_id ${customer ? `= ${customer}` : 'IS NOT NULL'}`;
  // Product events rolled up per customer and local day (and hour, for hourly periods), keeping the
  // latest: no such group straddles a period's end, which is a local midnight (or hour) or `to`, and
  // only the first day of a window can straddle its start, `b1 − window` (not a local midnight across a
  // change of daylight saving time), so the day had an event within the window exactly when its
  // latest is within it. The same holds per feature. Days are then counted without a distinct count.
  const hourly = plan.grain === 'hour';
  const day = d.localDate('e.ts', tz);
  const rollup = (key: string[]) => `SELECT ${[...key, 'max(e.ts) AS last_at'].join(', ')}
      FROM ${t('event')} e WHERE ${own('e')} AND ${within('e.ts')}${
        key.includes('e.feature') ? ' AND e.feature IS NOT NULL' : ''
      }
      GROUP BY ${key.map((_, i) => i + 1).join(', ')}`;
  const groupKey = [
    'e.customer_id',
    `${day} AS day`,
    ...(hourly ? [`${d.bucket('e.ts', 'hour', tz)} AS hr`] : []),
  ];
  const inWindow = (r: string) => `${r}.last_at >= ${since} AND ${r}.last_at < p.b1`;
  const segments = Object.keys(plan.healthWeights).filter((s) => s !== 'default');
  const weight = (c: HealthComponent) =>
    segments.length === 0
      ? b.bind(plan.healthWeights.default![c], 'w')
      : `CASE ${segments.map((s) => `WHEN x.segment = ${b.bind(s, 'seg')} THEN ${b.bind(plan.healthWeights[s]![c], 'w')}`).join(' ')} ELSE ${b.bind(plan.healthWeights.default![c], 'w')} END`;
  const components = Object.keys(HEALTH_COMPONENTS) as HealthComponent[];
  const ctes = `periods AS (${periodsSql(plan, d, lo, hi, tz)}),
    cp AS (
      SELECT ${[...dims, 's.project_id', 's.id', 's.segment', 's.lost', 'p.period', 'p.b1'].join(', ')}
      FROM (${customerLifeSql(m, d, b, plan.projectId)}) s CROSS JOIN periods p
      WHERE s.acq < p.b1 AND (s.lost IS NULL OR s.lost >= p.b1)${filters.length > 0 ? ` AND ${filters.join(' AND ')}` : ''}
    ), days AS (${rollup(groupKey)}
    ), uses AS (${rollup([...groupKey, 'e.feature'])}
    ), ev AS (
      SELECT a.customer_id AS id, p.period, ${hourly ? 'count(DISTINCT a.day)' : 'count(*)'} AS days, max(a.last_at) AS last_at
      FROM periods p JOIN days a ON ${inWindow('a')}
      GROUP BY 1, 2
    ), ft AS (
      SELECT id, period, count(*) AS features FROM (
        SELECT DISTINCT u.customer_id AS id, p.period, u.feature FROM periods p JOIN uses u ON ${inWindow('u')}
      ) f GROUP BY 1, 2
    ), fb AS (
      SELECT r.customer_id AS id, p.period, avg((r.score - r.scale_min) / (r.scale_max - r.scale_min)) AS feedback
      FROM periods p JOIN ${t('survey_response')} r ON ${own('r')} AND ${within('r.ts')} AND r.ts >= ${since} AND r.ts < p.b1
        AND r.metric IN ('nps', 'csat') AND r.score IS NOT NULL AND r.scale_max > r.scale_min
      GROUP BY 1, 2
    ), op AS (
      SELECT k.customer_id AS id, p.period, count(*) AS open
      FROM periods p JOIN ${t('contact')} k ON ${own('k')} AND k.ts < ${hi} AND (k.resolved_at IS NULL OR k.resolved_at >= ${lo})
        AND k.ts < p.b1 AND (k.resolved_at IS NULL OR k.resolved_at >= p.b1)
        AND (k.abandoned IS NULL OR NOT k.abandoned)
      GROUP BY 1, 2
    ), pay AS (
      SELECT o.customer_id AS id, p.period, count(*) AS refunds
      FROM periods p JOIN ${t('order')} o ON ${own('o')} AND ${within('o.ts')} AND o.ts >= ${since} AND o.ts < p.b1
        AND o.status = 'refunded'
      GROUP BY 1, 2
    ), x AS (
      SELECT cp.*,
        least(1.0, coalesce(ev.days, 0) / (${window} * ${p('usageTarget')})) AS usage,
        least(1.0, coalesce(ft.features, 0) / ${p('featureTarget')}) AS adoption,
        coalesce(fb.feedback, 0.5) AS feedback,
        1.0 / (1 + coalesce(op.open, 0)) AS support,
        CASE WHEN coalesce(pay.refunds, 0) > 0 THEN 0.0 ELSE 1.0 END AS payment,
        CASE WHEN ev.last_at IS NULL THEN 0.0
          ELSE greatest(0.0, 1 - ${d.secondsBetween('ev.last_at', 'cp.b1')} / (86400 * ${window})) END AS recency
      FROM cp
      LEFT JOIN ev ON ev.id = cp.id AND ev.period IS NOT DISTINCT FROM cp.period
      LEFT JOIN ft ON ft.id = cp.id AND ft.period IS NOT DISTINCT FROM cp.period
      LEFT JOIN fb ON fb.id = cp.id AND fb.period IS NOT DISTINCT FROM cp.period
      LEFT JOIN op ON op.id = cp.id AND op.period IS NOT DISTINCT FROM cp.period
      LEFT JOIN pay ON pay.id = cp.id AND pay.period IS NOT DISTINCT FROM cp.period
    ), xw AS (SELECT x.*, ${components.map((c) => `${weight(c)} AS w_${c}`).join(', ')} FROM x),
    y AS (SELECT xw.*, 100 * (${components.map((c) => `w_${c} * ${c}`).join(' + ')}) AS score FROM xw)`;
  return { ctes, components };
}

/** Health per period: count, mean and variance of the customers' scores, the bands and each component's mean. */
export function healthSql(plan: QueryPlan, m: MetricPlan, d: Dialect, range: Range) {
  const b = new Binder(d);
  const { ctes, components } = healthRelation(plan, m, d, b, range);
  const g = grouping(
    plan,
    plan.groupBy.map((_, i) => `y.d${i} AS d${i}`),
    plan.grain ? 'y.period' : null,
  );
  const sql = `WITH ${ctes}
    SELECT ${[
      ...g.select,
      'count(*) AS n',
      'avg(y.score) AS mean',
      `${d.varSamp('y.score')} AS variance`,
      `${d.countIf('y.score < 50')} AS red`,
      `${d.countIf('y.score >= 50 AND y.score <= 75')} AS yellow`,
      `${d.countIf('y.score > 75')} AS green`,
      ...components.map((c) => `100 * avg(y.${c}) AS ${d.ident(`part_${c}`)}`),
    ].join(',\n      ')}
    FROM y
    ${g.clause}`;
  return { sql, params: b.values };
}

/**
 * Each customer's health per period (of one customer with `customerId`): `customer_id`, `segment`,
 * `period`, `score`, per component its value and weight, and `lost_after`, the seconds from the
 * period's end to the customer's loss (null while not lost); ordered by customer and period.
 */
export function healthCustomersSql(
  plan: QueryPlan,
  m: MetricPlan,
  d: Dialect,
  range: Range,
  customerId?: string,
) {
  const b = new Binder(d);
  const { ctes, components } = healthRelation(plan, m, d, b, range, customerId);
  const sql = `WITH ${ctes}
    SELECT ${[
      'y.id AS customer_id',
      'y.segment',
      'y.period',
      'y.score',
      ...components.flatMap((c) => [`y.${c}`, `y.w_${c}`]),
      `${d.secondsBetween('y.b1', 'y.lost')} AS lost_after`,
    ].join(', ')}
    FROM y ORDER BY y.id, y.period`;
  return { sql, params: b.values };
}

/** A band of a score metric's values: `from` included, `to` excluded (null: no upper edge). */
export interface ScoreBand {
  readonly from: number;
  readonly to: number | null;
}

/** FROM … WHERE … of the stored scores of a score metric's model in scope, optionally within a band. */
function scoredScope(plan: QueryPlan, m: MetricPlan, d: Dialect, b: Binder, range: Range, band?: ScoreBand) {
  const measure = m.def.measure;
  if (measure.type !== 'score') throw new Error('a score metric is needed');
  const tz = b.zone(plan.timezone, range);
  const bound = instantOf(plan, d, b, tz);
  const { dims, filters } = dimensionsSql(plan, m, d, b, tz);
  const value = `sc.value * ${b.bind(measure.scale ?? 1, 'scale')}`;
  const inBand = band
    ? [
        `${value} >= ${b.bind(band.from, 'band')}`,
        ...(band.to === null ? [] : [`${value} < ${b.bind(band.to, 'band')}`]),
      ]
    : [];
  return {
    tz,
    dims,
    value,
    from: `customer_scores sc
    JOIN ${d.ident(KINDS.customer.table)} s ON s.project_id = sc.project_id AND s.id = sc.customer_id`,
    where: [
      `sc.project_id = ${b.bind(plan.projectId, 'project')}`,
      `sc.model = ${b.bind(measure.score, 'score')}`,
      'sc.value IS NOT NULL',
      `sc.fitted_at >= ${bound(range.from)}`,
      `sc.fitted_at < ${bound(range.to)}`,
      ...filters,
      ...inBand,
    ].join(' AND '),
  };
}

/**
 * The customers behind a score metric's answer — those whose stored score of its model falls in the
 * range (and the band) — highest score first, with the count of all of them.
 */
export function scoredRecordsSql(
  plan: QueryPlan,
  m: MetricPlan,
  d: Dialect,
  range: Range,
  limit: number,
  band?: ScoreBand,
) {
  const b = new Binder(d);
  const sc = scoredScope(plan, m, d, b, range, band);
  const sql = `SELECT t.*, (SELECT count(*) FROM ${sc.from} WHERE ${sc.where}) AS _total
  FROM (SELECT s.*, ${sc.value} AS _score FROM ${sc.from} WHERE ${sc.where}
    ORDER BY _score DESC, s.id LIMIT ${b.bind(limit, 'limit')}) t
  ORDER BY t._score DESC, t.id`;
  return { sql, params: b.values };
}

/**
 * Stored model scores (`customer_scores`) of the customers in scope, placed at their fit's date: the
 * latest fit's value per customer, its count, mean and variance per dimension values and period, and
 * the customers in each of the measure's bands (`bin_0…`).
 */
export function scoreSql(plan: QueryPlan, m: MetricPlan, d: Dialect, range: Range) {
  const measure = m.def.measure;
  if (measure.type !== 'score') throw new Error('scoreSql needs a score metric');
  const b = new Binder(d);
  const sc = scoredScope(plan, m, d, b, range);
  const g = grouping(plan, sc.dims, plan.grain ? d.bucket('sc.fitted_at', plan.grain, sc.tz) : null);
  const edges = (measure.bins ?? []).map((e) => b.bind(e, 'edge'));
  const bins = edges.map((lo, i) => {
    const hi = edges[i + 1];
    return `${d.countIf(hi ? `${sc.value} >= ${lo} AND ${sc.value} < ${hi}` : `${sc.value} >= ${lo}`)} AS bin_${i}`;
  });
  const sql = `SELECT ${[...g.select, 'count(*) AS n', `avg(${sc.value}) AS mean`, `${d.varSamp(sc.value)} AS variance`, ...bins].join(', ')}
    FROM ${sc.from}
    WHERE ${sc.where}
    ${g.clause}`;
  return { sql, params: b.values };
}

/**
 * Recurring revenue per period, customer by customer: each customer's MRR at the period's start (m0)
 * and end (m1) from the subscriptions active then. Customers with m0 > 0 (`n`, `start_mrr`) either
 * leave (`churned_mrr` = m0), shrink (`contraction_mrr`), grow (`expansion_mrr`) or stay; customers with
 * no MRR at the start and some at the end bring `new_mrr`. An upgrade recorded as one subscription
 * ending and another starting is expansion, not churn.
 */
export function revenueFlowSql(plan: QueryPlan, m: MetricPlan, d: Dialect, range: Range) {
  const measure = m.def.measure;
  if (measure.type !== 'revenueFlow') throw new Error('revenueFlowSql needs a revenueFlow metric');
  const b = new Binder(d);
  const sc = scope(plan, m, d, b, { from: '1900-01-01', to: range.to });
  const tz = b.zone(plan.timezone, range);
  const bound = instantOf(plan, d, b, tz);
  const mrr = `coalesce(${compileExpr(measure.mrr, d, b, m)}, 0)`;
  const started = compileExpr(measure.started, d, b, m);
  const ended = compileExpr(measure.ended, d, b, m);
  const activeAt = (at: string) => `${started} < ${at} AND (${ended} IS NULL OR ${ended} >= ${at})`;
  const keys = [...plan.groupBy.map((_, i) => `d${i}`), ...(plan.grain ? ['period'] : [])];
  const inner = grouping(plan, sc.dims, plan.grain ? 'periods.period' : null);
  const sum = (cond: string, v: string) => `sum(CASE WHEN ${cond} THEN ${v} ELSE 0 END)`;
  const sql = `SELECT ${[
    ...keys,
    `${d.countIf('m0 > 0')} AS n`,
    'sum(m0) AS start_mrr',
    `${sum('m0 > 0 AND m1 = 0', 'm0')} AS churned_mrr`,
    `${sum('m0 > 0 AND m1 > 0 AND m1 < m0', 'm0 - m1')} AS contraction_mrr`,
    `${sum('m0 > 0 AND m1 > m0', 'm1 - m0')} AS expansion_mrr`,
    `${sum('m0 = 0 AND m1 > 0', 'm1')} AS new_mrr`,
  ].join(', ')}
    FROM (
      SELECT ${[
        ...inner.select,
        's.customer_id',
        `coalesce(${d.sumIf(mrr, activeAt('periods.b0'))}, 0) AS m0`,
        `coalesce(${d.sumIf(mrr, activeAt('periods.b1'))}, 0) AS m1`,
      ].join(', ')}
      FROM ${sc.from} CROSS JOIN (${periodsSql(plan, d, bound(range.from), bound(range.to), tz)}) periods
      WHERE ${sc.where}
      GROUP BY ${[...inner.names, 's.customer_id'].join(', ')}
    ) x
    ${keys.length > 0 ? `GROUP BY ${keys.join(', ')}` : ''}`;
  return { sql, params: b.values };
}

/** Every bucket start of the plan's grain in the range, as a query (or null without grain). */
export function bucketsSql(plan: QueryPlan, d: Dialect, range: Range) {
  if (!plan.grain) return null;
  const b = new Binder(d);
  const tz = b.zone(plan.timezone, range);
  const bound = instantOf(plan, d, b, tz);
  const sql = `SELECT ${d.periodText('period')} AS period FROM ${d.bucketSeries(bound(range.from), bound(range.to), plan.grain, tz)} ORDER BY 1`;
  return { sql, params: b.values };
}

/** A compiled query whose `period` column (when the plan has a grain) is returned as text. */
export function periodAsText<Q extends { sql: string }>(plan: QueryPlan, d: Dialect, q: Q): Q {
  return plan.grain
    ? { ...q, sql: `SELECT * REPLACE (${d.periodText('period')} AS period) FROM (${q.sql}) q` }
    : q;
}

export type { MetricDefinition };
