/**
 * Surveys end to end in Debian's Chromium (playwright-core): a triggered CSAT goes out by email to a
 * real SMTP server on localhost, the link is opened and answered on the hosted page in Italian, and the
 * metric engine's `csat` shows it; the page passes axe-core and weighs under 50 kB; the widget on a web
 * page of another origin shows after a custom event, records an NPS answer, and never shows twice.
 */
import { readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/server/app.ts';
import { type CreatedProject, createProjectWithKeys } from '../src/service/operations.ts';
import { DuckDbStore } from '../src/store/duckdb/store.ts';
import { smtpSender } from '../src/surveys/delivery.ts';
import { SurveyScheduler } from '../src/surveys/scheduler.ts';
import { SurveyService } from '../src/surveys/service.ts';
import { manualClock } from '../src/util/clock.ts';
import { launchChromium } from './browser.ts';
import { post, tempDir } from './helpers.ts';
import { type SmtpSink, startSmtp } from './smtp.ts';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

describe('surveys in a real browser', () => {
  const dir = tempDir();
  const clock = manualClock('2026-03-02T09:00:00Z');
  let base = '';
  let smtp: SmtpSink;
  let store: DuckDbStore;
  let service: SurveyService;
  let scheduler: SurveyScheduler;
  let app: ReturnType<typeof createApp>;
  let project: CreatedProject;
  let browser: Browser;
  let site: Server;

  beforeAll(async () => {
    smtp = await startSmtp();
    store = new DuckDbStore({ dataDir: dir, clock, threads: 2 });
    await store.ready;
    const email = smtpSender(
      { host: '127.0.0.1', port: smtp.port, secure: false, ignoreTLS: true },
      'Polso <sondaggi@polso.test>',
    );
    service = new SurveyService({
      store,
      clock,
      baseUrl: () => base,
      delivery: { email, messageDomain: 'polso.test' },
    });
    scheduler = new SurveyScheduler({ store, clock, service });
    app = createApp({ store, clock, surveys: service });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    project = await createProjectWithKeys(store, { name: 'Casa Serena' });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    site?.close();
    await service.settled();
    await app.close();
    await store.close();
    await smtp.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const query = async (metric: string) => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/query',
      headers: { authorization: `Bearer ${project.secretKey}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ metrics: [metric], from: '2026-03-01', to: '2026-03-04' }),
    });
    return res.json().rows[0][metric];
  };

  it('triggered CSAT: email → link → answered in Italian → csat', async () => {
    const survey = {
      id: 'csat_chat',
      name: { it: 'Com’è andata la chat?', en: 'How was the chat?' },
      touchpoint: 'support',
      questions: [
        {
          id: 'q1',
          type: 'csat',
          scale: 5,
          display: 'faces',
          text: { it: 'Quanto è soddisfatto?', en: 'How satisfied are you?' },
        },
        {
          id: 'q2',
          type: 'text',
          text: { it: 'Cosa possiamo migliorare?', en: 'What could we do better?' },
          showIf: { question: 'q1', max: 3 },
        },
      ],
      triggers: [
        { record: 'contact', at: 'resolvedAt', where: { channel: ['chat'] }, delayMinutes: 60, via: 'email' },
      ],
    };
    expect((await post(app, project.secretKey, survey, { url: '/api/v1/surveys' })).status).toBe(201);
    await post(app, project.writeKey, [
      {
        type: 'customer',
        id: 'cus_1',
        timestamp: '2026-01-01T00:00:00Z',
        email: 'giulia@example.it',
        language: 'it',
        timeZone: 'Europe/Rome',
      },
      {
        type: 'contact',
        id: 'tkt_1',
        timestamp: '2026-03-02T08:30:00Z',
        customerId: 'cus_1',
        channel: 'chat',
        resolvedAt: '2026-03-02T09:00:00Z',
      },
    ]);
    await scheduler.tick();
    clock.advance(61 * 60_000);
    expect((await scheduler.tick()).sent).toBe(1);
    const mail = smtp.messages[0]!;
    const link = new RegExp(`(${base}/s/[A-Za-z0-9_-]+\\?score=4)`).exec(mail.text)![1]!;

    // Polso's CSP would refuse the injected axe-core script; the context bypasses it for the check.
    const page = await (await browser.newContext({ bypassCSP: true })).newPage();
    await page.goto(link);
    await page.waitForLoadState('networkidle');
    expect(await page.getAttribute('html', 'lang')).toBe('it');
    expect(await page.isChecked('input[name=q1][value="4"]')).toBe(true);
    expect(await page.isHidden('fieldset[data-q=q2]')).toBe(true);
    expect(await store.count(project.projectId, 'survey_response')).toBe(0); // opening records nothing
    // Everything the page loads: the document, its stylesheet and its script (no other requests).
    let bytes = 0;
    for (const url of [link, `${base}/survey/page.css`, `${base}/survey/page.js`])
      bytes += (await app.inject({ method: 'GET', url: url.slice(base.length) })).rawPayload.length;
    expect(bytes).toBeGreaterThan(1000);
    expect(bytes).toBeLessThan(50 * 1024);
    console.log(`hosted survey page weight: ${bytes} bytes (HTML + CSS + JS)`);

    await page.addScriptTag({ content: AXE });
    const violations = await page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run(): Promise<{ violations: { id: string }[] }> } }).axe;
      return (await axe.run()).violations.map((v) => v.id);
    });
    expect(violations).toEqual([]);

    // A low score reveals the follow-up; answering it saves as the person goes.
    await page.click('label[for="q1-1"]');
    await expect.poll(() => page.isVisible('fieldset[data-q=q2]')).toBe(true);
    await page.fill('textarea[name=q2]', '<b>Troppa</b> attesa');
    await page.click('label[for="q1-4"]'); // changes her mind: 5, the follow-up goes away
    await expect.poll(() => page.isHidden('fieldset[data-q=q2]')).toBe(true);
    await page.click('button[type=submit]');
    await page.getByText('Grazie per la risposta!').waitFor();

    const responses = await store.listRecords(project.projectId, 'survey_response');
    expect(responses.find((r) => r.questionId === 'q1')).toMatchObject({
      score: 5,
      language: 'it',
      subjectType: 'contact',
      subjectId: 'tkt_1',
    });
    // The follow-up she wrote and then made irrelevant is kept as skipped: no text, nothing counted.
    expect(responses.find((r) => r.questionId === 'q2')?.value).toBeUndefined();
    expect(await query('csat')).toMatchObject({ value: 100, n: 1 });
    expect(await query('survey_funnel')).toMatchObject({ n: 1, value: 100 });
    await page.close();
  });

  it('widget: shows after a custom event on another site, records NPS, never twice', async () => {
    const nps = {
      id: 'nps_app',
      name: { it: 'La nostra app', en: 'Our app' },
      questions: [
        {
          id: 'q1',
          type: 'nps',
          text: { it: 'Ci consiglierebbe?', en: 'How likely are you to recommend us?' },
        },
      ],
      widget: { on: 'event', name: 'Checkout Completed' },
    };
    expect((await post(app, project.secretKey, nps, { url: '/api/v1/surveys' })).status).toBe(201);
    site = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(
        `<!doctype html><html lang="en"><head><title>Shop</title></head><body><h1>Shop</h1>
         <script src="${base}/survey/widget.js" data-key="${project.publicKey}" data-survey="nps_app" data-customer-id="cus_w"></script>
         </body></html>`,
      );
    });
    await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
    const shop = `http://127.0.0.1:${(site.address() as AddressInfo).port}/`;

    const page = await browser.newPage();
    await page.goto(shop);
    await page.waitForLoadState('networkidle');
    expect(await page.locator('[data-polso-widget]').count()).toBe(0);
    await page.evaluate(() =>
      (window as unknown as { polso: { track(n: string): void } }).polso.track('Checkout Completed'),
    );
    await page.getByText('How likely are you to recommend us?').waitFor();
    // The widget itself (inside its shadow root) passes the WCAG A/AA rules.
    await page.addScriptTag({ content: AXE });
    const violations = await page.evaluate(async () => {
      const axe = (
        window as unknown as {
          axe: {
            run(c: string, o: object): Promise<{ violations: { id: string }[]; passes: { id: string }[] }>;
          };
        }
      ).axe;
      const r = await axe.run('[data-polso-widget]', { runOnly: ['wcag2a', 'wcag2aa'] });
      return { failed: r.violations.map((v) => v.id), passed: r.passes.map((v) => v.id) };
    });
    expect(violations.failed).toEqual([]);
    expect(violations.passed).toContain('button-name'); // the widget's buttons were checked
    const completed = page.waitForResponse(
      (r) =>
        r.url().endsWith('/api/v1/surveys/nps_app/widget') &&
        /"complete":true/.test(r.request().postData() ?? ''),
    );
    await page.getByRole('button', { name: '9', exact: true }).click();
    await page.getByText('Thank you for your answer!').waitFor();
    expect((await completed).status()).toBe(200);
    expect(await query('nps')).toMatchObject({ value: 100, promoters: 1 });

    // Once shown, never again in this browser: after a reload the script does not even load the survey.
    const asked: string[] = [];
    page.on('request', (r) => asked.push(r.url()));
    await page.reload();
    await page.waitForLoadState('networkidle');
    await page.evaluate(() =>
      (window as unknown as { polso: { track(n: string): void } }).polso.track('Checkout Completed'),
    );
    expect(asked.some((u) => u.endsWith('/survey/widget.js'))).toBe(true);
    expect(asked.filter((u) => u.includes('/api/v1/surveys/'))).toEqual([]);
    expect(await page.locator('[data-polso-widget]').count()).toBe(0);
    await page.close();
  });
});
