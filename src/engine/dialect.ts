/**
 * @module engine/dialect
 * What an engine must provide to run Polso's metric SQL: a small set of named hooks. Everything
 * engine-specific — time buckets in a time zone, conditional counts, identifier quoting, placeholders,
 * timestamp arithmetic — goes through these; the compiler writes only portable SQL around them.
 */

export type Grain = 'hour' | 'day' | 'week' | 'month' | 'quarter' | 'year';
export const GRAINS: readonly Grain[] = ['hour', 'day', 'week', 'month', 'quarter', 'year'];

/**
 * A time zone as a query binds it: its name, and its UTC offsets over a window of instants, every
 * value a bound parameter (instants and offsets in epoch microseconds). Inside the window a dialect
 * can compute local time with arithmetic; outside it, it must look the zone up by name.
 */
export interface Zone {
  readonly name: string;
  readonly start: string;
  readonly end: string;
  /** `offset` holds for instants before `until` (and from the previous span's `until`). */
  readonly spans: readonly { readonly until: string; readonly offset: string }[];
}

export interface Dialect {
  readonly name: string;
  /** Quotes an identifier. */
  ident(name: string): string;
  /** The placeholder of a named bound parameter. */
  param(name: string): string;
  /** Start of the local `grain` bucket of instant `ts` in time zone `tz`, as a local timestamp (see `periodText`). Weeks start on Monday. */
  bucket(ts: string, grain: Grain, tz: Zone): string;
  /** The local calendar date of instant `ts` in time zone `tz`, as a value to compare or count (cheaper than a day bucket). */
  localDate(ts: string, tz: Zone): string;
  /** The local hour (0–23) or ISO weekday (1 = Monday … 7) of instant `ts` in time zone `tz`, as an integer. */
  localPart(ts: string, part: 'hour' | 'isodow', tz: Zone): string;
  /** The instant of local date-time `local` (text) in time zone `tz`. */
  localToInstant(local: string, tz: Zone): string;
  /** An instant given as ISO text with offset. */
  instant(text: string): string;
  /** Exact count of distinct non-null values. */
  countDistinct(expr: string): string;
  /** Count of rows where `cond` holds. */
  countIf(cond: string): string;
  /** Seconds between two instants (may be fractional). */
  secondsBetween(from: string, to: string): string;
  /** The whole UTC days from 1970-01-01 to instant `ts`, as an integer (a partition of time into days). */
  dayNumber(ts: string): string;
  /** A select-list expression that gives one row for each integer from `from` to `to` (both included). */
  unnestRange(from: string, to: string): string;
  /** Instant `ts` plus `days` days (a number expression). */
  addDays(ts: string, days: string): string;
  /** A boolean literal. */
  bool(value: boolean): string;
  /** Sample variance aggregate. */
  varSamp(expr: string): string;
  /** A local bucket start (as `bucket` gives it) as text 'YYYY-MM-DD HH:MM:SS', for a query's result. */
  periodText(period: string): string;
  /** Every local bucket start (as `bucket`) of `grain` between two instants, as a relation with column `period`. */
  bucketSeries(from: string, to: string, grain: Grain, tz: Zone): string;
  /** Sum of `expr` over the rows where `cond` holds (null when none). */
  sumIf(expr: string, cond: string): string;
  /** The local bucket `k` (an integer expression) buckets of `grain` after local bucket start `local` (as `bucket`). */
  addBuckets(local: string, grain: Grain, k: string): string;
  /**
   * Seconds between two instants that fall inside opening hours: `spans` is a relation (dow 1–7 from
   * Monday, open, close in seconds from local midnight) and `holidays` one of `day` (YYYYMMDD), both
   * in time zone `tz`.
   */
  businessSeconds(from: string, to: string, tz: Zone, spans: string, holidays: string): string;
  /** A relation of integer rows bound as one JSON array parameter (`[{"n": 1, "r": 2}, …]`). */
  jsonRows(param: string, columns: readonly string[]): string;
}
