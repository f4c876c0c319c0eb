/**
 * Health score per customer on demo data: `fit health` (the report with its cross-validated suggested
 * weights, then every active customer's score stored) and the customer 360's models answer
 * (`GET /api/v1/customers/{id}/models`: stored scores, the health history computed from the records)
 * and the routing priority (one read of the stored scores) for a sample of customers — latency
 * percentiles and peak memory.
 *
 *   npx tsx bench/health.ts --records 1000000 [--customers 50]
 *   npx tsx bench/health.ts --store DIR --project ID   # a store loaded before (bench/demo-store.ts)
 */
import { rmSync } from 'node:fs';
import { fitHealth } from '../src/service/health.ts';
import { customerModels, customerPriority } from '../src/service/models.ts';
import { tempDir } from '../test/helpers.ts';
import { loadDemoStore, NOW, openStore } from './demo-store.ts';
import { arg, peakRssMb, percentile } from './util.ts';

const reuse = arg('store', '');
const sample = Number(arg('customers', '50'));
const dir = reuse ? '' : tempDir('polso-bench-health-');
try {
  const { store, projectId } = reuse
    ? { store: await openStore(reuse), projectId: arg('project', '') }
    : await loadDemoStore(dir, Number(arg('records', '1000000')));
  const project = (await store.getProject(projectId))!;
  const asOf = NOW.toISOString().slice(0, 10);
  let t = performance.now();
  const fitted = await fitHealth(store, { projectId, asOf, horizonDays: 90 }, NOW);
  const fitMs = performance.now() - t;
  const ids = await store.sql(`SELECT id FROM customers WHERE project_id = $p ORDER BY hash(id) LIMIT $n`, {
    p: projectId,
    n: sample,
  });
  const times: number[] = [];
  for (const { id } of ids) {
    t = performance.now();
    await customerModels(store, project, String(id), NOW);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const priority: number[] = [];
  for (let k = 0; k < 4; k++)
    for (const { id } of ids) {
      t = performance.now();
      await customerPriority(store, projectId, String(id)).catch(() => null);
      priority.push(performance.now() - t);
    }
  priority.sort((a, b) => a - b);
  const customers = await store.count(projectId, 'customer');
  await store.close();
  console.log(
    JSON.stringify({
      benchmark: 'health',
      customers,
      fitHealth: {
        ms: Math.round(fitMs),
        active: fitted.report.customers,
        lost: fitted.report.lost,
        scored: fitted.scored,
        auc: fitted.report.current.auc,
        suggestedAuc: fitted.report.suggested.auc,
      },
      customerModelsMs: {
        n: times.length,
        p50: Math.round(percentile(times, 50)),
        p95: Math.round(percentile(times, 95)),
      },
      priorityMs: {
        n: priority.length,
        p50: Math.round(percentile(priority, 50) * 100) / 100,
        p99: Math.round(percentile(priority, 99) * 100) / 100,
      },
      peakRssMb: peakRssMb(),
    }),
  );
} finally {
  if (!reuse) rmSync(dir, { recursive: true, force: true });
}
