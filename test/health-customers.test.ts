/**
 * The health score per customer on hand-computed fixtures: each customer's components, weights and
 * contributions (and their mean equal to the `health_score` metric), one customer's monthly history,
 * `fit health`'s report (ROC AUC overall and per component, suggested weights checked on held-out
 * customers), the stored scores behind the customer 360 and routing, and the model scores queried as
 * metrics (`clv_predicted`, `churn_risk`) by segment.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PolsoError } from '../src/errors.ts';
import { customerHealth, fitHealth, healthReport } from '../src/service/health.ts';
import type { Project } from '../src/store/store.ts';
import { fixedClock } from '../src/util/clock.ts';
import { ENGINES } from './engines.ts';
import { patchProject, post, query, recordMaker, type TestEnv } from './helpers.ts';

const NOW = '2026-06-01T00:00:00Z';
const at = (day: string) => `2026-${day}T00:00:00Z`;
const feb = (day: number) => `02-${String(day).padStart(2, '0')}`;

describe.each(ENGINES)('on $name', (engine) => {
  let env: TestEnv;
  let project: Project;
  const now = new Date(NOW);

  beforeAll(async () => {
    env = await engine.make({ clock: fixedClock(NOW) });
    expect((await patchProject(env, { timezone: 'UTC' })).statusCode).toBe(200);
    project = (await env.store.getProject(env.project.projectId))!;
    const rec = recordMaker(at);
    const customer = (id: string, segment: string, churnedAt?: string, acquiredAt = '01-01') => ({
      type: 'customer',
      id,
      timestamp: at('01-01'),
      segment,
      acquiredAt: at(acquiredAt),
      ...(churnedAt ? { churnedAt: at(churnedAt) } : {}),
    });
    const nps = (who: string, day: string, score: number) =>
      rec('survey_response', who, day, { surveyId: 's', questionId: 'n', metric: 'nps', score });
    // Active on the `days` days up to 28 February, one feature: usage days ÷ 9, adoption 1/3, recency 29/30.
    const february = (who: string, days: number) =>
      Array.from({ length: days }, (_, k) =>
        rec('event', who, feb(28 - k), { name: 'Login', feature: 'f1' }),
      );
    const records = [
      // Acquired 1 April, scored on 1 June (window 2 May – 1 June). A: 9 active days (full usage), 3 features, NPS 10,
      // last event 31 May: 100 × (0.25 + 0.15 + 0.2 + 0.15 + 0.1 + 0.15 × 29/30) = 99.5.
      customer('A', 'smb', undefined, '04-01'),
      ...['05-23', '05-24', '05-25', '05-26', '05-27', '05-28', '05-29', '05-30', '05-31'].map((d, i) =>
        rec('event', 'A', d, { name: 'Login', ...(i < 3 ? { feature: `f${i}` } : {}) }),
      ),
      nps('A', '05-20', 10),
      // B: no usage, CSAT 2 of 1–5 (0.25), one open contact (0.5), a refund (payment 0):
      // 100 × (0.2 × 0.25 + 0.15 × 0.5) = 12.5.
      customer('B', 'consumer', undefined, '04-01'),
      rec('survey_response', 'B', '05-20', {
        surveyId: 's',
        questionId: 'c',
        metric: 'csat',
        score: 2,
        scaleMin: 1,
        scaleMax: 5,
      }),
      rec('contact', 'B', '05-25', { channel: 'email' }),
      rec('order', 'B', '05-15', { amount: 20, currency: 'EUR', status: 'refunded' }),
      // Scored on 1 March, lost by 30 April or not. Kept K0–K9: 5–9 active days, NPS 0. Lost L0–L9:
      // 1–3 days, NPS 10 (feedback misleads), churned 1 April. T: 4 days, no answer, churned after the
      // horizon (kept). E: churned before 1 March (not scored).
      ...Array.from({ length: 10 }, (_, i) => [
        customer(`K${i}`, 'smb'),
        ...february(`K${i}`, 5 + (i % 5)),
        nps(`K${i}`, feb(10), 0),
        customer(`L${i}`, 'consumer', '04-01'),
        ...february(`L${i}`, 1 + (i % 3)),
        nps(`L${i}`, feb(10), 10),
      ]).flat(),
      customer('T', 'smb', '05-15'),
      ...february('T', 4),
      customer('E', 'smb', '02-15'),
    ];
    const r = await post(env.app, env.project.writeKey, records);
    expect(r.body.rejected).toEqual([]);
  });
  afterAll(() => env.close());

  it("gives each customer's score with components, weights and the points each adds", async () => {
    const rows = await customerHealth(env.store, project, { from: '2026-05-31', to: '2026-06-01' }, now);
    const a = rows.find((r) => r.customerId === 'A')!;
    expect(a.score).toBeCloseTo(99.5, 4);
    expect(a.components).toEqual({
      usage: 1,
      adoption: 1,
      feedback: 1,
      support: 1,
      payment: 1,
      recency: 0.9667,
    });
    expect(a.weights).toEqual({
      usage: 0.25,
      adoption: 0.15,
      feedback: 0.2,
      support: 0.15,
      payment: 0.1,
      recency: 0.15,
    });
    expect(a.contributions.recency).toBeCloseTo(14.5, 4);
    const b = rows.find((r) => r.customerId === 'B')!;
    expect(b).toMatchObject({ segment: 'consumer', score: 12.5, lostAfter: null });
    expect(b.contributions).toEqual({
      usage: 0,
      adoption: 0,
      feedback: 5,
      support: 7.5,
      payment: 0,
      recency: 0,
    });
    for (const r of rows)
      expect(Object.values(r.contributions).reduce((s, x) => s + x, 0)).toBeCloseTo(r.score, 3);
    // T, the L's and E are lost by 1 June.
    expect(rows.map((r) => r.customerId).sort()).toEqual([
      'A',
      'B',
      ...Array.from({ length: 10 }, (_, i) => `K${i}`),
    ]);
    // The metric is the mean of the same scores.
    const metric = await query(env, { metrics: ['health_score'], from: '2026-05-01', to: '2026-06-01' });
    const mean = rows.reduce((s, r) => s + r.score, 0) / rows.length;
    expect(metric.body.rows[0].health_score.n).toBe(rows.length);
    expect(metric.body.rows[0].health_score.value).toBeCloseTo(mean, 3);
  });

  it("gives one customer's health at the end of each month they were active", async () => {
    const res = await env.app.inject({
      method: 'GET',
      url: '/api/v1/customers/A/models',
      headers: { authorization: `Bearer ${env.project.secretKey}` },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.health.current.score).toBeCloseTo(99.5, 4);
    // Acquired 1 April: scored at the ends of April and May (the month's first day labels it).
    expect(body.health.history.map((h: { period: string }) => h.period)).toEqual([
      '2026-04-01',
      '2026-05-01',
    ]);
    expect(body.health.history.at(-1).score).toBeCloseTo(99.5, 4);
    // In April A has no events in the window: only neutral feedback (NPS 10 is in May), support, payment.
    expect(body.health.history[0].score).toBeCloseTo(100 * (0.2 * 0.5 + 0.15 + 0.1), 4);
    expect(body).toMatchObject({ customerId: 'A', clv: null, churnRisk: null });
    const missing = await env.app.inject({
      method: 'GET',
      url: '/api/v1/customers/nobody/models',
      headers: { authorization: `Bearer ${env.project.secretKey}` },
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('POLSO_CUSTOMER_NOT_FOUND');
    const anonymous = await env.app.inject({ method: 'GET', url: '/api/v1/customers/A/models' });
    expect(anonymous.statusCode).toBe(401);
  });

  it('reports how well the score foretold who was lost, per component, with held-out suggested weights', async () => {
    const report = await healthReport(env.store, project, { at: '2026-03-01', horizonDays: 60 }, now);
    // K0–K9, L0–L9 and T (lost 15 May, after the horizon: kept); E left before 1 March, A and B came after.
    expect(report).toMatchObject({ at: '2026-03-01', horizonDays: 60, customers: 21, lost: 10 });
    // Scores: kept K 44.5 + 25d/9 (d = 5…9, two each), T 65.61; lost L 64.5 + 25d/9 (d = 1, 2, 3, four,
    // three and three). A lost customer scores below a kept one only for the four L with d = 1 (67.28)
    // under the two K with d = 9 (69.5): 8 of 10 × 11 pairs.
    const pairs = 10 * 11;
    expect(report.current.auc).toBeCloseTo(8 / pairs, 4);
    // Usage alone separates perfectly; the misleading feedback inverts perfectly.
    expect(report.components.usage.auc).toBe(1);
    expect(report.components.feedback).toMatchObject({ auc: 0, meanLost: 1 });
    expect(report.components.payment.auc).toBe(0.5);
    // The learnt weights drop feedback and put usage first; held out they separate perfectly.
    const w = report.suggested.weights;
    expect(w.feedback).toBe(0);
    expect(Math.max(...Object.values(w))).toBe(w.usage);
    expect(Object.values(w).reduce((s, x) => s + x, 0)).toBeCloseTo(1, 3);
    expect(report.suggested).toMatchObject({ auc: 1, folds: 5, seed: 42 });
  });

  it('refuses an outcome not yet known and too few lost customers, naming the option', async () => {
    const late = healthReport(env.store, project, { at: '2026-05-01', horizonDays: 60 }, now);
    await expect(late).rejects.toThrow(/--at: 2026-05-01 \+ 60 days ends after today/);
    await expect(
      healthReport(env.store, project, { at: '2026-05-01', horizonDays: 10 }, now),
    ).rejects.toMatchObject({
      code: 'MODEL_NOT_ENOUGH_DATA',
    });
    await expect(healthReport(env.store, project, { at: '1 March' }, now)).rejects.toBeInstanceOf(PolsoError);
    await expect(
      healthReport(env.store, project, { at: '2026-03-01', horizonDays: 60, asOf: '2026-04-15' }, now),
    ).rejects.toThrow(/ends after --as-of \(2026-04-15\)/);
    await expect(fitHealth(env.store, { projectId: project.id, asOf: 20260415 }, now)).rejects.toThrow(
      /--as-of: a date/,
    );
    await expect(fitHealth(env.store, { projectId: project.id, horizonDays: 'ninety' }, now)).rejects.toThrow(
      /--horizon-days: a whole number/,
    );
  });

  it('stores every current score for the customer 360 and routing, and queries model scores as metrics', async () => {
    const fitted = await fitHealth(
      env.store,
      { projectId: project.id, at: '2026-03-01', horizonDays: 60 },
      now,
    );
    expect(fitted.scored).toBe(12);
    // A refit at the same instant replaces the fit it repeats instead of failing on its key.
    const again = await fitHealth(
      env.store,
      { projectId: project.id, at: '2026-03-01', horizonDays: 60 },
      now,
    );
    expect(again.scored).toBe(12);
    const fits = await env.store.sql(
      `SELECT count(*) AS n FROM model_fits WHERE project_id = $p AND model = 'health'`,
      {
        p: project.id,
      },
    );
    expect(Number(fits[0]!.n)).toBe(1);
    const scores = await env.store.sql(
      `SELECT count(*) AS n FROM customer_scores WHERE project_id = $p AND model = 'health_score'`,
      { p: project.id },
    );
    expect(Number(scores[0]!.n)).toBe(12);
    const [stored] = (await env.store.customerScores(project.id, 'A')).filter(
      (s) => s.model === 'health_score',
    );
    expect(stored).toMatchObject({ value: 99.5, version: 'weighted-components/1', fittedAt: NOW });
    expect((stored!.details as { contributions: Record<string, number> }).contributions.usage).toBe(25);
    // Hand-made CLV and churn scores for two segments, then the metrics by segment.
    await env.store.saveModelFit(
      project.id,
      {
        model: 'clv',
        version: 't',
        fittedAt: now,
        customers: 3,
        params: {},
        scoreNames: ['clv', 'clv_percentile'],
      },
      [
        { customerId: 'A', name: 'clv', value: 300 },
        { customerId: 'K0', name: 'clv', value: 100 },
        { customerId: 'B', name: 'clv', value: 50 },
        { customerId: 'A', name: 'clv_percentile', value: 95 },
      ],
    );
    await env.store.saveModelFit(
      project.id,
      {
        model: 'churn_risk',
        version: 't',
        fittedAt: now,
        customers: 2,
        params: {},
        scoreNames: ['churn_risk'],
      },
      [
        {
          customerId: 'A',
          name: 'churn_risk',
          value: 0.1,
          details: [{ column: 'plan', contribution: -0.4 }],
        },
        { customerId: 'B', name: 'churn_risk', value: 0.7 },
      ],
    );
    const bySegment = await query(env, {
      metrics: ['clv_predicted', 'churn_risk'],
      groupBy: ['segment'],
      from: '2026-06-01',
      to: '2026-07-01',
    });
    const seg = (s: string) => bySegment.body.rows.find((r: { segment: string }) => r.segment === s);
    expect(seg('smb').clv_predicted).toMatchObject({ value: 200, n: 2 });
    expect(seg('smb').clv_predicted.ci[0]).toBeLessThan(200);
    expect(seg('consumer').clv_predicted).toMatchObject({ value: 50, n: 1 });
    expect(seg('smb').churn_risk).toMatchObject({ value: 10, n: 1 });
    expect(seg('consumer').churn_risk).toMatchObject({ value: 70, n: 1 });
    // A snapshot sits in the month of its fit; other months are empty, not missing.
    const byMonth = await query(env, {
      metrics: ['clv_predicted'],
      grain: 'month',
      from: '2026-05-01',
      to: '2026-07-01',
    });
    expect(byMonth.body.rows.map((r: { clv_predicted: { n: number } }) => r.clv_predicted.n)).toEqual([0, 3]);
    expect(byMonth.body.rows[1].clv_predicted.value).toBe(150);
    // The distribution: customers per band, the band's lower edge included, its upper edge not; over
    // whole months the bands of each month add up (100 falls in 100–250, not 50–100).
    const bands = (from: number, to: number | null, n: number) => ({ from, to, n });
    for (const range of [
      { from: '2026-06-01', to: '2026-07-01' },
      { from: '2026-01-01', to: '2026-07-01' },
      { from: '2026-05-31', to: '2026-06-28' },
    ]) {
      const total = await query(env, { metrics: ['clv_predicted', 'churn_risk'], ...range });
      expect(total.body.rows[0].clv_predicted.bins, JSON.stringify(range)).toEqual([
        bands(0, 50, 0),
        bands(50, 100, 1),
        bands(100, 250, 1),
        bands(250, 500, 1),
        bands(500, 1000, 0),
        bands(1000, 2500, 0),
        bands(2500, 5000, 0),
        bands(5000, null, 0),
      ]);
      // Risk in percent: 10 is in 10–20, 70 in 70–80.
      expect(total.body.rows[0].churn_risk.bins.map((b: { n: number }) => b.n)).toEqual([
        0, 1, 0, 0, 0, 0, 0, 1, 0, 0,
      ]);
    }
    // The customers behind a band: scored in the range, the band's lower edge in, its upper edge out.
    const june = { from: '2026-06-01', to: '2026-07-01' };
    const behind = async (metric: string, band?: object) =>
      query(env, { metrics: [metric], ...june, ...(band ? { band } : {}) }, '/records');
    const ids = (r: Awaited<ReturnType<typeof behind>>) =>
      [r.body.total, r.body.records.map((c: { id: string }) => c.id)] as const;
    expect(ids(await behind('clv_predicted'))).toEqual([3, ['A', 'K0', 'B']]);
    expect(ids(await behind('clv_predicted', { from: 100, to: 250 }))).toEqual([1, ['K0']]);
    expect(ids(await behind('clv_predicted', { from: 250, to: null }))).toEqual([1, ['A']]);
    expect(ids(await behind('churn_risk', { from: 70, to: 80 }))).toEqual([1, ['B']]);
    for (const [metric, band, path] of [
      ['clv_predicted', { from: 250, to: 100 }, 'band.to'],
      ['clv_predicted', { from: 'x' }, 'band.from'],
      ['clv_predicted', { from: 0, above: 1 }, 'band'],
      ['nps', { from: 0 }, 'band'],
    ] as const) {
      const bad = await behind(metric, band);
      expect(bad.status, JSON.stringify(band)).toBe(400);
      expect(bad.body.error).toMatchObject({ code: 'POLSO_BAD_QUERY', details: { path } });
    }
    // The 360's models panel and the priority read the stored scores: A is platinum, green, low risk.
    const res = await env.app.inject({
      method: 'GET',
      url: '/api/v1/customers/A/models',
      headers: { authorization: `Bearer ${env.project.secretKey}` },
    });
    expect(res.json()).toMatchObject({
      clv: { value: 300, percentile: 95, fittedAt: NOW },
      churnRisk: { value: 0.1, top: [{ column: 'plan', contribution: -0.4 }] },
      // The stored score, with the day it was taken on.
      health: {
        current: { score: 99.5, asOf: now.toISOString(), fittedAt: NOW, contributions: { usage: 25 } },
      },
      priority: { priority: 1, tier: 'platinum', risk: 'low', health: 'green' },
    });
    // The stored scores are what a dashboard reads: a hostile id is a 404, never an error page.
    const hostile = await env.app.inject({
      method: 'GET',
      url: `/api/v1/customers/${encodeURIComponent("x' OR 1=1 --<script>")}/models`,
      headers: { authorization: `Bearer ${env.project.secretKey}` },
    });
    expect(hostile.statusCode).toBe(404);
  });
});
