/**
 * Per-customer scores on hand-computed fixtures: the engagement share and the health score with its
 * components, bands and per-segment weights — through the API, on every engine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../src/util/clock.ts';
import { ENGINES } from './engines.ts';
import { patchProject, post, query, recordMaker, type TestEnv } from './helpers.ts';

describe.each(ENGINES)('on $name', (engine) => {
  let env: TestEnv;
  const q = (body: Record<string, unknown>) => query(env, { timezone: 'UTC', ...body });
  const at = (day: string) => `2026-${day}T00:00:00Z`;

  beforeAll(async () => {
    env = await engine.make({ clock: fixedClock('2026-06-01T00:00:00Z') });
    const rec = recordMaker(at);
    const event = (who: string, day: string, extra: object = {}) =>
      rec('event', who, day, { name: 'Login', ...extra });
    const customer = (id: string, segment: string, acquiredAt?: string, churnedAt?: string) => ({
      type: 'customer',
      id,
      timestamp: at('01-01'),
      segment,
      ...(acquiredAt ? { acquiredAt: at(acquiredAt) } : {}),
      ...(churnedAt ? { churnedAt: at(churnedAt) } : {}),
    });
    const r = await post(env.app, env.project.writeKey, [
      // March engagement. G1: 5 active days, 5 touchpoints, last on 28 March.
      customer('G1', 'smb'),
      event('G1', '03-20', { feature: 'f1' }),
      event('G1', '03-21', { feature: 'f2' }),
      event('G1', '03-22', { page: '/home' }),
      event('G1', '03-23'),
      rec('contact', 'G1', '03-28', { channel: 'chat' }),
      // G2: 4 days of logins (4 of 31 days is fewer than 4 per 30), one touchpoint, last on 4 March.
      ...['03-01', '03-02', '03-03', '03-04'].map((d) => event('G2', d)),
      // G3: one order on 30 March.
      rec('order', 'G3', '03-30', { amount: 10, currency: 'EUR', channel: 'web' }),
      // May health, window 2 May – 1 June. H1: usage 9 days = full, 3 features, NPS 10, last event 31 May.
      customer('H1', 'smb', '01-01'),
      ...['05-23', '05-24', '05-25', '05-26', '05-27', '05-28', '05-29', '05-30', '05-31'].map((d, i) =>
        event('H1', d, i < 3 ? { feature: `f${i}` } : {}),
      ),
      rec('survey_response', 'H1', '05-20', { surveyId: 's', questionId: 'n', metric: 'nps', score: 10 }),
      // H2: no usage, CSAT 2 of 1–5 (0.25), one open contact (0.5), a refund (0).
      customer('H2', 'consumer', '01-01'),
      rec('survey_response', 'H2', '05-20', {
        surveyId: 's',
        questionId: 'c',
        metric: 'csat',
        score: 2,
        scaleMin: 1,
        scaleMax: 5,
      }),
      rec('contact', 'H2', '05-25', { channel: 'email' }),
      rec('order', 'H2', '05-15', { amount: 20, currency: 'EUR', status: 'refunded' }),
      // Lost before the end of May, and acquired after it: not scored.
      customer('H3', 'smb', '01-01', '05-15'),
      customer('H4', 'smb', '06-10'),
    ]);
    expect(r.body.rejected).toEqual([]);
  });
  afterAll(() => env.close());

  it('engagement: the share of fully engaged customers, with interactions, days, depth and recency', async () => {
    const r = await q({ metrics: ['engagement_score'], from: '2026-03-01', to: '2026-04-01' });
    expect(r.body.rows[0].engagement_score).toMatchObject({
      value: 33.3333,
      n: 3,
      hits: 1,
      interactions: 3.3333,
      activeDays: 3.3333,
      depth: 2.3333,
      // 4, 28 and 2 days before 1 April
      recencyDays: 11.3333,
    });
    const smb = await q({
      metrics: ['engagement_score'],
      filters: { segment: ['smb'] },
      from: '2026-03-01',
      to: '2026-04-01',
    });
    expect(smb.body.rows[0].engagement_score).toMatchObject({ value: 100, n: 1 });
    const strict = await q({
      metrics: ['engagement_score'],
      from: '2026-03-01',
      to: '2026-04-01',
      params: { engagement_score: { minDepth: 6 } },
    });
    expect(strict.body.rows[0].engagement_score).toMatchObject({ value: 0, hits: 0 });
  });

  it('health: weighted components on 0–100 for customers active at the end, with bands', async () => {
    const r = await q({ metrics: ['health_score'], from: '2026-05-01', to: '2026-06-01' });
    const h = r.body.rows[0].health_score;
    // H1: 100 × (0.25 + 0.15 + 0.2 + 0.15 + 0.1 + 0.15 × 29/30) = 99.5; H2: 100 × (0.2 × 0.25 + 0.15 × 0.5) = 12.5
    expect(h).toMatchObject({ value: 56, n: 2, bands: { red: 1, yellow: 0, green: 1 } });
    expect(h.components).toEqual({
      usage: 50,
      adoption: 50,
      feedback: 62.5,
      support: 75,
      payment: 50,
      recency: 48.3333,
    });
    const bySegment = await q({
      metrics: ['health_score'],
      groupBy: ['segment'],
      from: '2026-05-01',
      to: '2026-06-01',
    });
    const of = (s: string) =>
      bySegment.body.rows.find((x: { segment: string }) => x.segment === s).health_score;
    expect(of('smb')).toMatchObject({ value: 99.5, n: 1 });
    expect(of('consumer')).toMatchObject({ value: 12.5, n: 1 });
  });

  it('health weights per segment come from the project configuration', async () => {
    const patch = await patchProject(env, {
      healthWeights: {
        consumer: { feedback: 1, usage: 0, adoption: 0, support: 0, payment: 0, recency: 0 },
      },
    });
    expect(patch.statusCode).toBe(200);
    const r = await q({
      metrics: ['health_score'],
      groupBy: ['segment'],
      from: '2026-05-01',
      to: '2026-06-01',
    });
    const consumer = r.body.rows.find((x: { segment: string }) => x.segment === 'consumer').health_score;
    expect(consumer.value).toBe(25);
    const bad = await patchProject(env, { healthWeights: { smb: { happiness: 1, usage: -1 } } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toMatch(/healthWeights\.smb\.happiness: unknown component/);
    expect(bad.json().error.message).toMatch(/healthWeights\.smb\.usage: must be a number from 0 to 100/);
    // A segment completed from a default that leaves only usage, then without usage: nothing to weigh.
    const zero = await patchProject(env, {
      healthWeights: {
        default: { usage: 1, adoption: 0, feedback: 0, support: 0, payment: 0, recency: 0 },
        smb: { usage: 0 },
      },
    });
    expect(zero.statusCode).toBe(400);
    expect(zero.json().error.message).toMatch(/healthWeights\.smb: weights cannot all be zero/);
  });
});
