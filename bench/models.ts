/**
 * Customer-model benchmark: BG/NBD + Gamma-Gamma fit time (grouping included) and peak memory on CDNOW
 * (2,357 customers) and on synthetic bases simulated from the BG/NBD/Gamma-Gamma processes with a seeded
 * RNG (purchase times in whole days). Each scenario runs in its own process so its peak RSS is its own.
 * "cold" is the first fit in a fresh process (JIT warm-up included), "warm" the median of the next runs.
 *
 * The churn scenario trains the churn model (5-fold cross-validation, calibration and the final fit) on a
 * synthetic customer base of 8 attributes whose churn follows a known logistic model.
 *
 *   npx tsx bench/models.ts                          # cdnow, 100k, 1M, churn on 1M
 *   npx tsx bench/models.ts --scenario 1000000 --runs 3
 *   npx tsx bench/models.ts --scenario churn:1000000
 *   npx tsx bench/models.ts --scenario priority       # GET /api/v1/customers/{id}/priority latency
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Random } from '../src/demo/random.ts';
import { fitBgNbd } from '../src/models/bgnbd.ts';
import { trainChurn } from '../src/models/churn.ts';
import { fitGammaGamma, spendData } from '../src/models/gamma-gamma.ts';
import { simulateRfm } from '../src/models/simulate.ts';
import { dayOf, groupRfm, isoDay, type RfmSummary, summarize } from '../src/models/summary.ts';
import { fitClvForProject } from '../src/service/models.ts';
import { importFile } from '../src/service/operations.ts';
import { cdnowOrders } from '../test/datasets.ts';
import { makeEnv } from '../test/helpers.ts';
import { arg, peakRssMb, percentile } from './util.ts';

const scenario = arg('scenario', '');
const runs = Number(arg('runs', '3'));

function load(name: string): RfmSummary {
  if (name === 'cdnow') return summarize(cdnowOrders(), dayOf('1997-09-30')!, 'week');
  return simulateRfm({
    customers: Number(name),
    seed: 7,
    bgnbd: { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 },
    gammaGamma: { p: 6.25, q: 3.74, gamma: 15.44 },
    weeks: 39,
    joinWeeks: 12,
    daily: true,
  });
}

/** Synthetic customers whose churn follows a logistic model of their attributes. */
function churnBase(n: number): { rows: Record<string, unknown>[]; y: Uint8Array } {
  const rng = new Random(5);
  const rows: Record<string, unknown>[] = new Array(n);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const contract = rng.weighted([
      ['monthly', 5],
      ['yearly', 3],
      ['two-year', 2],
    ] as const);
    const tenure = rng.int(0, 72);
    const monthly = 20 + rng.next() * 100;
    const tickets = rng.poisson(1.5);
    const nps = rng.int(0, 10);
    const row = {
      contract,
      tenure,
      monthly,
      tickets,
      nps,
      plan: rng.pick(['basic', 'plus', 'pro', 'team', 'enterprise']),
      paperless: rng.chance(0.6) ? 'yes' : 'no',
      region: rng.pick(['north', 'centre', 'south', 'islands']),
    };
    const z =
      -1 +
      (contract === 'monthly' ? 1.5 : contract === 'yearly' ? 0 : -1) -
      0.03 * tenure +
      0.01 * monthly +
      0.3 * tickets -
      0.15 * (nps - 5);
    y[i] = rng.next() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    rows[i] = row;
  }
  return { rows, y };
}

/** Latency of the priority endpoint on a store holding the CDNOW customers' CLV scores. */
async function priorityLatency(requests: number): Promise<Record<string, unknown>> {
  const env = await makeEnv();
  try {
    const orders = cdnowOrders();
    const file = join(env.dir, 'orders.csv');
    writeFileSync(
      file,
      [
        'id,timestamp,customerId,amount,currency',
        ...orders.map((o, i) => `o${i},${isoDay(o.day)}T12:00:00Z,${o.customerId},${o.amount},EUR`),
      ].join('\n'),
    );
    await importFile(env.store, { projectId: env.project.projectId, path: file, type: 'order' });
    await fitClvForProject(
      env.store,
      { projectId: env.project.projectId, cutoff: '1997-09-30', unit: 'week', horizon: 52 },
      new Date(),
    );
    const headers = { authorization: `Bearer ${env.project.secretKey}` };
    const times: number[] = [];
    for (let i = 0; i < requests; i++) {
      const id = String(1 + (i % 2357));
      const t0 = performance.now();
      const res = await env.app.inject({ url: `/api/v1/customers/${id}/priority`, headers });
      times.push(performance.now() - t0);
      if (res.statusCode !== 200) throw new Error(`priority answered ${res.statusCode}`);
    }
    times.sort((a, b) => a - b);
    const ms = (p: number) => Math.round(percentile(times, p) * 100) / 100;
    return { scenario: 'priority', requests, p50Ms: ms(50), p99Ms: ms(99), peakRssMb: peakRssMb() };
  } finally {
    await env.close();
  }
}

if (scenario === 'priority') {
  process.stdout.write(`${JSON.stringify(await priorityLatency(Number(arg('requests', '2000'))))}\n`);
} else if (scenario.startsWith('churn:')) {
  const { rows, y } = churnBase(Number(scenario.slice('churn:'.length)));
  const t0 = performance.now();
  const trained = trainChurn(rows, y, { seed: 1 });
  process.stdout.write(
    `${JSON.stringify({
      scenario,
      customers: rows.length,
      trainMs: Math.round(performance.now() - t0),
      peakRssMb: peakRssMb(),
      result: `5-fold CV AUC ${trained.cv.auc.toFixed(4)}, ${trained.encoder.features.length} features`,
    })}\n`,
  );
} else if (scenario) {
  const summary = load(scenario);
  const times: number[] = [];
  let groups = 0;
  let result = '';
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const g = groupRfm(summary);
    const bg = fitBgNbd(g);
    const gg = fitGammaGamma(spendData(summary));
    times.push(performance.now() - t0);
    groups = g.x.length;
    const p = (o: object) =>
      Object.entries(o)
        .map(([k, v]) => `${k}=${(v as number).toFixed(3)}`)
        .join(' ');
    result = `${p(bg.params)} | ${p(gg.params)}`;
  }
  const warm = times.slice(1).sort((a, b) => a - b);
  process.stdout.write(
    `${JSON.stringify({
      scenario,
      customers: summary.ids.length,
      groups,
      coldMs: Math.round(times[0]!),
      warmMs: warm.length > 0 ? Math.round(percentile(warm, 50)) : null,
      peakRssMb: peakRssMb(),
      result,
    })}\n`,
  );
} else {
  const rows = ['cdnow', '100000', '1000000', 'churn:1000000', 'priority'].map((name) => {
    const out = execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        process.argv[1]!,
        '--scenario',
        name,
        '--runs',
        String(name === '1000000' ? 3 : runs),
      ],
      { encoding: 'utf8' },
    );
    return JSON.parse(out) as Record<string, unknown>;
  });
  console.log('BG/NBD + Gamma-Gamma fit (grouping by (x, tx, T) included); churn model training');
  for (const r of rows)
    if (r.p50Ms !== undefined)
      console.log(
        `priority ${r.requests} requests (app.inject, CDNOW scores stored): p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms`,
      );
    else if (r.trainMs !== undefined)
      console.log(
        `${String(r.scenario).padEnd(8)} ${r.customers} customers: trained in ${r.trainMs} ms, peak RSS ${r.peakRssMb} MB\n         ${r.result}`,
      );
    else
      console.log(
        `${String(r.scenario).padEnd(8)} ${String(r.customers).padStart(8)} customers, ${String(r.groups).padStart(7)} groups: cold ${r.coldMs} ms, warm ${r.warmMs} ms, peak RSS ${r.peakRssMb} MB\n         ${r.result}`,
      );
}
