/**
 * Demo data for the query benchmarks: generated as CSV (one file per record kind) and imported into
 * a fresh store, plus the question set behind an overview dashboard — every metric of the catalogue,
 * 12 monthly points, in total and by channel where channel applies.
 */
import { join } from 'node:path';
import { type DemoFiles, generateDemo } from '../src/demo/generate.ts';
import { createProjectWithKeys, importFile } from '../src/service/operations.ts';
import { DuckDbStore } from '../src/store/duckdb/store.ts';
import { fixedClock } from '../src/util/clock.ts';
import { ALL_METRICS, CHANNEL_METRICS, DEMO_YEAR } from '../test/helpers.ts';

/** The instant the overview is asked at (the demo data ends here). */
export const NOW = new Date('2026-11-01T00:00:00Z');

/** The overview's range: 12 local months in the project's time zone (Europe/Rome). */
export const RANGE = DEMO_YEAR;

/** Every metric of the catalogue, and those the channel dimension applies to. */
export const OVERVIEW_METRICS = ALL_METRICS;
export { CHANNEL_METRICS };

/** The overview's questions, as query bodies: every metric by month, and by channel and month. */
export const OVERVIEW_QUERIES = [
  { metrics: OVERVIEW_METRICS, grain: 'month', ...RANGE },
  { metrics: CHANNEL_METRICS, groupBy: ['channel'], grain: 'month', ...RANGE },
];

/** A store opened at the benchmark's fixed clock (`memoCells: 0`: without the metric memo). */
export async function openStore(dataDir: string, memoCells?: number): Promise<DuckDbStore> {
  const store = new DuckDbStore({ dataDir, clock: fixedClock(NOW.toISOString()), memoCells });
  await store.ready;
  return store;
}

export interface DemoStore {
  demo: DemoFiles;
  store: DuckDbStore;
  projectId: string;
  /** Seconds spent importing the CSV files (generation excluded). */
  loadSeconds: number;
}

/**
 * Generates `records` demo records as CSV under `dir/csv` and imports them into a new store in
 * `dir/db` (the database is `dir/db/polso.duckdb`).
 */
export async function loadDemoStore(dir: string, records: number, memoCells?: number): Promise<DemoStore> {
  const demo = await generateDemo({ size: records, seed: 1, outDir: join(dir, 'csv') });
  const store = await openStore(join(dir, 'db'), memoCells);
  const { projectId } = await createProjectWithKeys(store, { name: 'Bench' });
  const t = performance.now();
  for (const f of demo.files)
    if (f.rows > 0) await importFile(store, { projectId, path: f.path, type: f.kind });
  const loadSeconds = (performance.now() - t) / 1000;
  return { demo, store, projectId, loadSeconds };
}
