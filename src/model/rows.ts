/**
 * @module model/rows
 * Stored rows back in the API's shape: camelCase field names, ISO timestamps, plain numbers. Shared by
 * the store (inspection, the customer view) and the engine (the records behind a data point).
 */
import { fieldsOf, KINDS, type RecordKind } from './kinds.ts';

/** An engine's timestamp value as an ISO instant. */
export function toIso(value: unknown): string {
  return value instanceof Date ? value.toISOString() : new Date(String(value)).toISOString();
}

/**
 * A stored row of `kind` as the record the API accepts (columns of ours are left out).
 * @example recordFromRow('contact', { id: 't1', ts: new Date(), reopen_count: 1n }) // { type: 'contact', id: 't1', timestamp: '…', reopenCount: 1 }
 */
export function recordFromRow(kind: RecordKind, row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { type: kind };
  for (const fl of fieldsOf(KINDS[kind])) {
    const v = row[fl.column];
    if (v === null || v === undefined) continue;
    if (fl.type === 'timestamp') out[fl.name] = toIso(v);
    else if (fl.type === 'json') out[fl.name] = typeof v === 'string' ? JSON.parse(v) : v;
    else if (typeof v === 'bigint') out[fl.name] = Number(v);
    else if (fl.name === 'amount' || fl.name === 'mrr') out[fl.name] = Number(v);
    else out[fl.name] = v;
  }
  return out;
}
