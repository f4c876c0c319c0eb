/**
 * Readers for the public data sets in ../shared/data (never copied into the repository): the CDNOW
 * sample as orders and its published calibration summary.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { dayOf, type OrderRow } from '../src/models/summary.ts';

/** The shared data folder beside the repository. */
export const DATA_DIR = resolve(import.meta.dirname, '..', '..', 'shared', 'data');
export const CDNOW_SAMPLE = resolve(DATA_DIR, 'cdnow', 'CDNOW_sample.txt');
export const CDNOW_SUMMARY = resolve(DATA_DIR, 'cdnow', 'cdnow_customers_summary.csv');
export const TELCO = resolve(DATA_DIR, 'telco', 'Telco-Customer-Churn.csv');
/** True when the shared data sets are present (CI always has them). */
export const HAS_DATA = existsSync(CDNOW_SAMPLE) && existsSync(TELCO);

/** CDNOW sample rows (master id, sample id 1–2357, YYYYMMDD, CDs, dollars) as orders keyed by sample id. */
export function cdnowOrders(): (OrderRow & { date: string })[] {
  return readFileSync(CDNOW_SAMPLE, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [, id, date, , dollars] = line.trim().split(/\s+/);
      return { customerId: String(Number(id)), day: dayOf(date!)!, amount: Number(dollars), date: date! };
    });
}

/** The published summary: ID, frequency, recency, T as written (two decimals). */
export function cdnowSummary(): { id: string; frequency: string; recency: string; T: string }[] {
  const [, ...rows] = readFileSync(CDNOW_SUMMARY, 'utf8').trim().split('\n');
  return rows.map((line) => {
    const [id, frequency, recency, T] = line.trim().split(',');
    return { id: id!, frequency: frequency!, recency: recency!, T: T! };
  });
}
