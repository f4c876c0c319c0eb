/**
 * @module ingest/batch
 * The native batch API's intake: parse a JSON array or NDJSON body, check each record's envelope
 * (an object, a known `type`, within the size limit, allowed for the key), and hand the rest to the
 * store grouped by kind. A bad record is reported by position; it never stops the valid ones.
 */
import { PolsoError, type RecordError, recordError } from '../errors.ts';
import { isRecordKind, type RecordKind } from '../model/kinds.ts';
import type { IngestOptions, IngestResult, KeyScope, Project, Store } from '../store/store.ts';
import { type ColumnBatch, columnize } from './columns.ts';

/** Kinds a public (browser) key may send: product events, identify, widget survey answers. */
export const PUBLIC_KINDS: ReadonlySet<RecordKind> = new Set(['event', 'customer', 'survey_response']);

export interface IngestLimits {
  /** Largest request body, bytes. */
  bodyBytes: number;
  /** Largest single record, bytes of JSON. */
  recordBytes: number;
}

export const DEFAULT_LIMITS: IngestLimits = { bodyBytes: 5 * 1024 * 1024, recordBytes: 64 * 1024 };

/** One parsed element of a batch: a value, or the problem that kept it from being one. */
export type ParsedItem = { index: number; value: unknown } | { index: number; error: RecordError };

/**
 * Parses a request body. JSON: an array of records (or one record object); malformed JSON is a
 * request error. NDJSON: one record per non-empty line; a malformed line rejects only that record.
 */
export function parseBody(text: string, ndjson: boolean): ParsedItem[] {
  if (ndjson) {
    const items: ParsedItem[] = [];
    const lines = text.split('\n');
    let index = 0;
    for (let line = 0; line < lines.length; line++) {
      const raw = lines[line]!.trim();
      if (raw === '') continue;
      try {
        items.push({ index, value: JSON.parse(raw) });
      } catch (e) {
        items.push({
          index,
          error: recordError(
            index,
            null,
            'RECORD_MALFORMED_LINE',
            `line ${line + 1}: ${(e as Error).message}`,
          ),
        });
      }
      index++;
    }
    return items;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new PolsoError('POLSO_MALFORMED_JSON', `The body is not valid JSON: ${(e as Error).message}`);
  }
  const list = Array.isArray(parsed) ? parsed : [parsed];
  return list.map((value, index) => ({ index, value }));
}

/** Checks envelopes and groups records by kind; returns the groups and the envelope problems. */
export function groupRecords(
  items: readonly ParsedItem[],
  scope: KeyScope,
  limits: IngestLimits,
): { batch: Map<RecordKind, ColumnBatch>; rejected: RecordError[] } {
  const byKind = new Map<RecordKind, { index: number; value: Record<string, unknown> }[]>();
  const rejected: RecordError[] = [];
  for (const item of items) {
    if ('error' in item) {
      rejected.push(item.error);
      continue;
    }
    const { index, value } = item;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      rejected.push(recordError(index, null, 'RECORD_NOT_OBJECT'));
      continue;
    }
    const type = (value as { type?: unknown }).type;
    if (!isRecordKind(type)) {
      const message =
        type === undefined
          ? 'type: required (customer, contact, survey_response, …)'
          : `type: unknown record type`;
      rejected.push(
        recordError(
          index,
          'type',
          type === undefined ? 'RECORD_MISSING_FIELD' : 'RECORD_UNKNOWN_TYPE',
          message,
        ),
      );
      continue;
    }
    if (scope === 'public' && !PUBLIC_KINDS.has(type))
      throw new PolsoError('POLSO_FORBIDDEN', `A public key may not send ${type} records (record ${index})`);
    if (Buffer.byteLength(JSON.stringify(value)) > limits.recordBytes) {
      rejected.push(
        recordError(index, null, 'RECORD_TOO_LARGE', `The record is larger than ${limits.recordBytes} bytes`),
      );
      continue;
    }
    const group = byKind.get(type) ?? [];
    if (group.length === 0) byKind.set(type, group);
    group.push({ index, value: value as Record<string, unknown> });
  }
  const batch = new Map<RecordKind, ColumnBatch>();
  for (const [kind, records] of byKind) {
    const { batch: columns, rejected: problems } = columnize(kind, records);
    batch.set(kind, columns);
    rejected.push(...problems);
  }
  return { batch, rejected };
}

/** Stores a parsed batch and merges envelope problems into the store's result. */
export async function ingestItems(
  store: Store,
  project: Project,
  scope: KeyScope,
  items: readonly ParsedItem[],
  limits: IngestLimits,
  opts: IngestOptions = {},
): Promise<IngestResult> {
  const { batch, rejected } = groupRecords(items, scope, limits);
  const result = await store.ingest(project, batch, opts);
  result.rejected = [...rejected, ...result.rejected].sort((a, b) => a.index - b.index);
  result.rejectedCount += new Set(rejected.map((r) => r.index)).size;
  return result;
}

/** HTTP status for a batch result: 422 when every record was rejected, else 200. */
export function batchStatus(total: number, result: IngestResult): number {
  return total > 0 && result.rejectedCount === total ? 422 : 200;
}
