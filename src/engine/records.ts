/**
 * @module engine/records
 * The records behind a data point: a query of one metric (its range and filters, the clicked point's
 * dimension values added as filters) answered with the metric's own records instead of a value, so a
 * number on the dashboard can always be traced back to what it counts. A stored model score's records
 * are the customers scored in the range, highest first, optionally within a band of the score.
 */
import { PolsoError } from '../errors.ts';
import { recordFromRow } from '../model/rows.ts';
import { recordsSql, type ScoreBand, scoredRecordsSql } from './compile.ts';
import { planQuery } from './plan.ts';
import type { SqlExecutor } from './run.ts';

/** The answer: the newest records in scope and how many there are in all. */
export interface RecordsResult {
  metric: string;
  type: string;
  total: number;
  records: Record<string, unknown>[];
}

const MAX_LIMIT = 1000;

/**
 * Plans and runs a drill-down. `input` is a query body with exactly one metric, plus `limit`.
 * @example await drillDown(store, { metrics: ['nps'], from: '2026-07-01', to: '2026-08-01', filters: { channel: ['chat'] } }, project, now)
 */
export async function drillDown(
  exec: SqlExecutor,
  input: Record<string, unknown>,
  project: { id: string; config: { timezone: string; conversionEvents?: string[] } },
  now: Date,
): Promise<RecordsResult> {
  const { limit = 100, band, ...query } = input;
  if (!Number.isInteger(limit) || (limit as number) < 1 || (limit as number) > MAX_LIMIT)
    throw new PolsoError('POLSO_BAD_QUERY', `limit: a whole number from 1 to ${MAX_LIMIT}`, {
      path: 'limit',
    });
  if (!Array.isArray(query.metrics) || query.metrics.length !== 1)
    throw new PolsoError('POLSO_BAD_QUERY', 'metrics: exactly one metric', { path: 'metrics' });
  if (query.groupBy !== undefined || query.grain !== undefined || query.compare !== undefined)
    throw new PolsoError('POLSO_BAD_QUERY', 'records: give the point as filters and its period as from/to', {
      path: 'groupBy',
    });
  const plan = planQuery(query, project, now);
  const m = plan.metrics[0]!;
  const range = { from: plan.from, to: plan.to };
  if (m.def.measure.type !== 'score' && band !== undefined)
    throw new PolsoError('POLSO_BAD_QUERY', `band: only for a model score's metric, not ${m.def.id}`, {
      path: 'band',
    });
  const q =
    m.def.measure.type === 'score'
      ? scoredRecordsSql(plan, m, exec.dialect, range, limit as number, scoreBand(band))
      : recordsSql(plan, m, exec.dialect, range, limit as number);
  const rows = await exec.select(q.sql, q.params);
  return {
    metric: m.def.id,
    type: m.def.source,
    total: Number(rows[0]?._total ?? 0),
    records: rows.map((r) => recordFromRow(m.def.source, r)),
  };
}

/** A drill-down's band of a score (`{"from": 100, "to": 250}`, `to` null or absent for no upper edge). */
function scoreBand(band: unknown): ScoreBand | undefined {
  if (band === undefined) return undefined;
  const b = band as Record<string, unknown>;
  const finite = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  const to = b?.to ?? null;
  if (typeof band !== 'object' || band === null || Array.isArray(band) || !finite(b.from))
    throw new PolsoError('POLSO_BAD_QUERY', 'band.from: a number', { path: 'band.from' });
  if (Object.keys(b).some((k) => k !== 'from' && k !== 'to'))
    throw new PolsoError('POLSO_BAD_QUERY', 'band: only from and to', { path: 'band' });
  if (to !== null && (!finite(to) || (to as number) <= (b.from as number)))
    throw new PolsoError('POLSO_BAD_QUERY', 'band.to: a number above band.from, or null', {
      path: 'band.to',
    });
  return { from: b.from as number, to: to as number | null };
}
