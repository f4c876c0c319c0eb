/**
 * @module engine/compile
 * Logical plan → SQL through a dialect. One aggregate query per metric (grouped by the requested
 * dimensions and time bucket), and for durations a second query that fetches exactly the order
 * statistics the quantiles and their intervals need. Values are bound, never spliced.
 */
import type { Expr } from '../metrics/expr.ts';
import type { MetricDefinition } from '../metrics/types.ts';
import { KINDS } from '../model/kinds.ts';
import type { Dialect } from './dialect.ts';
import type { MetricPlan, QueryPlan } from './plan.ts';

/** A half-open range [from, to): local dates or ISO instants, as in the query. */
export type Range = { from: string; to: string };

/** Collects bound values under generated names. */
export class Binder {
  readonly values: Record<string, string | number | boolean | null> = {};
  private next = 0;
  constructor(private readonly dialect: Dialect) {}
  bind(value: string | number | boolean | null, hint = 'v'): string {
    const name = `${hint}_${this.next++}`;
    this.values[name] = value;
    return this.dialect.param(name);
  }
}

/** The instant of a range bound: a local date at midnight in the time zone, or an ISO instant. */
function instantOf(plan: QueryPlan, d: Dialect, b: Binder, tz: string): (value: string) => string {
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

/** Compiles an expression over the source alias `s`. */
export function compileExpr(e: Expr, d: Dialect, b: Binder, metric: MetricPlan): string {
  const c = (x: Expr) => compileExpr(x, d, b, metric);
  switch (e.kind) {
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
      const days = c(e.days);
      return `EXISTS (SELECT 1 FROM ${d.ident(KINDS.contact.table)} r
        WHERE r.project_id = s.project_id AND r.customer_id = s.customer_id AND r.reason = s.reason
          AND r.ts > s.ts AND r.ts <= ${d.addDays('s.ts', days)})`;
    }
  }
}

/** FROM … WHERE … shared by a metric's queries: scope, range, filters and the metric's own records. */
function scope(plan: QueryPlan, m: MetricPlan, d: Dialect, b: Binder, range: Range) {
  const def = m.def;
  const table = d.ident(KINDS[def.source].table);
  const needsCustomer = [...plan.groupBy, ...Object.keys(plan.filters)].some(
    (dim) => m.dimensions[dim] && 'customer' in m.dimensions[dim]!,
  );
  const join = needsCustomer
    ? `LEFT JOIN ${d.ident(KINDS.customer.table)} c ON c.project_id = s.project_id AND c.id = s.customer_id`
    : '';
  const time = compileExpr(def.time, d, b, m);
  const tz = b.bind(plan.timezone, 'tz');
  const bound = instantOf(plan, d, b, tz);
  const conditions = [
    `s.project_id = ${b.bind(plan.projectId, 'project')}`,
    `${time} >= ${bound(range.from)}`,
    `${time} < ${bound(range.to)}`,
    compileExpr(def.where, d, b, m),
    ...Object.entries(plan.filters).map(
      ([dim, values]) => `${dimensionSql(m, dim, d)} IN (${values.map((v) => b.bind(v, 'f')).join(', ')})`,
    ),
  ];
  const dims = plan.groupBy.map((dim, i) => `${dimensionSql(m, dim, d)} AS d${i}`);
  const period = plan.grain ? d.bucket(time, plan.grain, tz) : null;
  return { from: `${table} s ${join}`, where: conditions.join('\n    AND '), dims, period, time };
}

export function dimensionSql(m: MetricPlan, dim: string, d: Dialect): string {
  const source = m.dimensions[dim];
  if (!source) throw new Error(`dimension ${dim} not planned for ${m.def.id}`);
  return 'own' in source ? `s.${d.ident(source.own)}` : `c.${d.ident(source.customer)}`;
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
    case 'duration': {
      const v = e(measure.value);
      aggregates.push(`count(${v}) AS n`, `avg(${v}) AS mean`, `${d.varSamp(v)} AS variance`);
      if (measure.type === 'mean')
        for (const [name, part] of Object.entries(measure.parts ?? {}))
          aggregates.push(`avg(${e(part)}) AS ${d.ident(`part_${name}`)}`);
      break;
    }
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
    case 'lifecycle':
    case 'dailyDistinct':
    case 'openAtEnd':
    case 'rollingDistinct':
    case 'ratio':
    case 'visits':
      throw new Error(`${m.def.id}: ${measure.type} metrics have their own compiler`);
  }
  const g = grouping(plan, sc.dims, sc.period);
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
  const sql = `SELECT s.*, count(*) OVER () AS _total
  FROM ${sc.from}
  WHERE ${sc.where}
  ORDER BY ${sc.time} DESC, s.id
  LIMIT ${b.bind(limit, 'limit')}`;
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
function periodsSql(plan: QueryPlan, d: Dialect, from: string, to: string, tz: string): string {
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
  const tz = b.bind(plan.timezone, 'tz');
  const g = grouping(plan, sc.dims, sc.period);
  const keys = g.select;
  const outer = g.names;
  const sql = `SELECT ${[...outer, 'sum(dc) AS total', 'count(*) AS active_days'].join(', ')} FROM (
      SELECT ${[...keys, `${d.bucket(sc.time, 'day', tz)} AS day`, `${d.countDistinct(v)} AS dc`].join(', ')}
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
  const tz = b.bind(plan.timezone, 'tz');
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
  const tz = b.bind(plan.timezone, 'tz');
  const bound = instantOf(plan, d, b, tz);
  const v = compileExpr(measure.value, d, b, m);
  const days = b.bind(measure.days, 'days');
  const g = grouping(plan, sc.dims, plan.grain ? 'periods.period' : null);
  const sql = `SELECT ${[...g.select, `${d.countDistinct(v)} AS n`].join(', ')}
    FROM ${sc.from} JOIN (${periodsSql(plan, d, bound(range.from), bound(range.to), tz)}) periods
      ON ${sc.time} < periods.b1 AND ${sc.time} >= ${d.addDays('periods.b1', `-${days}`)}
    WHERE ${sc.where}
    ${g.clause}`;
  return { sql, params: b.values };
}

/**
 * Visits and converting visits per period (of the visit's start). A visit is a `session_id`, else a
 * person's events without a gap longer than `gapMinutes`.
 */
export function visitsSql(plan: QueryPlan, m: MetricPlan, d: Dialect, range: Range) {
  const b = new Binder(d);
  const sc = scope(plan, m, d, b, range);
  const tz = b.bind(plan.timezone, 'tz');
  const gap = b.bind(Number(m.params.gapMinutes) * 60, 'gap');
  const conversions =
    plan.conversionEvents.length > 0
      ? plan.conversionEvents.map((e) => b.bind(e, 'conv')).join(', ')
      : 'NULL';
  const dims = plan.groupBy.map((_, i) => `d${i}`);
  const sql = `WITH ev AS (
      SELECT ${[...sc.dims, `${sc.time} AS t`, 'coalesce(s.customer_id, s.anonymous_id) AS who', 's.session_id AS sid', `(s.name IN (${conversions})) AS conv`].join(', ')}
      FROM ${sc.from} WHERE ${sc.where}
    ), gaps AS (
      SELECT *, CASE WHEN sid IS NULL AND (prev IS NULL OR ${d.secondsBetween('prev', 't')} > ${gap}) THEN 1 ELSE 0 END AS starts
      FROM (SELECT *, lag(t) OVER (PARTITION BY who, sid IS NULL ORDER BY t) AS prev FROM ev) x
    ), visits AS (
      SELECT ${[...dims, 'min(t) AS start', 'max(CASE WHEN conv THEN 1 ELSE 0 END) AS converted'].join(', ')}
      FROM (SELECT *, CASE WHEN sid IS NOT NULL THEN 's' || sid
          ELSE 'p' || who || '#' || CAST(sum(starts) OVER (PARTITION BY who, sid IS NULL ORDER BY t ROWS UNBOUNDED PRECEDING) AS VARCHAR) END AS visit
        FROM gaps) y
      GROUP BY ${[...dims, 'visit'].join(', ')}
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
  const tz = b.bind(plan.timezone, 'tz');
  const project = b.bind(plan.projectId, 'project');
  const bound = instantOf(plan, d, b, tz);
  const from = bound(range.from);
  const to = bound(range.to);
  const t = (k: 'customer' | 'subscription' | 'order') => d.ident(KINDS[k].table);
  const periods = periodsSql(plan, d, from, to, tz);
  const dims = plan.groupBy.map((dim, i) => `${dimensionSql(m, dim, d)} AS d${i}`);
  const filters = Object.entries(plan.filters).map(
    ([dim, values]) => `${dimensionSql(m, dim, d)} IN (${values.map((v) => b.bind(v, 'f')).join(', ')})`,
  );
  const at = (x: string) => `acq < ${x} AND (lost IS NULL OR lost >= ${x})`;
  const sql = `WITH life AS (
      SELECT s.*, coalesce(s.acquired_at, sub.first_start, ord.first_order) AS acq,
        coalesce(s.churned_at, CASE WHEN sub.open_subs = 0 THEN sub.last_end END) AS lost
      FROM ${t('customer')} s
      LEFT JOIN (SELECT customer_id, min(started_at) AS first_start, max(ended_at) AS last_end,
          ${d.countIf('ended_at IS NULL')} AS open_subs
        FROM ${t('subscription')} WHERE project_id = ${project} GROUP BY customer_id) sub ON sub.customer_id = s.id
      LEFT JOIN (SELECT customer_id, min(ts) AS first_order FROM ${t('order')}
        WHERE project_id = ${project} AND status = 'completed' GROUP BY customer_id) ord ON ord.customer_id = s.id
      WHERE s.project_id = ${project}${filters.length > 0 ? ` AND ${filters.join(' AND ')}` : ''}
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

/** Every bucket start of the plan's grain in the range, as a query (or null without grain). */
export function bucketsSql(plan: QueryPlan, d: Dialect, range: Range) {
  if (!plan.grain) return null;
  const b = new Binder(d);
  const tz = b.bind(plan.timezone, 'tz');
  const bound = instantOf(plan, d, b, tz);
  const sql = `SELECT period FROM ${d.bucketSeries(bound(range.from), bound(range.to), plan.grain, tz)} ORDER BY period`;
  return { sql, params: b.values };
}

export type { MetricDefinition };
