/**
 * Query benchmark: the question set behind an overview dashboard — every metric of the catalogue,
 * 12 monthly points, in total and by channel where channel applies — on demo data loaded into a fresh
 * store. Prints p50/p95 latency of the whole set over repeated runs and peak memory.
 *
 *   npx tsx bench/query.ts --records 1000000 --runs 5 [--per-metric yes]
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { generateDemo } from '../src/demo/generate.ts';
import { planQuery } from '../src/engine/plan.ts';
import { runQuery } from '../src/engine/run.ts';
import { METRICS } from '../src/metrics/catalogue.ts';
import { DIMENSIONS } from '../src/metrics/dimensions.ts';
import { createProjectWithKeys, importFile } from '../src/service/operations.ts';
import { DuckDbStore } from '../src/store/duckdb/store.ts';
import { fixedClock } from '../src/util/clock.ts';
import { tempDir } from '../test/helpers.ts';
import { arg, peakRssMb, percentile } from './util.ts';

const records = Number(arg('records', '1000000'));
const runs = Number(arg('runs', '5'));
const dir = tempDir('polso-bench-query-');
const now = new Date('2026-11-01T00:00:00Z');
try {
  const demo = await generateDemo({ size: records, seed: 1, outDir: join(dir, 'csv') });
  const store = new DuckDbStore({ dataDir: join(dir, 'db'), clock: fixedClock(now.toISOString()) });
  await store.ready;
  const { projectId } = await createProjectWithKeys(store, { name: 'Bench' });
  let t = performance.now();
  for (const f of demo.files)
    if (f.rows > 0) await importFile(store, { projectId, path: f.path, type: f.kind });
  const loadSeconds = (performance.now() - t) / 1000;
  const project = (await store.getProject(projectId))!;
  const metrics = [...METRICS.keys()];
  const channel = DIMENSIONS.get('channel')!;
  const byChannel = metrics.filter((m) => channel.sources[METRICS.get(m)!.source]);
  const queries = [
    { metrics, grain: 'month', from: '2025-11-01', to: '2026-11-01' },
    { metrics: byChannel, groupBy: ['channel'], grain: 'month', from: '2025-11-01', to: '2026-11-01' },
  ];
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    t = performance.now();
    for (const q of queries) await runQuery(store, planQuery(q, project, now));
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  // Where the time goes: each metric alone (total and, where it applies, by channel), best of the runs.
  const perMetric: Record<string, number> = {};
  if (arg('per-metric', 'no') === 'yes')
    for (const metric of metrics) {
      let best = Number.POSITIVE_INFINITY;
      for (let i = 0; i < runs; i++) {
        t = performance.now();
        for (const q of queries)
          if (q.metrics.includes(metric))
            await runQuery(store, planQuery({ ...q, metrics: [metric] }, project, now));
        best = Math.min(best, performance.now() - t);
      }
      perMetric[metric] = Math.round(best);
    }
  await store.close();
  console.log(
    JSON.stringify({
      benchmark: 'overview-queries',
      records: demo.total,
      metrics: metrics.length,
      queries: queries.length,
      loadSeconds: Math.round(loadSeconds * 10) / 10,
      runs,
      latencyMs: { p50: Math.round(percentile(times, 50)), p95: Math.round(percentile(times, 95)) },
      peakRssMb: peakRssMb(),
      ...(Object.keys(perMetric).length > 0 ? { perMetricMs: perMetric } : {}),
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
