/**
 * @module models/summary
 * Recency–frequency–monetary summaries of a customer base, the input of the buy-till-you-die models:
 * for a calibration cut-off and a time unit, each customer's frequency (repeat purchase days), recency
 * (first to last purchase day), age T (first purchase day to the cut-off) and mean repeat spend. Purchases
 * of one calendar day are merged into one transaction, as in Fader, Hardie & Lee (2005). Returns
 * (negative amounts) are not purchases; days whose spend is zero or unknown count as purchases but not as
 * spend observations, so the Gamma-Gamma model sees only positive spend.
 */

/** Time unit of a summary: recency, T and horizons are measured in it. */
export type TimeUnit = 'day' | 'week';

/** Days in one unit. */
export const UNIT_DAYS: Record<TimeUnit, number> = { day: 1, week: 7 };

/** One order: a customer, the calendar day (days since 1970-01-01) and the amount (null when unknown). */
export interface OrderRow {
  customerId: string;
  day: number;
  amount: number | null;
}

/** Columnar RFM summary: entry i of every array is customer `ids[i]`. */
export interface RfmSummary {
  unit: TimeUnit;
  /** Cut-off day (days since 1970-01-01, inclusive). */
  cutoffDay: number;
  ids: string[];
  /** Repeat purchase days in the calibration period (x). */
  frequency: Float64Array;
  /** Time of the last purchase since the first (tₓ), in units. */
  recency: Float64Array;
  /** Time from the first purchase to the cut-off, in units. */
  T: Float64Array;
  /** Mean spend of the repeat days with positive spend (0 when none). */
  monetary: Float64Array;
  /** Number of repeat days with positive spend (the Gamma-Gamma x). */
  spendDays: Float64Array;
}

const MS_PER_DAY = 86_400_000;

/** Calendar day number of an ISO date or timestamp (its date as written, ignoring any offset). */
export function dayOf(value: string): number | null {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})/.exec(value.trim());
  if (!m) return null;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  const d = new Date(ms);
  if (d.getUTCMonth() !== Number(m[2]) - 1 || d.getUTCDate() !== Number(m[3])) return null;
  return ms / MS_PER_DAY;
}

/** ISO date of a day number. */
export function isoDay(day: number): string {
  return new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
}

/**
 * Summarises orders up to and including `cutoffDay`. Customers with no purchase by then are left out
 * (the models describe customers from their first purchase on).
 *
 * @example summarize([{ customerId: 'c1', day: 0, amount: 10 }, { customerId: 'c1', day: 7, amount: 20 }], 14, 'week')
 * // frequency [1], recency [1], T [2], monetary [20]
 */
export function summarize(orders: Iterable<OrderRow>, cutoffDay: number, unit: TimeUnit): RfmSummary {
  // customer → day → spend of that day (NaN when the day has only orders of unknown amount)
  const byCustomer = new Map<string, Map<number, number>>();
  for (const o of orders) {
    if (o.day > cutoffDay || (o.amount !== null && o.amount < 0)) continue;
    let days = byCustomer.get(o.customerId);
    if (!days) {
      days = new Map();
      byCustomer.set(o.customerId, days);
    }
    const prev = days.get(o.day);
    const add = o.amount ?? Number.NaN;
    days.set(o.day, prev === undefined || Number.isNaN(prev) ? add : Number.isNaN(add) ? prev : prev + add);
  }
  const n = byCustomer.size;
  const out: RfmSummary = {
    unit,
    cutoffDay,
    ids: new Array<string>(n),
    frequency: new Float64Array(n),
    recency: new Float64Array(n),
    T: new Float64Array(n),
    monetary: new Float64Array(n),
    spendDays: new Float64Array(n),
  };
  const unitDays = UNIT_DAYS[unit];
  let i = 0;
  for (const [id, days] of byCustomer) {
    let first = Number.POSITIVE_INFINITY;
    let last = Number.NEGATIVE_INFINITY;
    for (const d of days.keys()) {
      if (d < first) first = d;
      if (d > last) last = d;
    }
    let spend = 0;
    let spendDays = 0;
    for (const [d, amount] of days)
      if (d !== first && amount > 0) {
        spend += amount;
        spendDays++;
      }
    out.ids[i] = id;
    out.frequency[i] = days.size - 1;
    out.recency[i] = (last - first) / unitDays;
    out.T[i] = (cutoffDay - first) / unitDays;
    out.monetary[i] = spendDays > 0 ? spend / spendDays : 0;
    out.spendDays[i] = spendDays;
    i++;
  }
  return out;
}

/** Customers with identical (x, tₓ, T) share one likelihood term: the distinct triples and their counts. */
export interface RfmGroups {
  x: Float64Array;
  recency: Float64Array;
  T: Float64Array;
  count: Float64Array;
  /** Group of each input customer. */
  groupOf: Uint32Array;
}

/**
 * Groups customers by identical (frequency, recency, T); the likelihoods then cost one term per group.
 * An open-addressing hash table over the three numbers' bit patterns: no key strings or per-key objects
 * for millions of customers.
 */
export function groupRfm(s: Pick<RfmSummary, 'frequency' | 'recency' | 'T'>): RfmGroups {
  const n = s.frequency.length;
  const size = 2 ** Math.ceil(Math.log2(2 * n + 2));
  const mask = size - 1;
  const slots = new Int32Array(size).fill(-1);
  const groupOf = new Uint32Array(n);
  const x = new Float64Array(n);
  const recency = new Float64Array(n);
  const T = new Float64Array(n);
  const count = new Float64Array(n);
  const bits = new Float64Array(3);
  const words = new Uint32Array(bits.buffer);
  let groups = 0;
  for (let i = 0; i < n; i++) {
    const xi = s.frequency[i]!;
    const ti = s.recency[i]!;
    const Ti = s.T[i]!;
    bits[0] = xi;
    bits[1] = ti;
    bits[2] = Ti;
    let h = 0x811c9dc5;
    for (let w = 0; w < 6; w++) h = Math.imul(h ^ words[w]!, 0x01000193);
    let slot = (h ^ (h >>> 15)) & mask;
    let g = slots[slot]!;
    while (g !== -1 && !(x[g] === xi && recency[g] === ti && T[g] === Ti)) {
      slot = (slot + 1) & mask;
      g = slots[slot]!;
    }
    if (g === -1) {
      g = groups++;
      slots[slot] = g;
      x[g] = xi;
      recency[g] = ti;
      T[g] = Ti;
    }
    count[g]!++;
    groupOf[i] = g;
  }
  return {
    x: x.slice(0, groups),
    recency: recency.slice(0, groups),
    T: T.slice(0, groups),
    count: count.slice(0, groups),
    groupOf,
  };
}

/** Purchase days of each summarised customer in the holdout period (cutoffDay, endDay]. */
export function holdoutPurchases(
  orders: Iterable<OrderRow>,
  summary: RfmSummary,
  endDay: number,
): Float64Array {
  const position = new Map(summary.ids.map((id, i) => [id, i]));
  const seen = new Set<string>();
  const counts = new Float64Array(summary.ids.length);
  for (const o of orders) {
    if (o.day <= summary.cutoffDay || o.day > endDay || (o.amount !== null && o.amount < 0)) continue;
    const i = position.get(o.customerId);
    const key = `${o.customerId}\u0000${o.day}`;
    if (i === undefined || seen.has(key)) continue;
    seen.add(key);
    counts[i]!++;
  }
  return counts;
}
