/**
 * Bulk import benchmark: demo records of every kind written as CSV (and converted to Parquet), then
 * loaded side by side (1) by `polso import` (validation, idempotent merge) into a fresh store and
 * (2) by DuckDB itself into bare tables (`CREATE TABLE … AS SELECT * FROM read_csv/read_parquet`).
 * Prints rows/s of each, their ratio and peak memory.
 *
 *   npx tsx bench/import.ts --records 1000000
 */
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { generateDemo } from '../src/demo/generate.ts';
import { createProjectWithKeys, importFile } from '../src/service/operations.ts';
import { DuckDbStore } from '../src/store/duckdb/store.ts';
import { systemClock } from '../src/util/clock.ts';
import { tempDir } from '../test/helpers.ts';
import { arg, peakRssMb } from './util.ts';

const records = Number(arg('records', '1000000'));
const formats = arg('formats', 'csv,parquet').split(',') as ('csv' | 'parquet')[];
const dir = tempDir('polso-bench-import-');
try {
  let t = performance.now();
  const demo = await generateDemo({ size: records, seed: 1, outDir: join(dir, 'csv') });
  const generateSeconds = (performance.now() - t) / 1000;
  const files = demo.files.filter((f) => f.rows > 0);
  const tools = await DuckDBInstance.create(':memory:');
  const conn = await tools.connect();
  const parquet = (p: string) => p.replace(/\.csv$/, '.parquet');
  if (formats.includes('parquet'))
    for (const f of files)
      await conn.run(
        `COPY (SELECT * FROM read_csv($p, header = true, all_varchar = true)) TO '${parquet(f.path)}' (FORMAT parquet)`,
        { p: f.path },
      );
  conn.closeSync();
  tools.closeSync();

  for (const format of formats) {
    const path = (p: string) => (format === 'csv' ? p : parquet(p));
    const bytes = files.reduce((n, f) => n + statSync(path(f.path)).size, 0);

    // DuckDB alone, into bare tables.
    const bareDir = join(dir, `bare-${format}`);
    const bare = await DuckDBInstance.create(join(tempDir(), 'bare.duckdb'));
    const bc = await bare.connect();
    t = performance.now();
    for (const f of files) {
      const reader = format === 'csv' ? `read_csv($p, header = true)` : `read_parquet($p)`;
      await bc.run(`CREATE TABLE "${f.kind}" AS SELECT * FROM ${reader}`, { p: path(f.path) });
    }
    await bc.run('CHECKPOINT');
    const bareSeconds = (performance.now() - t) / 1000;
    bc.closeSync();
    bare.closeSync();
    rmSync(bareDir, { recursive: true, force: true });

    // Polso, into a fresh store.
    const store = new DuckDbStore({ dataDir: join(dir, `polso-${format}`), clock: systemClock });
    await store.ready;
    const project = await createProjectWithKeys(store, { name: 'Bench' });
    t = performance.now();
    let accepted = 0;
    let rejected = 0;
    for (const f of files) {
      const r = await importFile(store, {
        projectId: project.projectId,
        path: path(f.path),
        type: f.kind,
        format,
      });
      accepted += r.accepted;
      rejected += r.rejectedCount;
    }
    await store.sql('CHECKPOINT');
    const polsoSeconds = (performance.now() - t) / 1000;
    await store.close();
    console.log(
      JSON.stringify({
        benchmark: 'bulk-import',
        format,
        records: demo.total,
        megabytes: Math.round(bytes / 1e6),
        generateSeconds: Math.round(generateSeconds * 10) / 10,
        polso: {
          seconds: round(polsoSeconds),
          rowsPerSecond: Math.round(demo.total / polsoSeconds),
          accepted,
          rejected,
        },
        duckdbBare: { seconds: round(bareSeconds), rowsPerSecond: Math.round(demo.total / bareSeconds) },
        ratio: round(bareSeconds / polsoSeconds),
        peakRssMb: peakRssMb(),
      }),
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
