/**
 * Dashboard benchmark: loads demo data into a fresh store, serves the dashboard, and drives Debian's
 * Chromium over every page, timing from navigation to the moment the page shows its numbers (no tile,
 * panel or list still loading). Prints per page the first visit (the server computes its answers) and
 * the median and worst of the later visits (answers from the metric memo); a page still loading after
 * --timeout ms counts as Infinity, printed as null, and what it waits for is named. The view is the one
 * the dashboard opens on unless --from/--to say otherwise.
 *
 *   npx tsx bench/dashboard.ts --records 1000000 --runs 3
 *   npx tsx bench/dashboard.ts --url http://127.0.0.1:8787 --key polso_sk_…   # a running server (e.g. quickstart)
 *   … --from 2026-02-01 --to 2026-05-01 --filter segment=smb                     # another view, filtered
 */

import { defaultRange } from '../src/views/dashboard.ts';
import {
  launchChromium,
  signIn,
  startDashboardServer,
  stillLoading,
  waitForNumbers,
} from '../test/browser.ts';
import { NOW } from './demo-store.ts';
import { arg, peakRssMb, percentile } from './util.ts';

const records = Number(arg('records', '1000000'));
const runs = Number(arg('runs', '3'));
const target = arg('url', '');
// By default the view a page opens on: the last three whole months before today on a running
// server, before the demo store's fixed clock otherwise.
const opened = defaultRange(target ? new Date() : NOW);
const range = { from: arg('from', opened.from), to: arg('to', opened.to) };
/** Global filters of the view, as in its URL (`--filter segment=smb,channel=chat`). */
const filters = Object.fromEntries(
  arg('filter', '')
    .split(',')
    .filter(Boolean)
    .map((f) => f.split('=') as [string, string]),
);
const timeoutMs = Number(arg('timeout', '60000'));
const pages = ['overview', 'feedback', 'service', 'customers', 'digital', 'social', 'customer360'];

let t = performance.now();
const server = target ? null : await startDashboardServer(records);
const loadSeconds = (performance.now() - t) / 1000;
const url = server?.url ?? target;
const browser = await launchChromium();
try {
  const page = await (
    await browser.newContext({ locale: 'it-IT', viewport: { width: 1280, height: 900 } })
  ).newPage();
  await page.goto(url);
  if (server) await signIn(page, server.user);
  else {
    await page.getByRole('button', { name: /chiave segreta/ }).click();
    await page.getByLabel(/Chiave segreta/).fill(arg('key', ''));
    await page.getByRole('button', { name: 'Accedi', exact: true }).click();
    await page.locator('main[data-page]').waitFor();
  }
  const times: Record<string, number[]> = Object.fromEntries(pages.map((p) => [p, []]));
  for (let run = 0; run < runs; run++)
    for (const id of pages) {
      t = performance.now();
      await page.goto(`${url}/?${new URLSearchParams({ page: id, ...range, ...filters })}`);
      try {
        await waitForNumbers(page, id, timeoutMs);
        times[id]!.push(performance.now() - t);
      } catch {
        console.error(
          `${id}: no numbers after ${timeoutMs} ms; still loading: ${(await stillLoading(page)).join(', ')}`,
        );
        times[id]!.push(Number.POSITIVE_INFINITY);
      }
    }
  const perPage = Object.fromEntries(
    Object.entries(times).map(([id, ms]) => {
      const later = ms.slice(1).sort((a, b) => a - b);
      return [
        id,
        {
          first: Math.round(ms[0]!),
          ...(later.length > 0
            ? { p50: Math.round(percentile(later, 50)), max: Math.round(later.at(-1)!) }
            : {}),
        },
      ];
    }),
  );
  console.log(
    JSON.stringify({
      benchmark: 'dashboard-time-to-numbers',
      records: server ? records : `served at ${url}`,
      range,
      ...(Object.keys(filters).length > 0 ? { filters } : {}),
      runs,
      loadSeconds: Math.round(loadSeconds * 10) / 10,
      msPerPage: perPage,
      serverPeakRssMb: peakRssMb(),
    }),
  );
} finally {
  await browser.close();
  await server?.close();
}
