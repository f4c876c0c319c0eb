/**
 * @module ingest/columns
 * Turns a kind's parsed JSON records into columns of text cells, the form every engine loads fastest
 * (one bound document instead of a value per cell). The JSON envelope is checked here — unknown
 * fields, a value of the wrong JSON kind — and the values themselves by the store's validation,
 * exactly as for a CSV file.
 */
import { type RecordError, recordError } from '../errors.ts';
import {
  CUSTOMER_TRAIT_FIELDS,
  fieldsOf,
  JSON_KINDS,
  jsonKindOf,
  KINDS,
  type RecordKind,
} from '../model/kinds.ts';
import { describeProblem } from '../model/messages.ts';

/** Records of one kind as columns: `index[i]` is the request position of row i. */
export interface ColumnBatch {
  index: number[];
  columns: Record<string, (string | null)[]>;
}

const TRAIT_FIELDS: ReadonlySet<string> = new Set(CUSTOMER_TRAIT_FIELDS);

function cell(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/**
 * Checks the envelope of each record and lays the good ones out as columns.
 * @example columnize('order', [{ index: 0, value: { type: 'order', id: 'o1', … } }])
 */
export function columnize(
  kind: RecordKind,
  records: readonly { index: number; value: Record<string, unknown> }[],
): { batch: ColumnBatch; rejected: RecordError[] } {
  const fields = fieldsOf(KINDS[kind]);
  const known = new Set(['type', ...fields.map((f) => f.name)]);
  const batch: ColumnBatch = { index: [], columns: Object.fromEntries(fields.map((f) => [f.name, []])) };
  const rejected: RecordError[] = [];
  for (const { index, value } of records) {
    const problems: RecordError[] = [];
    for (const key of Object.keys(value))
      if (!known.has(key))
        problems.push(
          recordError(index, key, 'RECORD_UNKNOWN_FIELD', describeProblem(kind, key, 'RECORD_UNKNOWN_FIELD')),
        );
    const traits =
      kind === 'customer' && jsonKindOf(value.traits) === 'object'
        ? (value.traits as Record<string, unknown>)
        : {};
    const cells: (string | null)[] = [];
    for (const f of fields) {
      let v = value[f.name];
      if ((v === undefined || v === null) && TRAIT_FIELDS.has(f.name)) v = traits[f.name];
      const k = jsonKindOf(v);
      if (k !== null && !JSON_KINDS[f.type].includes(k))
        problems.push(
          recordError(index, f.name, 'RECORD_WRONG_TYPE', describeProblem(kind, f.name, 'RECORD_WRONG_TYPE')),
        );
      cells.push(cell(v));
    }
    if (problems.length > 0) {
      rejected.push(...problems);
      continue;
    }
    batch.index.push(index);
    for (const [i, f] of fields.entries()) batch.columns[f.name]!.push(cells[i]!);
  }
  return { batch, rejected };
}
