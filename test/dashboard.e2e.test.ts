/**
 * The dashboard end to end, in Debian's Chromium: sign-in, every page's numbers equal to
 * `POST /api/v1/query` for the same filters, filters and drill-down, the language switch, the
 * customer 360 view, no console errors, an axe-core check and a screenshot of every page
 * (test-output/screenshots/).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fitHealth } from '../src/service/health.ts';
import { fitChurn, fitClvForProject } from '../src/service/models.ts';
import { dashboardSeeds, QueryWarmer } from '../src/service/warm.ts';
import { systemClock } from '../src/util/clock.ts';
import { presetRange, RANGE_PRESETS } from '../src/views/dashboard.ts';
import type { CustomerModelsData } from '../web/dashboard/src/api.ts';
import { formatValue, type Lang, type Unit } from '../web/dashboard/src/format.ts';
import {
  type DashboardServer,
  launchChromium,
  signIn,
  startDashboardServer,
  waitForNumbers,
} from './browser.ts';

const SHOTS = resolve(import.meta.dirname, '../test-output/screenshots');
const RANGE = { from: '2026-08-01', to: '2026-11-01' };
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const PAGES = [
  ['overview', 'Panoramica'],
  ['feedback', 'Feedback'],
  ['service', 'Assistenza'],
  ['customers', 'Clienti'],
  ['digital', 'Digitale'],
  ['social', 'Social'],
] as const;

type Catalogue = { metrics: { id: string; unit: Unit; dimensions: string[] }[] };
type Value = { value: number | null; n: number };

describe('dashboard in Chromium', () => {
  let server: DashboardServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let catalogue: Catalogue;
  const problems: string[] = [];

  async function api<T>(path: string, body?: unknown): Promise<T> {
    const res = await fetch(server.url + path, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${server.project.secretKey}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    expect(res.status, path).toBe(200);
    return (await res.json()) as T;
  }

  /** The API's total of one metric for the view's range, comparison and the filters that apply to it. */
  async function apiValue(id: string, filters: Record<string, string[]> = {}): Promise<Value> {
    const dims = catalogue.metrics.find((m) => m.id === id)!.dimensions;
    const applicable = Object.fromEntries(Object.entries(filters).filter(([d]) => dims.includes(d)));
    const body = {
      metrics: [id],
      ...RANGE,
      compare: 'previous_period',
      ...(Object.keys(applicable).length ? { filters: applicable } : {}),
    };
    return (await api<{ rows: Record<string, Value>[] }>('/api/v1/query', body)).rows[0]![id]!;
  }

  /** Every tile on the page shows the API's value, formatted for `lang`; returns how many were compared. */
  async function checkTiles(lang: Lang, filters: Record<string, string[]> = {}): Promise<number> {
    const tiles = await page.locator('.tile[data-value]').evaluateAll((els) =>
      els.map((el) => ({
        id: el.getAttribute('data-metric')!,
        raw: el.getAttribute('data-value')!,
        n: el.getAttribute('data-n')!,
        text: el.querySelector('.value')!.textContent!,
      })),
    );
    for (const tile of tiles) {
      const expected = await apiValue(tile.id, filters);
      const unit = catalogue.metrics.find((m) => m.id === tile.id)!.unit;
      expect({ id: tile.id, raw: tile.raw, n: tile.n, text: tile.text }).toEqual({
        id: tile.id,
        raw: expected.value === null ? '' : String(expected.value),
        n: String(expected.n),
        text: formatValue(expected.value, unit, lang),
      });
    }
    return tiles.length;
  }

  async function axe(name: string): Promise<void> {
    // Evaluated through the DevTools protocol, so the page's Content-Security-Policy stays on.
    await page.evaluate(AXE);
    const violations = await page.evaluate(async () => {
      const w = window as unknown as {
        axe: { run(): Promise<{ violations: { id: string; nodes: { target: unknown }[] }[] }> };
      };
      return (await w.axe.run()).violations.map(
        (v) => `${v.id}: ${JSON.stringify(v.nodes.slice(0, 3).map((n) => n.target))}`,
      );
    });
    expect(violations, name).toEqual([]);
  }

  const shoot = (name: string) => page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });

  async function open(id: string, label: string) {
    await page.getByRole('navigation').getByRole('link', { name: label, exact: true }).click();
    await waitForNumbers(page, id);
  }

  /** Opens a page from its address, with the test's range (each test starts from a clean view). */
  async function visit(id: string, extra: Record<string, string> = {}) {
    await page.goto(`${server.url}/?${new URLSearchParams({ page: id, ...RANGE, ...extra })}`);
    await waitForNumbers(page, id);
  }

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    server = await startDashboardServer(15_000, { threads: 2 });
    catalogue = await api<Catalogue>('/api/v1/metrics');
    browser = await launchChromium();
    context = await browser.newContext({ locale: 'it-IT', viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    // Every request stays on this server (no CDN).
    page.on('request', (r) => {
      if (!r.url().startsWith(server.url) && !r.url().startsWith('data:') && !r.url().startsWith('blob:'))
        problems.push(`request outside Polso: ${r.url()}`);
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('asks to sign in, refuses a wrong password, and signs in', async () => {
    await page.goto(`${server.url}/?from=${RANGE.from}&to=${RANGE.to}`);
    await page.getByRole('heading', { name: 'Accedi' }).waitFor();
    await axe('sign-in');
    await shoot('sign-in');
    await page.getByLabel('E-mail').fill(server.user.email);
    await page.getByLabel('Password').fill('not the password');
    const refused = page.waitForEvent('console');
    await page.getByRole('button', { name: 'Accedi', exact: true }).click();
    await page.getByRole('alert').waitFor();
    // The browser logs the 401 itself; it is the expected answer, not a fault of the page.
    await refused;
    problems.length = 0;
    await signIn(page, server.user);
    await waitForNumbers(page, 'overview');
    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === 'polso_session')).toMatchObject({
      httpOnly: true,
      secure: true,
      sameSite: 'Strict',
    });
  });

  it('shows on every page the numbers of the query API, with an axe check and a screenshot', async () => {
    let compared = 0;
    for (const [id, label] of PAGES) {
      await open(id, label);
      expect(await page.locator('h1').textContent()).toBe(label);
      compared += await checkTiles('it');
      await axe(id);
      await shoot(id);
    }
    expect(compared).toBeGreaterThanOrEqual(35);
  });

  it('shows a panel by dimension with the API numbers, and drills down to the records behind a point', async () => {
    await visit('service');
    const panel = page.locator('[data-panel="volume-channel"]');
    await panel.getByText('Valore').click();
    const shown = await panel
      .locator('tbody tr')
      .evaluateAll((rows) =>
        rows.map((r) => [
          r.getAttribute('data-key'),
          r.querySelector('td[data-value]')!.getAttribute('data-value'),
        ]),
      );
    const api_ = await api<{ rows: Record<string, unknown>[] }>('/api/v1/query', {
      metrics: ['contact_volume'],
      groupBy: ['channel'],
      ...RANGE,
    });
    expect(shown).toEqual(
      api_.rows.map((r) => [String(r.channel), String((r.contact_volume as Value).value)]),
    );
    const chat = api_.rows.find((r) => r.channel === 'chat')!.contact_volume as Value;
    await panel.getByRole('button', { name: 'chat', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.locator('.drill-total').waitFor();
    expect(await dialog.locator('.drill-total').textContent()).toBe(
      new Intl.NumberFormat('it-IT').format(chat.n),
    );
    expect(await dialog.locator('tbody tr').count()).toBe(Math.min(chat.n, 100));
    await axe('drill-down');
    await shoot('drill-down');
    await dialog.getByRole('button', { name: 'Chiudi' }).click();
  });

  it('shows contacts by local weekday and hour as the API counts them, and opens the contacts of a cell', async () => {
    await visit('service');
    const panel = page.locator('[data-panel="heatmap"]');
    await panel.getByText('Valore').click();
    const shown = await panel
      .locator('tbody tr')
      .evaluateAll((rows) =>
        rows.flatMap((r) =>
          [...r.querySelectorAll('td[data-hour]')]
            .filter((td) => td.getAttribute('data-value') !== '0')
            .map((td) => [
              Number(r.getAttribute('data-key')),
              Number(td.getAttribute('data-hour')),
              Number(td.getAttribute('data-value')),
            ]),
        ),
      );
    const api_ = await api<{ rows: Record<string, unknown>[] }>('/api/v1/query', {
      metrics: ['contact_volume'],
      groupBy: ['weekday', 'hour'],
      ...RANGE,
    });
    const expected = api_.rows
      .map((r) => [Number(r.weekday), Number(r.hour), (r.contact_volume as Value).value])
      .filter(([, , v]) => v! > 0)
      .sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
    expect(shown.length).toBeGreaterThan(20);
    expect(shown).toEqual(expected);
    // The busiest cell's contacts.
    const [day, hour, count] = [...expected].sort((a, b) => b[2]! - a[2]!)[0]!;
    await panel.locator(`tr[data-key="${day}"] td[data-hour="${hour}"] button`).click();
    const dialog = page.getByRole('dialog');
    await dialog.locator('.drill-total').waitFor();
    expect(await dialog.locator('.drill-total').textContent()).toBe(
      new Intl.NumberFormat('it-IT').format(count!),
    );
    await dialog.getByRole('button', { name: 'Chiudi' }).click();
  });

  it('applies a global filter to every tile that takes it, and keeps it in the URL', async () => {
    await visit('feedback');
    await page.getByRole('combobox', { name: 'Canale', exact: true }).selectOption('chat');
    await waitForNumbers(page, 'feedback');
    expect(new URL(page.url()).searchParams.get('channel')).toBe('chat');
    expect(await checkTiles('it', { channel: ['chat'] })).toBeGreaterThan(3);
    // The comments are those of the chat answers behind the metrics, newest first.
    const shown = await page.locator('.comments li p:first-child').allTextContents();
    const behind = await Promise.all(
      ['nps', 'csat', 'ces'].map((m) =>
        api<{ records: { comment?: string; timestamp: string }[] }>('/api/v1/query/records', {
          metrics: [m],
          ...RANGE,
          filters: { channel: ['chat'] },
          limit: 300,
        }),
      ),
    );
    const expected = behind
      .flatMap((b) => b.records)
      .filter((r) => r.comment?.trim())
      .sort((a, b) => b.timestamp.localeCompare(a.timestamp))
      .slice(0, 50)
      .map((r) => r.comment);
    expect(shown).toEqual(expected);
    // A shared link opens the same view.
    const again = await context.newPage();
    await again.goto(page.url());
    await waitForNumbers(again, 'feedback');
    expect(await again.getByRole('combobox', { name: 'Canale', exact: true }).inputValue()).toBe('chat');
    await again.close();
  });

  it('switches to English with English number formats', async () => {
    await visit('overview');
    await page.getByLabel('Lingua').selectOption('en');
    await waitForNumbers(page, 'overview');
    expect(await page.locator('h1').textContent()).toBe('Overview');
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('en');
    expect(await checkTiles('en')).toBeGreaterThan(8);
    const csat = await page.locator('.tile[data-metric="csat"] .value').textContent();
    expect(csat).toMatch(/^\d+(\.\d)?%$/);
    await shoot('overview-en');
  });

  it('finds a customer and shows the 360 view with every record and model from the API', async () => {
    // The models fitted as the demo command fits them, then a customer who has every score.
    const projectId = server.project.projectId;
    const now = new Date();
    await fitClvForProject(server.store, { projectId, cutoff: '2026-10-31', unit: 'week', horizon: 52 }, now);
    await fitChurn(server.store, { projectId }, now);
    await fitHealth(server.store, { projectId, asOf: '2026-11-01', horizonDays: 90 }, now);
    const [scored] = await server.store.sql(
      `SELECT customer_id FROM customer_scores WHERE project_id = $p
        GROUP BY customer_id HAVING count(DISTINCT model) = 7 ORDER BY customer_id LIMIT 1`,
      { p: projectId },
    );
    const target = (
      await api<{ customer: { id: string; name: string } }>(
        `/api/v1/customers/${encodeURIComponent(String(scored!.customer_id))}`,
      )
    ).customer;
    await visit('customer360');
    await page.getByRole('searchbox').fill(target.name);
    await page.getByRole('searchbox').press('Enter');
    await waitForNumbers(page, 'customer360');
    await page.getByRole('button', { name: target.name }).first().click();
    await page.locator(`.c360[data-customer="${target.id}"]`).waitFor();
    await waitForNumbers(page, 'customer360');
    const full = await api<{
      contacts: unknown[];
      orders: unknown[];
      answers: unknown[];
      timeline: unknown[];
    }>(`/api/v1/customers/${encodeURIComponent(target.id)}`);
    expect(await page.locator('[data-field="name"]').textContent()).toBe(target.name);
    expect(await page.getByRole('table', { name: 'Contatti' }).locator('tbody tr').count()).toBe(
      full.contacts.length,
    );
    expect(await page.getByRole('table', { name: 'Acquisti' }).locator('tbody tr').count()).toBe(
      full.orders.length,
    );
    expect(await page.locator('.timeline li').count()).toBe(full.timeline.length);
    const models = await api<CustomerModelsData>(`/api/v1/customers/${encodeURIComponent(target.id)}/models`);
    const tile = (model: string) => page.locator(`.tile[data-model="${model}"] .value`).textContent();
    expect(await tile('priority')).toBe(String(models.priority.priority));
    expect(await tile('clv')).toBe(formatValue(models.clv!.value, 'currency', 'it'));
    expect(await tile('churn_risk')).toBe(formatValue(100 * models.churnRisk!.value!, 'percent', 'it'));
    expect(await tile('health_score')).toBe(formatValue(models.health.current!.score, 'points', 'it'));
    expect(await page.locator('.health-parts tbody tr').count()).toBe(6);
    expect(await page.locator('.health-history td').count()).toBe(models.health.history.length);
    expect(await page.locator('.tile[data-model="churn_risk"] li').count()).toBe(
      models.churnRisk!.top.length,
    );
    await axe('customer360');
    await shoot('customer360');
  });

  it("draws the feedback page's answers by score and question type as the API counts them", async () => {
    await visit('feedback');
    const it_ = new Intl.NumberFormat('it-IT');
    type Summary = Value & { distribution: Record<string, number> };
    const api_ = await api<{ rows: Record<string, unknown>[] }>('/api/v1/query', {
      metrics: ['question_summary'],
      groupBy: ['question_type'],
      ...RANGE,
    });
    const types = api_.rows.map((r) => String(r.question_type));
    expect(types).toEqual(expect.arrayContaining(['nps', 'csat', 'ces']));
    const scores = [
      ...new Set(
        api_.rows.flatMap((r) => Object.keys((r.question_summary as Summary).distribution).map(Number)),
      ),
    ].sort((a, b) => a - b);
    const shown = await page
      .locator('[data-panel="scores"] tbody tr')
      .evaluateAll((rows) =>
        rows.map((r) => [
          r.getAttribute('data-key'),
          ...[...r.querySelectorAll('td')].map((td) => td.textContent),
        ]),
      );
    expect(shown).toEqual(
      api_.rows.map((r) => {
        const s = r.question_summary as Summary;
        return [
          String(r.question_type),
          it_.format(s.n),
          ...scores.map((x) => it_.format(s.distribution[x] ?? 0)),
        ];
      }),
    );
    // A question type's row opens its answers.
    const nps = api_.rows.find((r) => r.question_type === 'nps')!.question_summary as Summary;
    await page.locator('[data-panel="scores"] tr[data-key="nps"] button').click();
    const dialog = page.getByRole('dialog');
    await dialog.locator('.drill-total').waitFor();
    expect(await dialog.locator('.drill-total').textContent()).toBe(it_.format(nps.n));
    await dialog.getByRole('button', { name: 'Chiudi' }).click();
  });

  it("draws the customers page's health bands, cohorts and model distributions as the API answers them", async () => {
    // After the models' fits of the customer 360 test.
    await visit('customers');
    const it_ = new Intl.NumberFormat('it-IT');
    const cellsOf = (panel: string) =>
      page
        .locator(`[data-panel="${panel}"] tbody tr`)
        .evaluateAll((rows) =>
          rows.map((r) => [
            r.getAttribute('data-key'),
            ...[...r.querySelectorAll('td')].map((td) => td.textContent),
          ]),
        );
    const ask = (body: object) => api<{ rows: Record<string, unknown>[] }>('/api/v1/query', body);
    const pct = (v: number | null) => formatValue(v, 'percent', 'it');
    // Health bands by segment: the red, yellow and green shares of each segment's customers.
    type Health = Value & { bands: Record<string, number> };
    const health = await ask({ metrics: ['health_score'], groupBy: ['segment'], ...RANGE });
    expect(health.rows.length).toBeGreaterThan(1);
    expect(await cellsOf('health-bands')).toEqual(
      health.rows.map((r) => {
        const h = r.health_score as Health;
        const share = (k: string) => Math.round((1000 * h.bands[k]!) / h.n) / 10;
        return [String(r.segment), ...['red', 'yellow', 'green'].map((k) => pct(share(k))), it_.format(h.n)];
      }),
    );
    // Cohorts: each acquisition month's size and its retention k months on.
    type Cohort = Value & { curve: { k: number; n: number; rate: number | null }[] };
    const cohorts = await ask({ metrics: ['cohort_retention'], grain: 'month', ...RANGE });
    const months = Math.max(
      ...cohorts.rows.flatMap((r) => (r.cohort_retention as Cohort).curve.map((p) => p.k)),
    );
    expect(months).toBeGreaterThan(0);
    expect(await cellsOf('cohorts')).toEqual(
      cohorts.rows.map((r) => {
        const curve = (r.cohort_retention as Cohort).curve;
        return [
          String(r.period),
          it_.format(curve[0]?.n ?? 0),
          ...Array.from({ length: months + 1 }, (_, k) => pct(curve.find((p) => p.k === k)?.rate ?? null)),
        ];
      }),
    );
    // The latest fits' distributions, whatever the view's dates.
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    const years = new Date();
    years.setUTCFullYear(years.getUTCFullYear() - 10);
    const latest = { from: day(years.getTime()), to: day(Date.now() + 86_400_000) };
    type Scores = Value & { bins: { from: number; n: number }[] };
    for (const [panel, metric] of [
      ['clv-distribution', 'clv_predicted'],
      ['churn-risk-distribution', 'churn_risk'],
    ] as const) {
      const [total] = (await ask({ metrics: [metric], ...latest })).rows;
      const { bins, n } = total![metric] as Scores;
      expect(n, metric).toBeGreaterThan(100);
      expect(bins.reduce((a, b) => a + b.n, 0)).toBe(n);
      const shown = await cellsOf(panel);
      expect(shown.map((r) => [r[0], r[1]])).toEqual(bins.map((b) => [String(b.from), it_.format(b.n)]));
      // The fullest band opens its customers.
      const fullest = [...bins].sort((a, b) => b.n - a.n)[0]!;
      await page.locator(`[data-panel="${panel}"] tr[data-key="${fullest.from}"] button`).click();
      const dialog = page.getByRole('dialog');
      await dialog.locator('.drill-total').waitFor();
      expect(await dialog.locator('.drill-total').textContent(), metric).toBe(it_.format(fullest.n));
      expect(await dialog.locator('tbody tr').count()).toBe(Math.min(fullest.n, 100));
      await dialog.getByRole('button', { name: 'Chiudi' }).click();
    }
    // A cohort opens its customers: those acquired in that month.
    const [first] = cohorts.rows;
    await page.locator(`[data-panel="cohorts"] tr[data-key="${String(first!.period)}"] button`).click();
    const dialog = page.getByRole('dialog');
    await dialog.locator('.drill-total').waitFor();
    expect(await dialog.locator('.drill-total').textContent()).toBe(
      it_.format((first!.cohort_retention as Cohort).curve[0]!.n),
    );
    await dialog.getByRole('button', { name: 'Chiudi' }).click();
    await axe('customers-models');
    await shoot('customers-models');
  });

  it('fits a phone screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await visit('overview');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shoot('overview-phone');
  });

  it("asks the other pages' queries in the background, so opening one is answered from the memo", async () => {
    // A view no other test asked for: its answers are not in the memo yet.
    const view = { from: '2026-03-01', to: '2026-06-01' };
    // Requests of this view only: a navigation also fails requests an earlier page had started.
    const running = new Set<object>();
    let asked = 0;
    const start = (r: { url(): string }) => {
      if (!r.url().endsWith('/api/v1/query')) return;
      running.add(r);
      asked++;
    };
    const end = (r: object) => {
      running.delete(r);
    };
    page.on('request', start);
    page.on('requestfinished', end);
    page.on('requestfailed', end);
    try {
      await page.goto(`${server.url}/?${new URLSearchParams({ page: 'overview', ...view })}`);
      await waitForNumbers(page, 'overview');
      const shown = asked;
      // Wait until the background queries are done: none running for half a second.
      for (let quiet = 0; quiet < 5; quiet = running.size === 0 ? quiet + 1 : 0)
        await new Promise((resolve) => setTimeout(resolve, 100));
      expect(asked).toBeGreaterThan(shown);
      const misses = server.store.memo.stats.misses;
      await open('digital', 'Digitale');
      await open('customers', 'Clienti');
      expect(server.store.memo.stats.misses).toBe(misses);
    } finally {
      page.off('request', start);
      page.off('requestfinished', end);
      page.off('requestfailed', end);
    }
  });

  it('offers preset ranges: choosing one sets the range in the URL, and a range typed in is custom', async () => {
    await page.goto(`${server.url}/?page=overview`);
    await waitForNumbers(page, 'overview');
    const period = page.getByRole('combobox', { name: 'Periodo', exact: true });
    expect(await period.inputValue()).toBe('last_3_months');
    await period.selectOption('last_12_months');
    const year = presetRange(new Date(), 12);
    await page.waitForURL(
      (u) => u.searchParams.get('from') === year.from && u.searchParams.get('to') === year.to,
    );
    await waitForNumbers(page, 'overview');
    expect(await page.getByLabel('Dal').inputValue()).toBe(year.from);
    await page.getByLabel('Dal').fill('2026-02-03');
    await page.waitForURL((u) => u.searchParams.get('from') === '2026-02-03');
    expect(await period.inputValue()).toBe('custom');
  });

  it("opens every page's default view and preset ranges on answers the server's warmer computed beforehand", async () => {
    // The warmer as `polso serve` starts it: the default view's queries, which nobody has asked yet.
    const warmer = new QueryWarmer({
      store: server.store,
      clock: systemClock,
      delayMs: 10,
      seeds: dashboardSeeds,
    });
    await warmer.start();
    await warmer.settled();
    await warmer.close();
    const misses = server.store.memo.stats.misses;
    for (const [id] of PAGES) {
      await page.goto(`${server.url}/?page=${id}`);
      await waitForNumbers(page, id);
    }
    // The other preset ranges, too.
    for (const { months } of RANGE_PRESETS.filter((p) => p.months !== 3)) {
      const r = presetRange(new Date(), months);
      for (const [id] of PAGES) {
        await page.goto(`${server.url}/?${new URLSearchParams({ page: id, ...r })}`);
        await waitForNumbers(page, id);
      }
    }
    // The last page's background queries, too, are answered from the memo.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(server.store.memo.stats.misses).toBe(misses);
  });

  it('logged no error or warning in the browser console', () => {
    expect(problems).toEqual([]);
  });
});
