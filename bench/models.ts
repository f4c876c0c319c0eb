/**
 * Customer-model benchmark: BG/NBD + Gamma-Gamma fit time (grouping included) and peak memory on CDNOW
 * (2,357 customers) and on synthetic bases simulated from the BG/NBD/Gamma-Gamma processes with a seeded
 * RNG (purchase times in whole days). Each scenario runs in its own process so its peak RSS is its own.
 * "cold" is the first fit in a fresh process (JIT warm-up included), "warm" the median of the next runs.
 *
 *   npx tsx bench/models.ts                          # cdnow, 100k, 1M
 *   npx tsx bench/models.ts --scenario 1000000 --runs 3
 */
import { execFileSync } from 'node:child_process';
import { fitBgNbd } from '../src/models/bgnbd.ts';
import { fitGammaGamma, spendData } from '../src/models/gamma-gamma.ts';
import { simulateRfm } from '../src/models/simulate.ts';
import { dayOf, groupRfm, type RfmSummary, summarize } from '../src/models/summary.ts';
import { cdnowOrders } from '../test/datasets.ts';
import { arg, peakRssMb, percentile } from './util.ts';

const scenario = arg('scenario', '');
const runs = Number(arg('runs', '5'));

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

if (scenario) {
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
  const rows = ['cdnow', '100000', '1000000'].map((name) => {
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
  console.log('BG/NBD + Gamma-Gamma fit (grouping by (x, tx, T) included)');
  for (const r of rows)
    console.log(
      `${String(r.scenario).padEnd(8)} ${String(r.customers).padStart(8)} customers, ${String(r.groups).padStart(7)} groups: cold ${r.coldMs} ms, warm ${r.warmMs} ms, peak RSS ${r.peakRssMb} MB\n         ${r.result}`,
    );
}
