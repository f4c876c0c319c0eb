/**
 * @module engine/dialects/duckdb
 * The DuckDB dialect. Time zones go through ICU: `timezone(tz, instant)` gives the local time and
 * `timezone(tz, local)` the instant (https://duckdb.org/docs/sql/functions/timestamptz). Inside the
 * query's window of known offsets, the local time of a row is its epoch plus the offset instead: an
 * ICU lookup per row costs several times the rest of a monthly count over millions of records.
 */
import type { Dialect, Grain, Zone } from '../dialect.ts';

const int = (param: string) => `CAST(${param} AS BIGINT)`;

/** The local time (TIMESTAMP) of instant `ts` in zone `tz`. */
function local(ts: string, tz: Zone): string {
  if (tz.spans.length === 0) return `timezone(${tz.name}, ${ts})`;
  const e = `epoch_us(${ts})`;
  const offset = `CASE ${tz.spans.map((s) => `WHEN ${e} < ${int(s.until)} THEN ${int(s.offset)}`).join(' ')} END`;
  return `(CASE WHEN ${e} >= ${int(tz.start)} AND ${e} < ${int(tz.end)} THEN make_timestamp(${e} + ${offset}) ELSE timezone(${tz.name}, ${ts}) END)`;
}

/** One bucket of each grain as an interval constructor and a multiple. */
const BUCKET_STEP: Record<Grain, [string, number]> = {
  hour: ['to_hours', 1],
  day: ['to_days', 1],
  week: ['to_days', 7],
  month: ['to_months', 1],
  quarter: ['to_months', 3],
  year: ['to_years', 1],
};

export const duckdbDialect: Dialect = {
  name: 'duckdb',
  ident: (name) => `"${name.replaceAll('"', '""')}"`,
  param: (name) => `$${name}`,
  // Buckets stay timestamps until the result: formatting every row costs more than the zone.
  bucket: (ts, grain, tz) => `date_trunc('${grain}', ${local(ts, tz)})`,
  periodText: (period) => `strftime(${period}, '%Y-%m-%d %H:%M:%S')`,
  localDate: (ts, tz) => `CAST(${local(ts, tz)} AS DATE)`,
  localPart: (ts, part, tz) => `CAST(date_part('${part}', ${local(ts, tz)}) AS INTEGER)`,
  localToInstant: (text, tz) => `timezone(${tz.name}, CAST(${text} AS TIMESTAMP))`,
  instant: (text) => `CAST(${text} AS TIMESTAMPTZ)`,
  countDistinct: (expr) => `count(DISTINCT ${expr})`,
  countIf: (cond) => `count(*) FILTER (WHERE ${cond})`,
  secondsBetween: (from, to) => `(epoch(${to}) - epoch(${from}))`,
  dayNumber: (ts) => `CAST(floor(epoch(${ts}) / 86400) AS BIGINT)`,
  unnestRange: (from, to) => `unnest(generate_series(${from}, ${to}))`,
  addDays: (ts, days) => `(${ts} + to_days(CAST(${days} AS INTEGER)))`,
  bool: (value) => (value ? 'true' : 'false'),
  varSamp: (expr) => `var_samp(${expr})`,
  sumIf: (expr, cond) => `sum(${expr}) FILTER (WHERE ${cond})`,
  addBuckets: (local, grain, k) => {
    const [unit, times] = BUCKET_STEP[grain];
    return `(CAST(${local} AS TIMESTAMP) + ${unit}(CAST(${times} * ${k} AS INTEGER)))`;
  },
  // Hourly steps cover every local bucket of any grain, across daylight-saving changes.
  bucketSeries: (from, to, grain, tz) =>
    `(SELECT DISTINCT date_trunc('${grain}', timezone(${tz.name}, g)) AS period
      FROM generate_series(${from}, ${to} - INTERVAL 1 MICROSECOND, INTERVAL 1 HOUR) AS s(g))`,
  // Each local day the interval touches, overlapped with that weekday's opening spans.
  businessSeconds: (from, to, tz, spans, holidays) => {
    const l0 = local(from, tz);
    const l1 = local(to, tz);
    return `(SELECT coalesce(sum(greatest(0, least(epoch(${l1}) - epoch(g.day), sp.close) - greatest(epoch(${l0}) - epoch(g.day), sp.open))), 0)
      FROM (SELECT unnest(generate_series(date_trunc('day', ${l0}), date_trunc('day', ${l1}), INTERVAL 1 DAY)) AS day) g
      JOIN ${spans} sp ON sp.dow = isodow(g.day)
      WHERE CAST(strftime(g.day, '%Y%m%d') AS BIGINT) NOT IN (SELECT day FROM ${holidays} h))`;
  },
  jsonRows: (param, columns) =>
    `(SELECT unnest(from_json(${param}, '${JSON.stringify([Object.fromEntries(columns.map((c) => [c, 'BIGINT']))])}'), recursive := true))`,
};
