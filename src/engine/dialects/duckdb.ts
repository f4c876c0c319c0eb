/**
 * @module engine/dialects/duckdb
 * The DuckDB dialect. Time zones go through ICU: `timezone(tz, instant)` gives the local time and
 * `timezone(tz, local)` the instant (https://duckdb.org/docs/sql/functions/timestamptz).
 */
import type { Dialect } from '../dialect.ts';

export const duckdbDialect: Dialect = {
  name: 'duckdb',
  ident: (name) => `"${name.replaceAll('"', '""')}"`,
  param: (name) => `$${name}`,
  bucket: (ts, grain, tz) => `strftime(date_trunc('${grain}', timezone(${tz}, ${ts})), '%Y-%m-%d %H:%M:%S')`,
  localPart: (ts, part, tz) => `CAST(date_part('${part}', timezone(${tz}, ${ts})) AS INTEGER)`,
  localToInstant: (local, tz) => `timezone(${tz}, CAST(${local} AS TIMESTAMP))`,
  instant: (text) => `CAST(${text} AS TIMESTAMPTZ)`,
  countDistinct: (expr) => `count(DISTINCT ${expr})`,
  countIf: (cond) => `count(*) FILTER (WHERE ${cond})`,
  secondsBetween: (from, to) => `(epoch(${to}) - epoch(${from}))`,
  addDays: (ts, days) => `(${ts} + to_days(CAST(${days} AS INTEGER)))`,
  bool: (value) => (value ? 'true' : 'false'),
  varSamp: (expr) => `var_samp(${expr})`,
  // Hourly steps cover every local bucket of any grain, across daylight-saving changes.
  bucketSeries: (from, to, grain, tz) =>
    `(SELECT DISTINCT strftime(date_trunc('${grain}', timezone(${tz}, g)), '%Y-%m-%d %H:%M:%S') AS period
      FROM generate_series(${from}, ${to} - INTERVAL 1 MICROSECOND, INTERVAL 1 HOUR) AS s(g))`,
  jsonRows: (param, columns) =>
    `(SELECT unnest(from_json(${param}, '${JSON.stringify([Object.fromEntries(columns.map((c) => [c, 'BIGINT']))])}'), recursive := true))`,
};
