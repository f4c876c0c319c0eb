/**
 * The metric engine on hand-computed fixtures (the seeds' own formulas), time zones and bucket
 * boundaries, intervals, comparison, errors, and CSV export — through `POST /api/v1/query`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../src/util/clock.ts';
import { ENGINES } from './engines.ts';
import { post, query as queryApi, type TestEnv } from './helpers.ts';

describe.each(ENGINES)('on $name', (engine) => {
  let env: TestEnv;
  const resp = (
    id: string,
    ts: string,
    metric: string,
    score: number | null,
    extra: Record<string, unknown> = {},
  ) => ({
    type: 'survey_response',
    id,
    timestamp: ts,
    customerId: `c-${id}`,
    surveyId: 's',
    questionId: metric,
    metric,
    ...(score === null ? {} : { score }),
    ...extra,
  });
  const contact = (id: string, ts: string, extra: Record<string, unknown> = {}) => ({
    type: 'contact',
    id,
    timestamp: ts,
    customerId: 'c-x',
    channel: 'voice',
    ...extra,
  });

  const query = (body: Record<string, unknown>, format = '') => queryApi(env, body, format);

  beforeAll(async () => {
    env = await engine.make({ clock: fixedClock('2026-06-01T00:00:00Z') });
    const nps = (scores: (number | null)[], ts: string, channel: string, prefix: string) =>
      scores.map((s, i) => resp(`${prefix}${i}`, ts, 'nps', s, { channel }));
    const records = [
      // January chat: P = 3 (10, 9, 10), D = 3 (6, 0, 3), passives 2 → NPS 0; one skipped answer.
      ...nps([10, 9, 8, 7, 6, 0, 10, 3, null], '2026-01-15T10:00:00+01:00', 'chat', 'jc'),
      // 00:30 in Rome on 1 January is still January there (23:30 UTC on 31 December).
      resp('edge-jan', '2025-12-31T23:30:00Z', 'nps', 10, { channel: 'email' }),
      // January email: P = 3, D = 1 → 50 (with the edge answer: 4 of 5 promoters… see below)
      ...nps([9, 9, 5], '2026-01-20T12:00:00+01:00', 'email', 'je'),
      // 00:30 in Rome on 1 February belongs to February.
      resp('edge-feb', '2026-01-31T23:30:00Z', 'nps', 10, { channel: 'chat' }),
      ...nps([10], '2026-02-10T12:00:00+01:00', 'chat', 'fc'),
      // CSAT: 1–5 [5, 4, 3, 2, 1, 4] → 3 satisfied; 1–10 [8, 7] → 1 satisfied; 4 of 8 = 50%.
      ...[5, 4, 3, 2, 1, 4].map((s, i) =>
        resp(`cs5-${i}`, '2026-01-10T10:00:00Z', 'csat', s, { scaleMin: 1, scaleMax: 5 }),
      ),
      ...[8, 7].map((s, i) =>
        resp(`cs10-${i}`, '2026-01-10T10:00:00Z', 'csat', s, { scaleMin: 1, scaleMax: 10 }),
      ),
      // CES: 7-pt ease [7, 5, 4, 1] → easy 2; 5-pt effort [1, 2, 3] → easy 2; 4 of 7.
      ...[7, 5, 4, 1].map((s, i) =>
        resp(`ce7-${i}`, '2026-01-10T10:00:00Z', 'ces', s, { scaleMin: 1, scaleMax: 7 }),
      ),
      ...[1, 2, 3].map((s, i) =>
        resp(`ce5-${i}`, '2026-01-10T10:00:00Z', 'ces', s, {
          scaleMin: 1,
          scaleMax: 5,
          direction: 'lower_is_easier',
        }),
      ),
      // AHT: 300+60+0+40 = 400 and 100 → 250; the abandoned call is not handled.
      contact('a1', '2026-01-05T10:00:00Z', {
        talkSeconds: 300,
        holdSeconds: 60,
        conferenceSeconds: 0,
        wrapUpSeconds: 40,
        waitSeconds: 10,
        reason: 'billing',
      }),
      contact('a2', '2026-01-05T11:00:00Z', {
        talkSeconds: 100,
        waitSeconds: 30,
        reason: 'billing',
        customerId: 'c-y',
      }),
      contact('a3', '2026-01-05T12:00:00Z', { abandoned: true, waitSeconds: 3, customerId: 'c-z' }),
      contact('a4', '2026-01-05T13:00:00Z', { abandoned: true, waitSeconds: 40, customerId: 'c-z' }),
      // FRT: 60, 120, 600 s (chat) → mean 260, median 120, p90 600.
      contact('f1', '2026-01-06T10:00:00Z', {
        channel: 'chat',
        firstResponseAt: '2026-01-06T10:01:00Z',
        customerId: 'c-f1',
      }),
      contact('f2', '2026-01-06T10:00:00Z', {
        channel: 'chat',
        firstResponseAt: '2026-01-06T10:02:00Z',
        customerId: 'c-f2',
      }),
      contact('f3', '2026-01-06T10:00:00Z', {
        channel: 'chat',
        firstResponseAt: '2026-01-06T10:10:00Z',
        customerId: 'c-f3',
      }),
      // Inferred FCR: c-r contacts twice about delivery within 7 days; c-s once.
      contact('r1', '2026-01-10T10:00:00Z', {
        channel: 'email',
        customerId: 'c-r',
        reason: 'delivery',
        resolvedOnFirstContact: true,
      }),
      contact('r2', '2026-01-12T10:00:00Z', {
        channel: 'email',
        customerId: 'c-r',
        reason: 'delivery',
        resolvedOnFirstContact: false,
      }),
      contact('r3', '2026-01-13T10:00:00Z', {
        channel: 'email',
        customerId: 'c-s',
        reason: 'delivery',
        resolvedOnFirstContact: true,
      }),
    ];
    const r = await post(env.app, env.project.writeKey, records);
    expect(r.body.rejected).toEqual([]);
  });
  afterAll(async () => env.close());

  describe('feedback metrics', () => {
    it('NPS = %P − %D per channel and month, Rome time, skipped answers left out', async () => {
      const r = await query({
        metrics: ['nps'],
        groupBy: ['channel'],
        grain: 'month',
        from: '2026-01-01',
        to: '2026-03-01',
      });
      expect(r.status).toBe(200);
      const cell = (channel: string, period: string) =>
        r.body.rows.find((x: Record<string, unknown>) => x.channel === channel && x.period === period).nps;
      expect(cell('chat', '2026-01-01')).toMatchObject({
        value: 0,
        n: 8,
        promoters: 3,
        passives: 2,
        detractors: 3,
        small: true,
      });
      // email January: 10 (edge), 9, 9, 5 → P 3, D 1 of 4 → 50
      expect(cell('email', '2026-01-01')).toMatchObject({ value: 50, n: 4 });
      expect(cell('chat', '2026-02-01')).toMatchObject({ value: 100, n: 2 });
      // no email answer in February: the bucket is there, empty
      expect(cell('email', '2026-02-01')).toMatchObject({ value: null, n: 0 });
      const ci = cell('chat', '2026-01-01').ci;
      expect(ci[0]).toBeLessThan(0);
      expect(ci[1]).toBeGreaterThan(0);
      expect(cell('chat', '2026-02-01').ci[1]).toBeLessThanOrEqual(100);
    });

    it('the invitation funnel: counts per step, step rates, completed ÷ sent', async () => {
      const inv = (id: string, steps: string[]) => ({
        type: 'survey_invitation',
        id,
        timestamp: '2026-05-20T09:00:00Z',
        customerId: `c-${id}`,
        surveyId: 'csat',
        via: 'email',
        ...Object.fromEntries(steps.map((s, i) => [s, `2026-05-20T09:0${i}:00Z`])),
      });
      await post(env.app, env.project.writeKey, [
        inv('i1', ['sentAt', 'deliveredAt', 'openedAt', 'startedAt', 'completedAt']),
        inv('i2', ['sentAt', 'deliveredAt', 'openedAt']),
        inv('i3', ['sentAt', 'deliveredAt']),
        inv('i4', ['sentAt']),
      ]);
      const r = await query({
        metrics: ['survey_funnel', 'survey_response_rate'],
        from: '2026-05-20',
        to: '2026-05-21',
        timezone: 'UTC',
      });
      const [row] = r.body.rows;
      expect(row.survey_funnel).toMatchObject({
        value: 25,
        n: 4,
        steps: { sent: 4, delivered: 3, opened: 2, started: 1, completed: 1 },
        rates: { delivered: 75, started: 50, completed: 100 },
      });
      expect(row.survey_funnel.rates.opened).toBeCloseTo(66.6667, 3);
      expect(row.survey_response_rate).toMatchObject({ n: 3, hits: 1 });
    });

    it('CSAT top-two-box per scale, CES mean and easy share per scale and direction', async () => {
      const r = await query({
        metrics: ['csat', 'csat_mean', 'ces', 'ces_easy_share'],
        from: '2026-01-01',
        to: '2026-02-01',
      });
      const [row] = r.body.rows;
      expect(row.csat).toMatchObject({ value: 50, n: 8, hits: 4 });
      expect(row.csat_mean.value).toBeCloseTo((5 + 4 + 3 + 2 + 1 + 4 + 8 + 7) / 8, 4);
      expect(row.ces).toMatchObject({ n: 7 });
      expect(row.ces.value).toBeCloseTo((7 + 5 + 4 + 1 + 1 + 2 + 3) / 7, 4);
      expect(row.ces_easy_share).toMatchObject({ n: 7, hits: 4 });
      // Wilson interval of 4/8
      expect(row.csat.ci[0]).toBeCloseTo(21.52, 1);
      expect(row.csat.ci[1]).toBeCloseTo(78.48, 1);
      // The answers per score of each question type (the feedback page's distribution), and the
      // answers behind one bar: a type and a score as filters.
      const month = { from: '2026-01-01', to: '2026-02-01' };
      const byType = await query({ metrics: ['question_summary'], groupBy: ['question_type'], ...month });
      const of = (t: string) =>
        byType.body.rows.find((x: { question_type: string }) => x.question_type === t);
      expect(of('csat').question_summary).toMatchObject({
        n: 8,
        distribution: { 1: 1, 2: 1, 3: 1, 4: 2, 5: 1, 7: 1, 8: 1 },
      });
      expect(of('ces').question_summary).toMatchObject({
        n: 7,
        distribution: { 1: 2, 2: 1, 3: 1, 4: 1, 5: 1, 7: 1 },
      });
      const bar = await query({
        metrics: ['question_summary'],
        filters: { question_type: ['csat'], score: ['4'] },
        ...month,
      });
      expect(bar.body.rows[0].question_summary).toMatchObject({ n: 2, distribution: { 4: 2 } });
    });
  });

  describe('service metrics', () => {
    it('AHT with its four parts, ASA, abandonment and service level with short abandons', async () => {
      const r = await query({
        metrics: ['aht', 'asa', 'abandonment_rate', 'service_level', 'contact_volume'],
        filters: { channel: ['voice'] },
        from: '2026-01-05',
        to: '2026-01-06',
      });
      const [row] = r.body.rows;
      expect(row.aht).toMatchObject({
        value: 250,
        n: 2,
        parts: { talk: 200, hold: 30, conference: 0, wrapUp: 20 },
      });
      expect(row.asa).toMatchObject({ value: 20, n: 2 });
      // offered 4, short abandon 1 → 3; abandoned (not short) 1 → 33.33%; answered ≤ 20 s: 1 → 33.33%
      expect(row.abandonment_rate).toMatchObject({ n: 3, hits: 1 });
      expect(row.abandonment_rate.value).toBeCloseTo(33.3333, 3);
      expect(row.service_level).toMatchObject({ n: 3, hits: 1 });
      expect(row.contact_volume).toMatchObject({ value: 4, n: 4 });
    });

    it('contacts by local weekday and hour, and filtered on them', async () => {
      const range = { from: '2026-01-05', to: '2026-01-07' };
      const cells = async (timezone: string) =>
        (
          await query({ metrics: ['contact_volume'], groupBy: ['weekday', 'hour'], ...range, timezone })
        ).body.rows.map((r: Record<string, unknown>) => [
          r.weekday,
          r.hour,
          (r.contact_volume as { value: number }).value,
        ]);
      // Monday 5 January at 10:00–13:00 UTC, Tuesday 6 January three at 10:00 UTC; Rome is UTC+1.
      expect(await cells('Europe/Rome')).toEqual([
        [1, 11, 1],
        [1, 12, 1],
        [1, 13, 1],
        [1, 14, 1],
        [2, 11, 3],
      ]);
      expect((await cells('UTC')).map(([d, h]: number[]) => [d, h])).toEqual([
        [1, 10],
        [1, 11],
        [1, 12],
        [1, 13],
        [2, 10],
      ]);
      const filtered = await query({
        metrics: ['contact_volume'],
        filters: { weekday: ['2'], hour: ['11'] },
        ...range,
      });
      expect(filtered.body.rows[0].contact_volume).toMatchObject({ value: 3 });
    });

    it('FRT mean, median and p90 with order-statistic intervals', async () => {
      const r = await query({ metrics: ['frt'], from: '2026-01-06', to: '2026-01-07' });
      const { frt } = r.body.rows[0];
      expect(frt).toMatchObject({ value: 260, n: 3, median: { value: 120 }, p90: { value: 600 } });
      // with 3 values the exact 95% interval of the median is unbounded on both sides
      expect(frt.median.ci).toBeNull();
    });

    it('FCR by both methods, and the result says which', async () => {
      const inferred = await query({
        metrics: ['fcr'],
        filters: { reason: ['delivery'] },
        from: '2026-01-01',
        to: '2026-02-01',
      });
      expect(inferred.body.rows[0].fcr).toMatchObject({ method: 'inferred', n: 3, hits: 2 });
      const explicit = await query({
        metrics: ['fcr'],
        filters: { reason: ['delivery'] },
        from: '2026-01-01',
        to: '2026-02-01',
        params: { fcr: { method: 'explicit' } },
      });
      expect(explicit.body.rows[0].fcr).toMatchObject({ method: 'explicit', n: 3, hits: 2 });
    });
  });

  describe('customer metrics', () => {
    beforeAll(async () => {
      const cust = (id: string, segment: string, acquiredAt?: string, churnedAt?: string) => ({
        type: 'customer',
        id,
        timestamp: '2025-01-01T00:00:00Z',
        segment,
        ...(acquiredAt ? { acquiredAt } : {}),
        ...(churnedAt ? { churnedAt } : {}),
      });
      const r = await post(env.app, env.project.writeKey, [
        cust('A', 'smb', '2025-06-01T00:00:00Z'),
        cust('B', 'smb', '2025-07-01T00:00:00Z', '2026-02-15T00:00:00Z'),
        cust('C', 'consumer', '2025-08-01T00:00:00Z', '2026-05-01T00:00:00Z'),
        cust('D', 'smb', '2026-02-01T00:00:00Z'),
        cust('E', 'consumer', '2026-01-10T00:00:00Z', '2026-03-01T00:00:00Z'),
        cust('F', 'consumer', '2025-05-01T00:00:00Z', '2025-12-01T00:00:00Z'),
        // G: acquired with its first subscription, lost when its only subscription ends
        cust('G', 'consumer'),
        {
          type: 'subscription',
          id: 'sG',
          timestamp: '2025-09-01T00:00:00Z',
          customerId: 'G',
          plan: 'pro',
          startedAt: '2025-09-01T00:00:00Z',
          endedAt: '2026-03-15T00:00:00Z',
        },
        // H: acquired with its first completed order
        cust('H', 'consumer'),
        {
          type: 'order',
          id: 'oH',
          timestamp: '2025-10-01T00:00:00Z',
          customerId: 'H',
          amount: 10,
          currency: 'EUR',
        },
      ]);
      expect(r.body.rejected).toEqual([]);
    });

    it('churn over customers at the start; CRR = ((E − N) ÷ S) × 100; E ÷ S under its own name', async () => {
      const r = await query({
        metrics: ['churn_rate', 'retention_rate', 'retention_rate_simple'],
        from: '2026-01-01',
        to: '2026-04-01',
        timezone: 'UTC',
      });
      const [row] = r.body.rows;
      // S = A, B, C, G, H; lost B, G; E = A, C, D, H; N = D; E joined and was lost inside.
      expect(row.churn_rate).toMatchObject({
        value: 40,
        n: 5,
        start: 5,
        lost: 2,
        end: 4,
        new: 1,
        joinedAndLost: 1,
      });
      expect(row.retention_rate).toMatchObject({ value: 60, n: 5 });
      expect(row.retention_rate.value).toBe(100 - row.churn_rate.value);
      expect(row.retention_rate_simple).toMatchObject({ value: 80, n: 5, ci: null });
      const incl = await query({
        metrics: ['churn_rate'],
        from: '2026-01-01',
        to: '2026-04-01',
        timezone: 'UTC',
        params: { churn_rate: { includeJoinedAndLost: 'yes' } },
      });
      expect(incl.body.rows[0].churn_rate).toMatchObject({ value: 60, hits: 3 });
    });

    it('per month and per segment', async () => {
      const r = await query({
        metrics: ['churn_rate'],
        groupBy: ['segment'],
        grain: 'month',
        from: '2026-01-01',
        to: '2026-04-01',
        timezone: 'UTC',
      });
      const cell = (segment: string, period: string) =>
        r.body.rows.find((x: Record<string, unknown>) => x.segment === segment && x.period === period)
          .churn_rate;
      expect(cell('smb', '2026-01-01')).toMatchObject({ n: 2, lost: 0, value: 0 });
      expect(cell('smb', '2026-02-01')).toMatchObject({ n: 2, lost: 1, value: 50 });
      // consumers at 1 March 00:00: C, E (lost at that very instant, so still there at the start), G, H;
      // lost during March: E and G (15 March)
      expect(cell('consumer', '2026-03-01')).toMatchObject({ n: 4, lost: 2, value: 50 });
    });
  });

  describe('digital and backlog', () => {
    beforeAll(async () => {
      const ev = (id: string, ts: string, who: Record<string, string>) => ({
        type: 'event',
        id,
        timestamp: ts,
        name: 'Login',
        ...who,
      });
      const r = await post(env.app, env.project.writeKey, [
        ev('e1', '2026-04-01T08:00:00Z', { customerId: 'u1' }),
        ev('e2', '2026-04-01T09:00:00Z', { customerId: 'u1' }),
        ev('e3', '2026-04-01T10:00:00Z', { customerId: 'u2' }),
        ev('e4', '2026-04-02T10:00:00Z', { customerId: 'u1' }),
        ev('e5', '2026-04-04T10:00:00Z', { anonymousId: 'a1' }),
        contact('b1', '2026-04-01T10:00:00Z', { channel: 'webform', resolvedAt: '2026-04-10T10:00:00Z' }),
        contact('b2', '2026-04-05T10:00:00Z', { channel: 'webform' }),
        contact('b3', '2026-03-20T10:00:00Z', { channel: 'webform', resolvedAt: '2026-04-02T10:00:00Z' }),
      ]);
      expect(r.body.rejected).toEqual([]);
    });

    it('DAU is the mean of daily distinct users over every day; active users are distinct in the period', async () => {
      const total = await query({
        metrics: ['dau', 'active_users'],
        from: '2026-04-01',
        to: '2026-04-05',
        timezone: 'UTC',
      });
      // user-days 2 + 1 + 0 + 1 over 4 days
      expect(total.body.rows[0].dau).toMatchObject({ value: 1, n: 4, userDays: 4, activeDays: 3 });
      expect(total.body.rows[0].active_users).toMatchObject({ value: 3 });
      const daily = await query({
        metrics: ['dau'],
        grain: 'day',
        from: '2026-04-01',
        to: '2026-04-05',
        timezone: 'UTC',
      });
      expect(daily.body.rows.map((r: { dau: { value: number } }) => r.dau.value)).toEqual([2, 1, 0, 1]);
      const hourly = await query({ metrics: ['dau'], grain: 'hour', from: '2026-04-01', to: '2026-04-02' });
      expect(hourly.body.error.code).toBe('POLSO_BAD_QUERY');
    });

    it('WAU and MAU over the days ending with each period; stickiness = mean DAU ÷ MAU', async () => {
      const total = await query({
        metrics: ['wau', 'mau', 'stickiness'],
        from: '2026-04-01',
        to: '2026-04-05',
        timezone: 'UTC',
      });
      const [row] = total.body.rows;
      expect(row.wau.value).toBe(3);
      expect(row.mau.value).toBe(3);
      expect(row.stickiness.value).toBeCloseTo(100 / 3, 3);
      const daily = await query({
        metrics: ['wau'],
        grain: 'day',
        from: '2026-04-01',
        to: '2026-04-05',
        timezone: 'UTC',
      });
      // 1 April: u1, u2; 2 April: u1, u2 (7 days back); 3 April: the same; 4 April: + a1
      expect(daily.body.rows.map((r: { wau: { value: number } }) => r.wau.value)).toEqual([2, 2, 2, 3]);
    });

    it('a rolling window that starts and ends inside days counts exactly the people active in it', async () => {
      const login = (id: string, ts: string, customerId: string) => ({
        type: 'event',
        id,
        timestamp: ts,
        name: 'Login',
        customerId,
      });
      const r = await post(env.app, env.project.writeKey, [
        login('r1', '2026-06-10T08:00:00Z', 'w1'), // before the window…
        login('r2', '2026-06-10T20:00:00Z', 'w1'), // …and in it, the same day
        login('r3', '2026-06-10T08:00:00Z', 'w2'), // only before
        login('r4', '2026-06-17T10:00:00Z', 'w3'), // in it…
        login('r5', '2026-06-17T14:00:00Z', 'w3'), // …and after, the same day
        login('r6', '2026-06-17T14:00:00Z', 'w4'), // only after
        login('r7', '2026-06-17T12:00:00Z', 'w5'), // at the end: excluded
        login('r8', '2026-06-10T12:00:00Z', 'w6'), // at the start: included
        login('r9', '2026-06-16T21:00:00Z', 'w7'), // 23:00 in Rome, 16 June…
        login('r10', '2026-06-16T23:00:00Z', 'w7'), // …and 01:00 on 17 June: one UTC day, two Rome days
      ]);
      expect(r.body.rejected).toEqual([]);
      const res = await query({ metrics: ['wau'], from: '2026-06-10T12:00:00Z', to: '2026-06-17T12:00:00Z' });
      expect(res.body.rows[0].wau.value).toBe(4);
      // Rome days 16 and 17 June: windows [9 June 22:00Z, 16 June 22:00Z) and [10 June 22:00Z, 17 June 22:00Z)
      const daily = await query({
        metrics: ['wau'],
        grain: 'day',
        from: '2026-06-16',
        to: '2026-06-18',
        timezone: 'Europe/Rome',
      });
      expect(daily.body.rows.map((row: { wau: { value: number } }) => row.wau.value)).toEqual([4, 4]);
    });

    it('conversion rate over visits: sessions, else 30-minute gaps; only by customer traits', async () => {
      const ev = (id: string, ts: string, name: string, who: Record<string, string>) => ({
        type: 'event',
        id,
        timestamp: ts,
        name,
        ...who,
      });
      await post(env.app, env.project.writeKey, [
        ev('v1', '2026-05-10T10:00:00Z', 'Page Viewed', { customerId: 'v-u1', sessionId: 's1' }),
        ev('v2', '2026-05-10T10:05:00Z', 'Order Completed', { customerId: 'v-u1', sessionId: 's1' }),
        ev('v3', '2026-05-10T10:00:00Z', 'Page Viewed', { customerId: 'v-u2', sessionId: 's2' }),
        ev('v4', '2026-05-10T10:00:00Z', 'Page Viewed', { customerId: 'v-u3' }),
        ev('v5', '2026-05-10T10:20:00Z', 'Page Viewed', { customerId: 'v-u3' }),
        ev('v6', '2026-05-10T11:00:00Z', 'Order Completed', { customerId: 'v-u3' }),
      ]);
      const r = await query({
        metrics: ['conversion_rate'],
        from: '2026-05-10',
        to: '2026-05-11',
        timezone: 'UTC',
      });
      // visits: s1 (converts), s2, v-u3 10:00–10:20, v-u3 11:00 (converts)
      expect(r.body.rows[0].conversion_rate).toMatchObject({ value: 50, n: 4, hits: 2 });
      // A visit ends at local midnight: a session and a gap-free run across it are two visits each,
      // and the day after counts the converting half on its own.
      await post(env.app, env.project.writeKey, [
        ev('m1', '2026-05-11T21:50:00Z', 'Page Viewed', { customerId: 'v-u4', sessionId: 's4' }),
        ev('m2', '2026-05-11T22:10:00Z', 'Order Completed', { customerId: 'v-u4', sessionId: 's4' }),
        ev('m3', '2026-05-11T21:55:00Z', 'Page Viewed', { customerId: 'v-u5' }),
        ev('m4', '2026-05-11T22:05:00Z', 'Page Viewed', { customerId: 'v-u5' }),
      ]);
      const midnight = await query({
        metrics: ['conversion_rate'],
        grain: 'day',
        from: '2026-05-11',
        to: '2026-05-13',
        timezone: 'Europe/Rome',
      });
      expect(midnight.body.rows.map((row: { conversion_rate: object }) => row.conversion_rate)).toMatchObject(
        [
          { value: 0, n: 2, hits: 0 },
          { value: 50, n: 2, hits: 1 },
        ],
      );
      const byPage = await query({
        metrics: ['conversion_rate'],
        groupBy: ['page'],
        from: '2026-05-10',
        to: '2026-05-11',
      });
      expect(byPage.body.error.code).toBe('POLSO_DIMENSION_NOT_APPLICABLE');
    });

    it('backlog counts contacts still open at the end of each period', async () => {
      const r = await query({
        metrics: ['backlog'],
        grain: 'month',
        filters: { channel: ['webform'] },
        from: '2026-03-01',
        to: '2026-06-01',
        timezone: 'UTC',
      });
      // end of March: b3 (resolved 2 April); end of April and May: b2
      expect(r.body.rows.map((x: { backlog: { value: number } }) => x.backlog.value)).toEqual([1, 1, 1]);
      const day = await query({
        metrics: ['backlog'],
        filters: { channel: ['webform'] },
        from: '2026-04-01',
        to: '2026-04-06',
        timezone: 'UTC',
      });
      // at 6 April: b1 (until the 10th) and b2
      expect(day.body.rows[0].backlog.value).toBe(2);
    });
  });

  describe('queries', () => {
    it('compares with the previous period with a test of significance', async () => {
      const r = await query({
        metrics: ['nps', 'csat'],
        from: '2026-02-01',
        to: '2026-03-01',
        compare: 'previous_period',
      });
      const [row] = r.body.rows;
      expect(row.nps.previous).toMatchObject({ n: 12 });
      expect(row.nps.delta).toBeCloseTo(row.nps.value - row.nps.previous.value, 4);
      expect(typeof row.nps.p).toBe('number');
      expect(typeof row.nps.significant).toBe('boolean');
      expect(r.body.meta.compare).toMatchObject({ from: '2026-01-01', to: '2026-02-01' });
    });

    it('answers 4xx with a stable code naming the bad part', async () => {
      const cases: [Record<string, unknown>, string, string][] = [
        [{ metrics: ['nope'], from: '2026-01-01', to: '2026-02-01' }, 'POLSO_UNKNOWN_METRIC', 'nope'],
        [
          { metrics: ['nps'], groupBy: ['colour'], from: '2026-01-01', to: '2026-02-01' },
          'POLSO_UNKNOWN_DIMENSION',
          'colour',
        ],
        [
          { metrics: ['nps'], groupBy: ['agent'], from: '2026-01-01', to: '2026-02-01' },
          'POLSO_DIMENSION_NOT_APPLICABLE',
          'agent',
        ],
        [
          { metrics: ['nps'], grain: 'fortnight', from: '2026-01-01', to: '2026-02-01' },
          'POLSO_BAD_QUERY',
          'grain',
        ],
        [{ metrics: ['nps'], from: '2026-02-01', to: '2026-01-01' }, 'POLSO_BAD_QUERY', 'to'],
        [{ metrics: ['nps'], from: '2026-02-30', to: '2026-03-01' }, 'POLSO_BAD_QUERY', 'from'],
        [
          { metrics: ['nps'], timezone: 'Mars/Base', from: '2026-01-01', to: '2026-02-01' },
          'POLSO_BAD_QUERY',
          'timezone',
        ],
        [
          { metrics: ['fcr'], params: { fcr: { windowDays: 0 } }, from: '2026-01-01', to: '2026-02-01' },
          'POLSO_BAD_PARAM',
          'windowDays',
        ],
      ];
      for (const [body, code, part] of cases) {
        const r = await query(body);
        expect(r.status, code).toBe(400);
        expect(r.body.error.code).toBe(code);
        expect(r.body.error.message).toContain(part);
      }
    });

    it('exports CSV safe against formula injection', async () => {
      await post(env.app, env.project.writeKey, [
        contact('evil', '2026-01-07T10:00:00Z', { reason: '=HYPERLINK("http://x")' }),
      ]);
      const r = await query(
        { metrics: ['contact_volume'], groupBy: ['reason'], from: '2026-01-07', to: '2026-01-08' },
        '?format=csv',
      );
      expect(r.status).toBe(200);
      expect(r.body).toContain(`"'=HYPERLINK(""http://x"")"`);
      expect(r.body.split('\r\n')[0]).toBe(
        'reason,contact_volume,contact_volume_n,contact_volume_ci_low,contact_volume_ci_high',
      );
    });

    it('serves an OpenAPI document covering every route, with the record schemas', async () => {
      const doc = (await env.app.inject({ url: '/api/v1/openapi.json' })).json();
      expect(doc.openapi).toBe('3.1.0');
      for (const path of [
        '/api/v1/records',
        '/api/v1/query',
        '/api/v1/metrics',
        '/v1/batch',
        '/api/v1/customers/{id}',
      ])
        expect(doc.paths[path], path).toBeDefined();
      expect(doc.components.schemas.Record_survey_response.required).toEqual(
        expect.arrayContaining(['id', 'timestamp', 'surveyId', 'questionId', 'metric']),
      );
      expect(doc.components.schemas.Query.properties.metrics.items.enum).toContain('fcr');
    });

    it('publishes the catalogue in Italian and English', async () => {
      const res = await env.app.inject({
        url: '/api/v1/metrics',
        headers: { authorization: `Bearer ${env.project.secretKey}` },
      });
      const nps = res.json().metrics.find((m: { id: string }) => m.id === 'nps');
      expect(nps.name).toEqual({ it: 'Net Promoter Score', en: 'Net Promoter Score' });
      expect(nps.formula).toContain('%P − %D');
      expect(nps.dimensions).toContain('channel');
    });
  });
});
