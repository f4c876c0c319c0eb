/**
 * @module models/features
 * Turns customer attributes (traits, well-known fields, subscription fields: any flat record of strings,
 * numbers and booleans) into a numeric design matrix. A column whose values all read as numbers is
 * standardised (missing values take the mean and raise a `column=missing` indicator); any other column is
 * one-hot encoded over its most frequent values. The encoder is learnt on training rows only, so
 * cross-validation never peeks at the held-out fold.
 */

/** A flat record of one customer's attributes. */
export type FeatureRow = Record<string, unknown>;

/** One input column as the encoder sees it. */
export type ColumnEncoding =
  | { column: string; kind: 'numeric'; mean: number; sd: number; hasMissing: boolean }
  | { column: string; kind: 'categorical'; levels: string[] };

/** A learnt encoder: its columns and the names of the features it produces, in order. */
export interface Encoder {
  columns: ColumnEncoding[];
  features: string[];
  /** Input column of each feature (explanations are summed per input column). */
  sourceOf: string[];
}

const MAX_LEVELS = 50;

function isMissing(v: unknown): boolean {
  return v === null || v === undefined || (typeof v === 'string' && v.trim() === '');
}

function asNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') return Number(v.trim());
  return Number.NaN;
}

function asLevel(v: unknown): string {
  return typeof v === 'string' ? v.trim() : JSON.stringify(v);
}

/**
 * Learns an encoder from rows, using the given columns (by default every column seen except `exclude`).
 *
 * @example fitEncoder([{ plan: 'pro', mrr: 49 }, { plan: 'free', mrr: 0 }], ['id']).features
 * // ['mrr', 'plan=pro', 'plan=free']
 */
export function fitEncoder(rows: readonly FeatureRow[], exclude: readonly string[] = []): Encoder {
  const skip = new Set(exclude);
  const seen = new Set<string>();
  for (const r of rows) for (const k in r) if (!skip.has(k)) seen.add(k);
  const names = [...seen].sort();
  const columns: ColumnEncoding[] = [];
  for (const column of names) {
    // One pass for the numeric reading (moments, and whether more than two distinct values occur) ...
    let present = 0;
    let numeric = true;
    let sum = 0;
    let sumSq = 0;
    const firstValues = new Set<number>();
    for (const r of rows) {
      const v = r[column];
      if (isMissing(v)) continue;
      present++;
      if (!numeric) continue;
      const x = asNumber(v);
      if (!Number.isFinite(x)) numeric = false;
      else {
        sum += x;
        sumSq += x * x;
        if (firstValues.size < 3) firstValues.add(x);
      }
    }
    if (present === 0) continue;
    if (numeric && firstValues.size > 2) {
      const mean = sum / present;
      const sd = Math.sqrt(Math.max(sumSq / present - mean * mean, 0)) || 1;
      columns.push({ column, kind: 'numeric', mean, sd, hasMissing: present < rows.length });
      continue;
    }
    // ... and one for the levels of a categorical (or two-valued) column.
    const counts = new Map<string, number>();
    for (const r of rows) {
      const v = r[column];
      if (!isMissing(v)) counts.set(asLevel(v), (counts.get(asLevel(v)) ?? 0) + 1);
    }
    const levels = [...counts]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, MAX_LEVELS)
      .map(([level]) => level);
    if (levels.length > 1) columns.push({ column, kind: 'categorical', levels });
  }
  const features: string[] = [];
  const sourceOf: string[] = [];
  for (const c of columns) {
    const names =
      c.kind === 'numeric'
        ? [c.column, ...(c.hasMissing ? [`${c.column}=missing`] : [])]
        : c.levels.map((l) => `${c.column}=${l}`);
    for (const name of names) {
      features.push(name);
      sourceOf.push(c.column);
    }
  }
  return { columns, features, sourceOf };
}

/** Encodes rows into a row-major matrix (rows × encoder.features.length). */
export function encode(encoder: Encoder, rows: readonly FeatureRow[]): Float64Array {
  const d = encoder.features.length;
  const m = new Float64Array(rows.length * d);
  rows.forEach((row, i) => {
    let j = i * d;
    for (const c of encoder.columns) {
      const v = row[c.column];
      if (c.kind === 'numeric') {
        const x = isMissing(v) ? Number.NaN : asNumber(v);
        const ok = Number.isFinite(x);
        m[j++] = ok ? (x - c.mean) / c.sd : 0;
        if (c.hasMissing) m[j++] = ok ? 0 : 1;
      } else {
        const level = isMissing(v) ? null : asLevel(v);
        for (const l of c.levels) m[j++] = level === l ? 1 : 0;
      }
    }
  });
  return m;
}
