/**
 * @module engine/dialects/duckdb
 * The DuckDB dialect. Time zones go through ICU: `timezone(tz, instant)` gives the local time and
 * `timezone(tz, local)` the instant (https://duckdb.org/docs/sql/functions/timestamptz).
 */
import type { Dialect, Grain } from '../dialect.ts';

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
  bucket: (ts, grain, tz) => `strftime(date_trunc('${grain}', timezone(${tz}, ${ts})), '%Y-%m-%d %H:%M:%S')`,
  localDate: (ts, tz) => `CAST(timezone(${tz}, ${ts}) AS DATE)`,
  localPart: (ts, part, tz) => `CAST(date_part('${part}', timezone(${tz}, ${ts})) AS INTEGER)`,
  localToInstant: (local, tz) => `timezone(${tz}, CAST(${local} AS TIMESTAMP))`,
  instant: (text) => `CAST(${text} AS TIMESTAMPTZ)`,
  countDistinct: (expr) => `count(DISTINCT ${expr})`,
  countIf: (cond) => `count(*) FILTER (WHERE ${cond})`,
  secondsBetween: (from, to) => `(epoch(${to}) - epoch(${from}))`,
  addDays: (ts, days) => `(${ts} + to_days(CAST(${days} AS INTEGER)))`,
  bool: (value) => (value ? 'true' : 'false'),
  varSamp: (expr) => `var_samp(${expr})`,
  sumIf: (expr, cond) => `sum(${expr}) FILTER (WHERE ${cond})`,
  addBuckets: (local, grain, k) => {
    const [unit, times] = BUCKET_STEP[grain];
    return `strftime(CAST(${local} AS TIMESTAMP) + ${unit}(CAST(${times} * ${k} AS INTEGER)), '%Y-%m-%d %H:%M:%S')`;
  },
  // Hourly steps cover every local bucket of any grain, across daylight-saving changes.
  bucketSeries: (from, to, grain, tz) =>
    `(SELECT DISTINCT strftime(date_trunc('${grain}', timezone(${tz}, g)), '%Y-%m-%d %H:%M:%S') AS period
      FROM generate_series(${from}, ${to} - INTERVAL 1 MICROSECOND, INTERVAL 1 HOUR) AS s(g))`,
  // Each local day the interval touches, overlapped with that weekday's opening spans.
  businessSeconds: (from, to, tz, spans, holidays) => {
    const l0 = `timezone(${tz}, ${from})`;
    const l1 = `timezone(${tz}, ${to})`;
    return `(SELECT coalesce(sum(greatest(0, least(epoch(${l1}) - epoch(g.day), sp.close) - greatest(epoch(${l0}) - epoch(g.day), sp.open))), 0)
      FROM (SELECT unnest(generate_series(date_trunc('day', ${l0}), date_trunc('day', ${l1}), INTERVAL 1 DAY)) AS day) g
      JOIN ${spans} sp ON sp.dow = isodow(g.day)
      WHERE CAST(strftime(g.day, '%Y%m%d') AS BIGINT) NOT IN (SELECT day FROM ${holidays} h))`;
  },
  jsonRows: (param, columns) =>
    `(SELECT unnest(from_json(${param}, '${JSON.stringify([Object.fromEntries(columns.map((c) => [c, 'BIGINT']))])}'), recursive := true))`,
};
