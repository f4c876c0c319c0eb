/**
 * Shared set-up for integration tests: a real DuckDB file in a temporary directory, the app built by
 * its factory, and a project with one key of each scope.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import { generateDemo } from '../src/demo/generate.ts';
import type { IngestLimits } from '../src/ingest/batch.ts';
import { METRICS } from '../src/metrics/catalogue.ts';
import { DIMENSIONS } from '../src/metrics/dimensions.ts';
import { createApp } from '../src/server/app.ts';
import { type CreatedProject, createProjectWithKeys, importFile } from '../src/service/operations.ts';
import { QueryWarmer } from '../src/service/warm.ts';
import { DuckDbStore } from '../src/store/duckdb/store.ts';
import type { Store } from '../src/store/store.ts';
import { SurveyService, type SurveyServiceOptions } from '../src/surveys/service.ts';
import { type Clock, systemClock } from '../src/util/clock.ts';

export interface TestEnv {
  dir: string;
  store: DuckDbStore;
  app: FastifyInstance;
  project: CreatedProject;
  surveys: SurveyService;
  warmer?: QueryWarmer;
  close(): Promise<void>;
}

/** Every metric of the catalogue, and those the channel dimension applies to. */
export const ALL_METRICS = [...METRICS.keys()];
export const CHANNEL_METRICS = ALL_METRICS.filter(
  (m) => DIMENSIONS.get('channel')!.sources[METRICS.get(m)!.source],
);
/** The demo data's last 12 local months (it ends on 2026-11-01 unless told otherwise). */
export const DEMO_YEAR = { from: '2025-11-01', to: '2026-11-01' } as const;

export function tempDir(prefix = 'polso-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Generates `size` seeded demo records in a temporary folder and imports them into a project. */
export async function importDemo(store: Store, projectId: string, size: number, seed: number): Promise<void> {
  const dir = tempDir('polso-demo-');
  try {
    const demo = await generateDemo({ size, seed, outDir: dir });
    for (const f of demo.files)
      if (f.rows > 0) await importFile(store, { projectId, path: f.path, type: f.kind });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Deep equality, except that numbers with decimals may differ by one unit of their 4th decimal: the
 * engine sums floats in parallel in no fixed order, so a mean sitting exactly on a rounding boundary
 * (50.03125) rounds either way, with or without the memo. Whole numbers must be equal.
 */
export function expectSame(actual: unknown, expected: unknown, path = ''): void {
  if (
    typeof actual === 'number' &&
    typeof expected === 'number' &&
    Number.isFinite(expected) &&
    !Number.isInteger(expected)
  ) {
    expect(Math.abs(actual - expected), path).toBeLessThanOrEqual(1.0001e-4);
    return;
  }
  if (actual === null || expected === null || typeof expected !== 'object') {
    expect(actual, path).toEqual(expected);
    return;
  }
  expect(typeof actual, path).toBe('object');
  const a = actual as Record<string, unknown>;
  const e = expected as Record<string, unknown>;
  expect(Object.keys(a).sort(), path).toEqual(Object.keys(e).sort());
  for (const k of Object.keys(e)) expectSame(a[k], e[k], `${path}.${k}`);
}

export async function makeEnv(
  opts: {
    clock?: Clock;
    limits?: Partial<IngestLimits>;
    /** Survey links and delivery routes (default: links only). */
    surveys?: Partial<Pick<SurveyServiceOptions, 'baseUrl' | 'delivery'>>;
    /** Ask recent queries again this long after writes (default: no warmer). */
    warmDelayMs?: number;
  } = {},
): Promise<TestEnv> {
  const dir = tempDir();
  const clock = opts.clock ?? systemClock;
  const store = new DuckDbStore({ dataDir: dir, clock, threads: 2 });
  await store.ready;
  const surveys = new SurveyService({
    store,
    clock,
    baseUrl: opts.surveys?.baseUrl ?? (() => 'http://polso.test'),
    delivery: opts.surveys?.delivery ?? { messageDomain: 'polso.test' },
  });
  const warmer =
    opts.warmDelayMs === undefined
      ? undefined
      : new QueryWarmer({ store, clock, delayMs: opts.warmDelayMs, saveDelayMs: opts.warmDelayMs });
  const app = createApp({ store, clock, limits: opts.limits, surveys, warmer });
  const project = await createProjectWithKeys(store, { name: 'Test' });
  return {
    dir,
    store,
    app,
    project,
    surveys,
    warmer,
    async close() {
      await surveys.settled();
      await app.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** POSTs records with a key; `body` is sent as JSON unless it is already a string. */
export async function post(
  app: FastifyInstance,
  key: string | null,
  body: unknown,
  opts: { url?: string; contentType?: string } = {},
) {
  const res = await app.inject({
    method: 'POST',
    url: opts.url ?? '/api/v1/records',
    headers: {
      'content-type': opts.contentType ?? 'application/json',
      ...(key ? { authorization: `Bearer ${key}` } : {}),
    },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field by the tests
  return { status: res.statusCode, body: res.json() as Record<string, any> };
}

/** Runs `POST /api/v1/query` with the project's secret key; JSON bodies parsed, CSV as text. */
export async function query(env: TestEnv, body: Record<string, unknown>, format = '') {
  const res = await env.app.inject({
    method: 'POST',
    url: `/api/v1/query${format}`,
    headers: { authorization: `Bearer ${env.project.secretKey}`, 'content-type': 'application/json' },
    payload: body,
  });
  return {
    status: res.statusCode,
    // biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field by the tests
    body: (String(res.headers['content-type']).includes('json') ? res.json() : res.body) as any,
  };
}

/** Changes the project's settings with `PATCH /api/v1/project` and the secret key. */
/**
 * A fixture record builder: `rec(type, customerId, day, extra)` gives a record of that type with the
 * next id of its own sequence (`order-0`, `event-1`…) at `at(day)`.
 */
export function recordMaker(at: (day: string) => string) {
  let next = 0;
  return (type: string, customerId: string, day: string, extra: object = {}) => ({
    type,
    id: `${type}-${next++}`,
    timestamp: at(day),
    customerId,
    ...extra,
  });
}

export function patchProject(env: TestEnv, settings: Record<string, unknown>) {
  return env.app.inject({
    method: 'PATCH',
    url: '/api/v1/project',
    headers: { authorization: `Bearer ${env.project.secretKey}`, 'content-type': 'application/json' },
    payload: settings,
  });
}
