/**
 * @module service/operations
 * Operations shared by the CLI (on a store it opened) and the local admin API (on the store of a
 * running server): create a project with its keys, import a file, query, define a survey.
 */
import { extname } from 'node:path';
import { issueKey } from '../auth/keys.ts';
import { planQuery } from '../engine/plan.ts';
import { type QueryResult, runQuery } from '../engine/run.ts';
import { PolsoError } from '../errors.ts';
import { isRecordKind } from '../model/kinds.ts';
import { isTimeZone, parseConfigPatch } from '../model/project-config.ts';
import type { FileFormat, IngestResult, ProgressFn, Store } from '../store/store.ts';
import type { SurveyService } from '../surveys/service.ts';

export interface CreatedProject {
  projectId: string;
  name: string;
  writeKey: string;
  secretKey: string;
  publicKey: string;
}

/** Creates a project with one key of each scope. */
export async function createProjectWithKeys(
  store: Store,
  input: Record<string, unknown>,
): Promise<CreatedProject> {
  const name = typeof input.name === 'string' ? input.name.trim() : '';
  if (!name || name.length > 200)
    throw new PolsoError('POLSO_BAD_OPTION', 'name: a project name of 1–200 characters');
  const config = parseConfigPatch((input.config as Record<string, unknown> | undefined) ?? {});
  const project = await store.createProject(name, config);
  const write = await issueKey(store, project.id, 'write', 'server write');
  const secret = await issueKey(store, project.id, 'secret', 'secret');
  const pub = await issueKey(store, project.id, 'public', 'public');
  return {
    projectId: project.id,
    name,
    writeKey: write.token,
    secretKey: secret.token,
    publicKey: pub.token,
  };
}

/** File format from an explicit option or the file name. */
export function detectFormat(path: string, explicit?: unknown): FileFormat {
  const value = typeof explicit === 'string' ? explicit : undefined;
  const name = path.toLowerCase().replace(/\.(gz|zst)$/, '');
  const guess =
    value ??
    ({ '.csv': 'csv', '.ndjson': 'ndjson', '.jsonl': 'ndjson', '.parquet': 'parquet' }[
      extname(name)
    ] as string);
  if (guess === 'csv' || guess === 'ndjson' || guess === 'parquet') return guess;
  throw new PolsoError('POLSO_BAD_OPTION', `--format: csv, ndjson or parquet (cannot tell from ${path})`);
}

export interface ImportSummary extends Omit<IngestResult, 'rejected'> {
  rejected: { row: number; field: string | null; code: string; message: string }[];
  seconds: number;
  rowsPerSecond: number;
}

/** Imports one file of one record kind into a project. */
export async function importFile(
  store: Store,
  input: Record<string, unknown>,
  progress?: ProgressFn,
): Promise<ImportSummary> {
  const { projectId, path, type } = input;
  if (typeof path !== 'string' || path === '') throw new PolsoError('POLSO_BAD_OPTION', 'FILE: required');
  if (!isRecordKind(type))
    throw new PolsoError('POLSO_BAD_OPTION', `--type: one of the record types (got ${String(type)})`);
  const project = typeof projectId === 'string' ? await store.getProject(projectId) : null;
  if (!project) throw new PolsoError('POLSO_BAD_OPTION', `--project: no project ${String(projectId)}`);
  const timezone = input.timezone;
  if (timezone !== undefined && (typeof timezone !== 'string' || !isTimeZone(timezone)))
    throw new PolsoError('POLSO_BAD_OPTION', `--timezone: not an IANA time zone: ${String(timezone)}`);
  const mapping = (input.mapping ?? {}) as Record<string, string>;
  const started = performance.now();
  const result = await store.importFile(
    project,
    { path, format: detectFormat(path, input.format), kind: type, mapping, timezone, rejectedLimit: 100 },
    progress,
  );
  const seconds = (performance.now() - started) / 1000;
  const rows = result.accepted + result.duplicates + result.outdated + result.rejectedCount;
  return {
    ...result,
    // Files are 1-based with a header line: record i is on line i + 2 of a CSV.
    rejected: result.rejected.map((r) => ({
      row: r.index + 1,
      field: r.field,
      code: r.code,
      message: r.message,
    })),
    seconds: Math.round(seconds * 1000) / 1000,
    rowsPerSecond: Math.round(rows / Math.max(seconds, 1e-6)),
  };
}

/** Runs a metric query for a project (the CLI's `polso query`). */
export async function queryProject(
  store: Store,
  input: Record<string, unknown>,
  now: Date,
): Promise<QueryResult> {
  const project = typeof input.projectId === 'string' ? await store.getProject(input.projectId) : null;
  if (!project) throw new PolsoError('POLSO_BAD_OPTION', `--project: no project ${String(input.projectId)}`);
  return runQuery(store, planQuery(input.query, project, now));
}

/**
 * Stores a survey definition for a project (the CLI's `polso survey create|update`): a new survey, or
 * with `update` a new version of survey `id`.
 */
export async function defineSurvey(
  surveys: SurveyService,
  input: Record<string, unknown>,
): Promise<{ id: string; version: number }> {
  const { store } = surveys.options;
  const project = typeof input.projectId === 'string' ? await store.getProject(input.projectId) : null;
  if (!project) throw new PolsoError('POLSO_BAD_OPTION', `--project: no project ${String(input.projectId)}`);
  const id = typeof input.id === 'string' ? input.id : undefined;
  const saved = await surveys.define(project, input.definition, id, input.update === true);
  return { id: saved.id, version: saved.version };
}
