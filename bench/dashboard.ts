/**
 * Dashboard benchmark: loads demo data into a fresh store, serves the dashboard, and drives Debian's
 * Chromium over every page, timing from navigation to the moment the page shows its numbers (no tile,
 * panel or list still loading). Prints the median and worst time per page over the runs.
 *
 *   npx tsx bench/dashboard.ts --records 1000000 --runs 3
 */
import { launchChromium, signIn, startDashboardServer, waitForNumbers } from '../test/browser.ts';
import { arg, peakRssMb, percentile } from './util.ts';

const records = Number(arg('records', '1000000'));
const runs = Number(arg('runs', '3'));
const range = { from: arg('from', '2026-08-01'), to: arg('to', '2026-11-01') };
const pages = ['overview', 'feedback', 'service', 'customers', 'digital', 'social', 'customer360'];

let t = performance.now();
const server = await startDashboardServer(records);
const loadSeconds = (performance.now() - t) / 1000;
const browser = await launchChromium();
try {
  const page = await (
    await browser.newContext({ locale: 'it-IT', viewport: { width: 1280, height: 900 } })
  ).newPage();
  await page.goto(server.url);
  await signIn(page, server.user);
  const times: Record<string, number[]> = Object.fromEntries(pages.map((p) => [p, []]));
  for (let run = 0; run < runs; run++)
    for (const id of pages) {
      t = performance.now();
      await page.goto(`${server.url}/?${new URLSearchParams({ page: id, ...range })}`);
      await waitForNumbers(page, id);
      times[id]!.push(performance.now() - t);
    }
  const perPage = Object.fromEntries(
    Object.entries(times).map(([id, ms]) => {
      const sorted = [...ms].sort((a, b) => a - b);
      return [id, { p50: Math.round(percentile(sorted, 50)), max: Math.round(sorted.at(-1)!) }];
    }),
  );
  console.log(
    JSON.stringify({
      benchmark: 'dashboard-time-to-numbers',
      records,
      range,
      runs,
      loadSeconds: Math.round(loadSeconds * 10) / 10,
      msPerPage: perPage,
      serverPeakRssMb: peakRssMb(),
    }),
  );
} finally {
  await browser.close();
  await server.close();
}
