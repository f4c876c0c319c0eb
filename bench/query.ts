/**
 * Query benchmark: the question set behind an overview dashboard — every metric of the catalogue,
 * 12 monthly points, in total and by channel where channel applies — on demo data loaded into a fresh
 * store. Prints p50/p95 latency of the whole set over repeated runs and peak memory.
 *
 *   npx tsx bench/query.ts --records 1000000 --runs 5 [--per-metric yes]
 *   npx tsx bench/query.ts --store DIR --project ID --runs 5   # a store loaded before (bench/demo-store.ts)
 */
import { rmSync } from 'node:fs';
import { planQuery } from '../src/engine/plan.ts';
import { runQuery } from '../src/engine/run.ts';
import { RECORD_KINDS } from '../src/model/kinds.ts';
import { tempDir } from '../test/helpers.ts';
import { loadDemoStore, NOW, OVERVIEW_METRICS, OVERVIEW_QUERIES, openStore } from './demo-store.ts';
import { arg, peakRssMb, percentile } from './util.ts';

const size = Number(arg('records', '1000000'));
const runs = Number(arg('runs', '5'));
const reuse = arg('store', '');
const dir = reuse || tempDir('polso-bench-query-');
try {
  const { demo, store, projectId, loadSeconds } = reuse
    ? { demo: null, store: await openStore(reuse), projectId: arg('project', ''), loadSeconds: 0 }
    : await loadDemoStore(dir, size);
  const project = (await store.getProject(projectId))!;
  let records = demo?.total ?? 0;
  if (!demo) for (const kind of RECORD_KINDS) records += await store.count(projectId, kind);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    for (const q of OVERVIEW_QUERIES) await runQuery(store, planQuery(q, project, NOW));
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  // Where the time goes: each metric alone (total and, where it applies, by channel), best of the runs.
  const perMetric: Record<string, number> = {};
  if (arg('per-metric', 'no') === 'yes')
    for (const metric of OVERVIEW_METRICS) {
      let best = Number.POSITIVE_INFINITY;
      for (let i = 0; i < runs; i++) {
        const t = performance.now();
        for (const q of OVERVIEW_QUERIES)
          if (q.metrics.includes(metric))
            await runQuery(store, planQuery({ ...q, metrics: [metric] }, project, NOW));
        best = Math.min(best, performance.now() - t);
      }
      perMetric[metric] = Math.round(best);
    }
  await store.close();
  console.log(
    JSON.stringify({
      benchmark: 'overview-queries',
      records,
      metrics: OVERVIEW_METRICS.length,
      queries: OVERVIEW_QUERIES.length,
      loadSeconds: Math.round(loadSeconds * 10) / 10,
      runs,
      latencyMs: { p50: Math.round(percentile(times, 50)), p95: Math.round(percentile(times, 95)) },
      peakRssMb: peakRssMb(),
      ...(Object.keys(perMetric).length > 0 ? { perMetricMs: perMetric } : {}),
    }),
  );
} finally {
  if (!reuse) rmSync(dir, { recursive: true, force: true });
}
