/**
 * Query benchmark: the question set behind an overview dashboard — every metric of the catalogue,
 * 12 monthly points, in total and by channel where channel applies — on demo data loaded into a fresh
 * store. Prints, with the metric memo: the first (cold) run, the repeated runs answered from the memo,
 * runs each after a live batch of records in the last month, runs each after a batch in the current
 * month (after the range), and the first run after a restart
 * (the store reopened on its file, the memo's cells read back from it); without it (`--memo no`):
 * every run from the raw records. Latency p50/p95 and peak memory. A reused store starts cold: a
 * setting written first makes every cell its file kept stale.
 *
 *   npx tsx bench/query.ts --records 1000000 --runs 5 [--live 5] [--per-metric yes] [--memo no]
 *   npx tsx bench/query.ts --store DIR --project ID --runs 5   # a store loaded before (bench/demo-store.ts)
 */
import { rmSync } from 'node:fs';
import { planQuery } from '../src/engine/plan.ts';
import { runQuery } from '../src/engine/run.ts';
import { DEFAULT_LIMITS, ingestItems } from '../src/ingest/batch.ts';
import { RECORD_KINDS } from '../src/model/kinds.ts';
import { tempDir } from '../test/helpers.ts';
import { loadDemoStore, NOW, OVERVIEW_METRICS, OVERVIEW_QUERIES, openStore } from './demo-store.ts';
import { arg, peakRssMb, percentile } from './util.ts';

const size = Number(arg('records', '1000000'));
const runs = Number(arg('runs', '5'));
const reuse = arg('store', '');
const memo = arg('memo', 'yes') !== 'no';
const liveRuns = memo ? Number(arg('live', '3')) : 0;
const LIVE_BATCH = 1000;
const dir = reuse || tempDir('polso-bench-query-');
try {
  let { demo, store, projectId, loadSeconds } = reuse
    ? {
        demo: null,
        store: await openStore(reuse, memo ? undefined : 0),
        projectId: arg('project', ''),
        loadSeconds: 0,
      }
    : await loadDemoStore(dir, size, memo ? undefined : 0);
  const project = (await store.getProject(projectId))!;
  if (reuse && memo) await store.updateProjectConfig(projectId, {});
  let records = demo?.total ?? 0;
  if (!demo) for (const kind of RECORD_KINDS) records += await store.count(projectId, kind);
  const overview = async (): Promise<number> => {
    const t = performance.now();
    for (const q of OVERVIEW_QUERIES) await runQuery(store, planQuery(q, project, NOW));
    return performance.now() - t;
  };
  const cold = await overview();
  const times: number[] = [];
  for (let i = 1; i < runs; i++) times.push(await overview());
  times.sort((a, b) => a - b);
  // Live ingestion: a batch of records in the data's last day, as a dashboard sees it arrive.
  const customers = (
    await store.sql(`SELECT id FROM customers WHERE project_id = $p ORDER BY id LIMIT ${LIVE_BATCH}`, {
      p: projectId,
    })
  ).map((r) => String(r.id));
  // Ids unique to this invocation, so a store reused by several runs takes every batch as new.
  const stamp = Date.now().toString(36);
  /** Overview times, each after a batch of records of five kinds at `start` (epoch ms) onwards. */
  const afterBatches = async (label: string, start: number): Promise<number[]> => {
    const times: number[] = [];
    for (let i = 0; i < liveRuns; i++) {
      const at = (k: number) => new Date(start + i * 60_000 + k * 50).toISOString();
      const records = customers.map((customerId, k) => {
        const base = { id: `${label}-${stamp}-${i}-${k}`, timestamp: at(k), customerId };
        switch (k % 5) {
          case 0:
            return { ...base, type: 'event', name: 'Report Exported', feature: 'reports' };
          case 1:
            return { ...base, type: 'contact', channel: 'chat', reason: 'fatturazione' };
          case 2:
            return { ...base, type: 'order', amount: 80, currency: 'EUR' };
          case 3:
            return {
              ...base,
              type: 'survey_response',
              surveyId: 'nps_rel',
              questionId: 'q1',
              metric: 'nps',
              score: k % 11,
            };
          default:
            return { ...base, type: 'social', platform: 'instagram', kind: 'like' };
        }
      });
      const items = records.map((value, index) => ({ index, value }));
      const result = await ingestItems(store, project, 'write', items, DEFAULT_LIMITS);
      if (result.rejectedCount > 0)
        throw new Error(`live batch rejected: ${JSON.stringify(result.rejected[0])}`);
      times.push(await overview());
    }
    return times.sort((a, b) => a - b);
  };
  // Late records in the range's last day (its last month is computed again), then records of the
  // current month, after the range (only what looks ahead past the range's end is: FCR's repeat
  // window, funnels' windows, a customer's first value).
  const live = await afterBatches('live', NOW.getTime() - 3 * 3_600_000);
  const current = await afterBatches('now', NOW.getTime() + 3_600_000);
  let restart: { openMs: number; cellsRead: number; firstMs: number } | undefined;
  if (memo) {
    await store.close();
    const t = performance.now();
    store = await openStore(reuse || `${dir}/db`);
    const openMs = performance.now() - t;
    restart = {
      openMs: Math.round(openMs),
      cellsRead: store.memo.size,
      firstMs: Math.round(await overview()),
    };
  }
  // Where the time goes: each metric alone from the raw records (total and, where it applies, by
  // channel), best of the runs.
  const raw = { dialect: store.dialect, select: store.select.bind(store) };
  const perMetric: Record<string, number> = {};
  if (arg('per-metric', 'no') === 'yes')
    for (const metric of OVERVIEW_METRICS) {
      let best = Number.POSITIVE_INFINITY;
      for (let i = 0; i < runs; i++) {
        const t = performance.now();
        for (const q of OVERVIEW_QUERIES)
          if (q.metrics.includes(metric))
            await runQuery(raw, planQuery({ ...q, metrics: [metric] }, project, NOW));
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
      memo,
      coldMs: Math.round(cold),
      // With the memo: repeated runs answered from it; without: every run from the raw records.
      latencyMs: {
        p50: Math.round(percentile(memo ? times : [...times, cold].sort((a, b) => a - b), 50)),
        p95: Math.round(percentile(memo ? times : [...times, cold].sort((a, b) => a - b), 95)),
      },
      ...(liveRuns > 0
        ? {
            afterLiveBatchMs: {
              batch: LIVE_BATCH,
              runs: liveRuns,
              p50: Math.round(percentile(live, 50)),
              p95: Math.round(percentile(live, 95)),
            },
            afterCurrentMonthBatchMs: {
              batch: LIVE_BATCH,
              runs: liveRuns,
              p50: Math.round(percentile(current, 50)),
              p95: Math.round(percentile(current, 95)),
            },
          }
        : {}),
      ...(restart ? { afterRestart: restart } : {}),
      peakRssMb: peakRssMb(),
      ...(Object.keys(perMetric).length > 0 ? { perMetricMs: perMetric } : {}),
    }),
  );
} finally {
  if (!reuse) rmSync(dir, { recursive: true, force: true });
}
