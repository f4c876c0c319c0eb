/**
 * Customer-journey and value metrics on hand-computed fixtures: cohort retention, time to value,
 * CAC and historical CLV, gross revenue churn, touchpoints per purchase, feature adoption and the
 * per-question survey summary — through `POST /api/v1/query`, on every engine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../src/util/clock.ts';
import { ENGINES } from './engines.ts';
import { patchProject, post, query, type TestEnv } from './helpers.ts';

const DAY = 86_400;

describe.each(ENGINES)('on $name', (engine) => {
  let env: TestEnv;
  const q = (body: Record<string, unknown>) => query(env, { timezone: 'UTC', ...body });

  beforeAll(async () => {
    env = await engine.make({ clock: fixedClock('2026-06-01T00:00:00Z') });
    const customer = (id: string, acquiredAt: string, churnedAt?: string) => ({
      type: 'customer',
      id,
      timestamp: '2026-01-01T00:00:00Z',
      segment: 'smb',
      acquiredAt,
      ...(churnedAt ? { churnedAt } : {}),
    });
    const order = (id: string, customerId: string, ts: string, amount: number, extra = {}) => ({
      type: 'order',
      id,
      timestamp: ts,
      customerId,
      amount,
      currency: 'EUR',
      channel: 'web',
      ...extra,
    });
    const touch = (type: string, id: string, customerId: string, ts: string, extra: object) => ({
      type,
      id,
      timestamp: ts,
      customerId,
      ...extra,
    });
    const subscription = (
      customerId: string,
      id: string,
      mrr: number,
      startedAt: string,
      endedAt?: string,
    ) => ({
      type: 'subscription',
      id,
      timestamp: startedAt,
      customerId,
      plan: 'pro',
      mrr,
      startedAt,
      ...(endedAt ? { endedAt } : {}),
    });
    const event = (id: string, who: Record<string, string>, ts: string, extra = {}) => ({
      type: 'event',
      id,
      timestamp: ts,
      name: 'Login',
      ...who,
      ...extra,
    });
    const answer = (id: string, questionId: string, metric: string, score: number, extra = {}) => ({
      type: 'survey_response',
      id,
      timestamp: '2026-05-10T10:00:00Z',
      customerId: `r-${id}`,
      surveyId: 'q',
      questionId,
      metric,
      score,
      ...extra,
    });
    const r = await post(env.app, env.project.writeKey, [
      // January cohort: A (stays), B (lost 15 Feb), C (lost 10 Mar); February: D (stays), E (lost 20 Feb).
      customer('A', '2026-01-10T00:00:00Z'),
      customer('B', '2026-01-20T00:00:00Z', '2026-02-15T00:00:00Z'),
      customer('C', '2026-01-25T00:00:00Z', '2026-03-10T00:00:00Z'),
      customer('D', '2026-02-05T00:00:00Z'),
      customer('E', '2026-02-10T00:00:00Z', '2026-02-20T00:00:00Z'),
      // Orders: A's refund does not count; first completed orders 2, 1 and 0.5 days after acquisition.
      order('oA0', 'A', '2026-01-11T00:00:00Z', 30, { status: 'refunded' }),
      order('oA1', 'A', '2026-01-12T00:00:00Z', 100),
      order('oB1', 'B', '2026-01-21T00:00:00Z', 50),
      order('oA2', 'A', '2026-01-25T00:00:00Z', 150),
      order('oD1', 'D', '2026-02-05T12:00:00Z', 80),
      // A's touchpoints before its orders: chat, email, the product, instagram (and the 12 Jan order).
      touch('contact', 'k1', 'A', '2026-01-05T00:00:00Z', { channel: 'chat' }),
      touch('contact', 'k2', 'A', '2026-01-08T00:00:00Z', { channel: 'email' }),
      touch('contact', 'k3', 'A', '2026-01-09T00:00:00Z', { channel: 'chat' }),
      touch('social', 'so1', 'A', '2026-01-02T00:00:00Z', { platform: 'instagram', kind: 'like' }),
      event('ev1', { customerId: 'A' }, '2026-01-11T00:00:00Z'),
      event('ev2', { customerId: 'A' }, '2026-01-15T00:00:00Z', { name: 'Report Exported' }),
      event('ev3', { customerId: 'D' }, '2026-02-06T00:00:00Z', { name: 'Report Exported' }),
      // Spend in January: marketing 1000 + sales 500 (other spend is not acquisition spend).
      { type: 'cost', id: 'c1', timestamp: '2026-01-01T00:00:00Z', amount: 1000, currency: 'EUR' },
      {
        type: 'cost',
        id: 'c2',
        timestamp: '2026-01-15T00:00:00Z',
        amount: 500,
        currency: 'EUR',
        category: 'sales',
      },
      {
        type: 'cost',
        id: 'c3',
        timestamp: '2026-01-15T00:00:00Z',
        amount: 200,
        currency: 'EUR',
        category: 'other',
      },
      // MRR on 1 January: S 150 (contracts to 100 in January), S2 20 (upgrades to 40), T 60 (leaves on
      // 10 February); U starts at 25 in February. S's 30 starts and ends within January.
      subscription('S', 's1', 100, '2025-12-01T00:00:00Z'),
      subscription('S', 's2', 50, '2025-12-15T00:00:00Z', '2026-01-20T00:00:00Z'),
      subscription('S', 's3', 30, '2026-01-05T00:00:00Z', '2026-01-25T00:00:00Z'),
      subscription('S2', 'x1', 20, '2025-12-01T00:00:00Z', '2026-01-10T00:00:00Z'),
      subscription('S2', 'x2', 40, '2026-01-10T00:00:00Z'),
      subscription('T', 't1', 60, '2025-12-01T00:00:00Z', '2026-02-10T00:00:00Z'),
      subscription('U', 'u1', 25, '2026-02-05T00:00:00Z'),
      // April product usage: u1 reports; u2 reports and export; u3 nothing; anonymous a1 export.
      event('f1', { customerId: 'u1' }, '2026-04-02T00:00:00Z', { feature: 'reports' }),
      event('f2', { customerId: 'u1' }, '2026-04-03T00:00:00Z'),
      event('f3', { customerId: 'u2' }, '2026-04-03T00:00:00Z', { feature: 'reports' }),
      event('f4', { customerId: 'u2' }, '2026-04-04T00:00:00Z', { feature: 'export' }),
      event('f5', { customerId: 'u3' }, '2026-04-04T00:00:00Z'),
      event('f6', { anonymousId: 'a1' }, '2026-04-05T00:00:00Z', { feature: 'export' }),
      // A funnel Visit > Signup > Buy in October 2025: p1 completes; p2 buys before signing up; p3 signs up
      // too late; p4 never visits; a5 visited in September, enters with its October visit.
      ...(
        [
          ['p1', 'Visit', '10-01'],
          ['p1', 'Signup', '10-02'],
          ['p1', 'Buy', '10-03'],
          ['p2', 'Visit', '10-01'],
          ['p2', 'Buy', '10-02'],
          ['p2', 'Signup', '10-03'],
          ['p3', 'Visit', '10-05'],
          ['p3', 'Signup', '10-25'],
          ['p4', 'Signup', '10-02'],
        ] as const
      ).map(([who, name, day], i) => event(`fu${i}`, { customerId: who }, `2025-${day}T12:00:00Z`, { name })),
      event('fu-a1', { anonymousId: 'a5' }, '2025-09-30T12:00:00Z', { name: 'Visit' }),
      event('fu-a2', { anonymousId: 'a5' }, '2025-10-10T12:00:00Z', { name: 'Visit' }),
      event('fu-a3', { anonymousId: 'a5' }, '2025-10-11T12:00:00Z', { name: 'Signup' }),
      // Inbound chats in Rome time: Friday 17:00 → Monday 10:00 (two business hours); 6 January (Epiphany)
      // 08:00 → 12:00 (three business hours, none when it is a holiday).
      ...(
        [
          ['z1', '2026-01-09T17:00:00+01:00', '2026-01-12T10:00:00+01:00'],
          ['z2', '2026-01-06T08:00:00+01:00', '2026-01-06T12:00:00+01:00'],
        ] as const
      ).map(([id, ts, firstResponseAt]) => ({
        type: 'contact',
        id,
        timestamp: ts,
        customerId: 'Z',
        channel: 'chat',
        direction: 'inbound',
        firstResponseAt,
      })),
      // A three-question survey in May.
      ...[5, 4, 2].map((s, i) => answer(`q1-${i}`, 'q1', 'csat', s, { scaleMin: 1, scaleMax: 5 })),
      ...[1, 3].map((s, i) =>
        answer(`q2-${i}`, 'q2', 'ces', s, { scaleMin: 1, scaleMax: 5, direction: 'lower_is_easier' }),
      ),
      ...[10, 6].map((s, i) => answer(`q3-${i}`, 'q3', 'nps', s)),
    ]);
    expect(r.body.rejected).toEqual([]);
  });
  afterAll(() => env.close());

  it('cohort retention: each acquisition month, k months later, as far as time has passed', async () => {
    const r = await q({
      metrics: ['cohort_retention'],
      grain: 'month',
      from: '2026-01-01',
      to: '2026-03-01',
    });
    const [jan, feb] = r.body.rows;
    // January: A, B, C all there on 1 Feb; B lost by 1 Mar; C by 1 Apr. 1 Jun has begun, 1 Jul not.
    expect(jan.cohort_retention).toMatchObject({ value: 100, n: 3, size: 3 });
    expect(jan.cohort_retention.curve.map((p: { rate: number }) => p.rate)).toEqual([
      100, 100, 66.6667, 33.3333, 33.3333, 33.3333,
    ]);
    // February: D, E; E lost before 1 Mar.
    expect(feb.cohort_retention).toMatchObject({ value: 50, n: 2, size: 2, hits: 1 });
    expect(feb.cohort_retention.curve).toHaveLength(5);
    const later = await q({
      metrics: ['cohort_retention'],
      from: '2026-01-01',
      to: '2026-03-01',
      params: { cohort_retention: { offset: 5 } },
    });
    // Without grain every customer counts from its own month; five months on, only January has begun.
    expect(later.body.rows[0].cohort_retention).toMatchObject({ value: 33.3333, n: 3, size: 5 });
    const one = await q({ metrics: ['cohort_retention'], from: '2026-01-01', to: '2026-03-01' });
    expect(one.body.rows[0].cohort_retention).toMatchObject({ value: 80, n: 5, hits: 4 });
  });

  it('time to value: to the first completed order, or to a named event', async () => {
    const r = await q({ metrics: ['time_to_value'], from: '2026-01-01', to: '2026-03-01' });
    // 2, 1 and 0.5 days; C never ordered and E has no order.
    expect(r.body.rows[0].time_to_value).toMatchObject({ value: (3.5 * DAY) / 3, n: 3 });
    expect(r.body.rows[0].time_to_value.median.value).toBe(DAY);
    const ev = await q({
      metrics: ['time_to_value'],
      from: '2026-01-01',
      to: '2026-03-01',
      params: { time_to_value: { valueEvent: 'Report Exported' } },
    });
    expect(ev.body.rows[0].time_to_value).toMatchObject({ value: 3 * DAY, n: 2 });
  });

  it('CAC = acquisition spend ÷ customers acquired; CLV = AOV × yearly frequency × lifespan; their ratio', async () => {
    const r = await q({
      metrics: ['cac', 'clv_historical', 'clv_cac_ratio', 'acquisition_spend', 'customers_acquired'],
      from: '2026-01-01',
      to: '2026-02-01',
    });
    const [row] = r.body.rows;
    expect(row.acquisition_spend).toMatchObject({ value: 1500, n: 2 });
    expect(row.customers_acquired).toMatchObject({ value: 3 });
    expect(row.cac).toMatchObject({ value: 500, acquisition_spend: 1500, customers_acquired: 3 });
    // 3 completed orders (300) by 2 customers in 31 days, 3 years of lifespan.
    const clv = 100 * (3 / 2 / (31 / 365.25)) * 3;
    expect(row.clv_historical.value).toBeCloseTo(clv, 2);
    expect(row.clv_historical).toMatchObject({ n: 2, orders: 3, revenue: 300, aov: 100 });
    expect(row.clv_cac_ratio.value).toBeCloseTo(clv / 500, 3);
    const margin = await q({
      metrics: ['clv_historical'],
      from: '2026-01-01',
      to: '2026-02-01',
      params: { clv_historical: { lifespanYears: 1, grossMargin: 0.5 } },
    });
    expect(margin.body.rows[0].clv_historical.value).toBeCloseTo(clv / 6, 2);
    const feb = await q({
      metrics: ['cac'],
      from: '2026-02-01',
      to: '2026-03-01',
      compare: 'previous_period',
    });
    // February: no spend, D and E acquired; January's CAC beside it, without a test for a quotient.
    expect(feb.body.rows[0].cac).toMatchObject({
      value: 0,
      previous: { value: 500 },
      delta: -500,
      p: null,
      significant: null,
    });
    const bySegment = await q({
      metrics: ['cac'],
      groupBy: ['segment'],
      from: '2026-01-01',
      to: '2026-02-01',
    });
    expect(bySegment.body.error.code).toBe('POLSO_DIMENSION_NOT_APPLICABLE');
  });

  it('revenue churn per customer: churned and contracted MRR ÷ MRR at the start, gross and net of expansion', async () => {
    const r = await q({
      metrics: ['revenue_churn_rate'],
      grain: 'month',
      from: '2026-01-01',
      to: '2026-03-01',
    });
    const [jan, feb] = r.body.rows.map((x: { revenue_churn_rate: unknown }) => x.revenue_churn_rate);
    expect(jan).toMatchObject({
      n: 3,
      startMrr: 230,
      churnedMrr: 0,
      contractionMrr: 50,
      expansionMrr: 20,
      newMrr: 0,
      gross: 21.7391,
      net: 13.0435,
      value: 21.7391,
    });
    expect(feb).toMatchObject({ n: 3, startMrr: 200, churnedMrr: 60, newMrr: 25, gross: 30, net: 30 });
    const net = await q({
      metrics: ['revenue_churn_rate'],
      from: '2026-01-01',
      to: '2026-02-01',
      params: { revenue_churn_rate: { variant: 'net' } },
    });
    expect(net.body.rows[0].revenue_churn_rate.value).toBe(13.0435);
  });

  it('touchpoints per purchase: distinct touchpoints in the window before each purchase', async () => {
    const r = await q({ metrics: ['touchpoints_per_purchase'], from: '2026-01-01', to: '2026-02-01' });
    // A's first order: chat, email, product, instagram = 4; B's: 0; A's second: + web order = 5.
    expect(r.body.rows[0].touchpoints_per_purchase).toMatchObject({
      value: 3,
      n: 3,
      parts: { moreThanFour: 33.3333 },
    });
    const short = await q({
      metrics: ['touchpoints_per_purchase'],
      from: '2026-01-01',
      to: '2026-02-01',
      params: { touchpoints_per_purchase: { windowDays: 5 } },
    });
    // Five days: the first order sees email (8 Jan), chat (9 Jan) and the product (11 Jan); the others none.
    expect(short.body.rows[0].touchpoints_per_purchase).toMatchObject({ value: 1, n: 3 });
    // The window's start is included: three days reach the chat at exactly 9 Jan 00:00, one day the
    // product at exactly 11 Jan 00:00; the order itself is never its own touchpoint.
    const edge = async (windowDays: number) =>
      (
        await q({
          metrics: ['touchpoints_per_purchase'],
          from: '2026-01-01',
          to: '2026-02-01',
          params: { touchpoints_per_purchase: { windowDays } },
        })
      ).body.rows[0].touchpoints_per_purchase;
    expect(await edge(3)).toMatchObject({ value: 0.6667, n: 3 });
    expect(await edge(1)).toMatchObject({ value: 0.3333, n: 3 });
  });

  it('feature adoption: users of each feature among all active users', async () => {
    const total = await q({ metrics: ['feature_adoption'], from: '2026-04-01', to: '2026-05-01' });
    expect(total.body.rows[0].feature_adoption).toMatchObject({ value: 75, n: 4, hits: 3 });
    const by = await q({
      metrics: ['feature_adoption'],
      groupBy: ['feature'],
      from: '2026-04-01',
      to: '2026-05-01',
    });
    expect(by.body.rows).toEqual([
      expect.objectContaining({
        feature: 'export',
        feature_adoption: expect.objectContaining({ value: 50, n: 4 }),
      }),
      expect.objectContaining({
        feature: 'reports',
        feature_adoption: expect.objectContaining({ value: 50, n: 4 }),
      }),
    ]);
    const filtered = await q({
      metrics: ['feature_adoption'],
      filters: { feature: ['reports'] },
      from: '2026-04-01',
      to: '2026-05-01',
    });
    expect(filtered.body.rows[0].feature_adoption).toMatchObject({ value: 50, n: 4, hits: 2 });
  });

  it('FRT in business hours: the project calendar, its weekends and holidays', async () => {
    const frt = (clock: string) =>
      q({ metrics: ['frt'], from: '2026-01-01', to: '2026-02-01', params: { frt: { clock } } });
    expect((await frt('calendar')).body.rows[0].frt).toMatchObject({ value: (234_000 + 14_400) / 2, n: 2 });
    // Default calendar: Monday–Friday 09:00–18:00.
    expect((await frt('business')).body.rows[0].frt).toMatchObject({ value: (7200 + 10_800) / 2, n: 2 });
    const set = (businessHours: unknown) => patchProject(env, { businessHours });
    const ok = await set({
      days: { mon: [['09:00', '18:00']], fri: [['09:00', '18:00']] },
      holidays: ['2026-01-06'],
    });
    expect(ok.statusCode).toBe(200);
    expect((await frt('business')).body.rows[0].frt).toMatchObject({ value: 3600, n: 2 });
    const bad = await set({ days: { mon: [['18:00', '09:00']], funday: [] }, holidays: ['6 gennaio'] });
    expect(bad.statusCode).toBe(400);
    for (const path of ['businessHours.days.mon[0]', 'businessHours.days.funday', 'businessHours.holidays'])
      expect(bad.json().error.message).toContain(path);
  });

  it('event funnel: ordered steps within the window from entering', async () => {
    const funnel = (params: Record<string, unknown> = {}) =>
      q({
        metrics: ['event_funnel'],
        from: '2025-10-01',
        to: '2025-11-01',
        params: { event_funnel: { steps: 'Visit > Signup > Buy', ...params } },
      });
    const r = await funnel();
    expect(r.body.rows[0].event_funnel).toMatchObject({
      value: 25,
      n: 4,
      steps: { Visit: 4, Signup: 3, Buy: 1 },
      rates: { Signup: 75, Buy: 33.3333 },
    });
    const bySegment = await q({
      metrics: ['event_funnel'],
      groupBy: ['segment'],
      from: '2025-10-01',
      to: '2025-11-01',
      params: { event_funnel: { steps: 'Visit > Signup > Buy' } },
    });
    // The funnel's people have no customer record: one group without a segment, the same counts.
    expect(bySegment.body.rows).toEqual([
      expect.objectContaining({ segment: null, event_funnel: expect.objectContaining({ value: 25, n: 4 }) }),
    ]);
    const wide = await funnel({ windowDays: 30 });
    expect(wide.body.rows[0].event_funnel.steps).toEqual({ Visit: 4, Signup: 4, Buy: 1 });
    const bad = await funnel({ steps: 'Visit > Visit' });
    expect(bad.body.error).toMatchObject({ code: 'POLSO_BAD_PARAM' });
    expect(bad.body.error.message).toMatch(/params\.event_funnel\.steps/);
  });

  it('question summary: distribution, mean, top box per question; composite over the survey', async () => {
    const by = await q({
      metrics: ['question_summary'],
      groupBy: ['question'],
      from: '2026-05-01',
      to: '2026-06-01',
    });
    const of = (id: string) =>
      by.body.rows.find((x: { question: string }) => x.question === id).question_summary;
    expect(of('q1')).toMatchObject({
      value: 66.6667,
      n: 3,
      mean: 3.6667,
      distribution: { 2: 1, 4: 1, 5: 1 },
      topBox: { value: 66.6667, hits: 2 },
    });
    // CES with lower = easier: 1 → 100, 3 → 50; easy side of 5-point effort is 1–2.
    expect(of('q2')).toMatchObject({ value: 75, n: 2, topBox: { hits: 1 } });
    expect(of('q3')).toMatchObject({ value: 80, n: 2, distribution: { 6: 1, 10: 1 }, topBox: { hits: 1 } });
    const all = await q({ metrics: ['question_summary'], from: '2026-05-01', to: '2026-06-01' });
    expect(all.body.rows[0].question_summary.value).toBeCloseTo(510 / 7, 3);
    expect(all.body.rows[0].question_summary.n).toBe(7);
  });
});
