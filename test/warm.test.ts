/**
 * The query warmer: after a write, the queries a dashboard asked are asked again in the background,
 * so the next identical query is answered from the memo — with the write in it.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planQuery } from '../src/engine/plan.ts';
import { runQuery } from '../src/engine/run.ts';
import { dashboardSeeds, QueryWarmer } from '../src/service/warm.ts';
import { DuckDbStore } from '../src/store/duckdb/store.ts';
import { fixedClock } from '../src/util/clock.ts';
import { PAGES, panelShape, presetRange } from '../src/views/dashboard.ts';
import { ENGINES } from './engines.ts';
import { post, query, recordMaker, type TestEnv } from './helpers.ts';

describe.each(ENGINES)('on $name', (engine) => {
  let env: TestEnv;
  const rec = recordMaker((day) => `${day}T10:00:00Z`);
  const QUESTION = {
    metrics: ['nps', 'contact_volume', 'active_users'],
    grain: 'month',
    from: '2026-07-01',
    to: '2026-11-01',
  };

  beforeAll(async () => {
    env = await engine.make({ clock: fixedClock('2026-10-30T12:00:00Z'), warmDelayMs: 20 });
    const r = await post(env.app, env.project.writeKey, [
      rec('survey_response', 'c1', '2026-08-03', {
        surveyId: 's',
        questionId: 'q',
        metric: 'nps',
        score: 10,
      }),
      rec('contact', 'c1', '2026-09-03', { channel: 'chat' }),
      rec('event', 'c2', '2026-10-03', { name: 'Page Viewed' }),
    ]);
    expect(r.status).toBe(200);
  });
  afterAll(async () => env.close());

  it('asks a recent query again after a write, so the next one comes from the memo with the write in it', async () => {
    const first = await query(env, QUESTION);
    expect(first.status).toBe(200);
    const october = () => first.body.rows.find((r: { period: string }) => r.period === '2026-10-01');
    expect(october().nps).toMatchObject({ value: null, n: 0 });

    const r = await post(env.app, env.project.writeKey, [
      rec('survey_response', 'c2', '2026-10-20', { surveyId: 's', questionId: 'q', metric: 'nps', score: 2 }),
    ]);
    expect(r.status).toBe(200);
    await env.warmer!.settled();
    const misses = env.store.memo.stats.misses;
    const again = await query(env, QUESTION);
    // Every period came from the memo: the warmer had computed October again after the write.
    expect(env.store.memo.stats.misses).toBe(misses);
    const oct = again.body.rows.find((x: { period: string }) => x.period === '2026-10-01');
    expect(oct.nps).toMatchObject({ value: -100, n: 1 });
    expect(oct.contact_volume).toMatchObject({ value: 0 });
    expect(again.body.rows.find((x: { period: string }) => x.period === '2026-08-01').nps).toMatchObject({
      value: 100,
      n: 1,
    });
  });

  it('stops asking once the app is closed', async () => {
    await env.app.close();
    const misses = env.store.memo.stats.misses;
    env.store.changes.record({ projectId: env.project.projectId, tables: null, since: -Infinity });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await env.warmer!.settled();
    expect(env.store.memo.stats.misses).toBe(misses);
  });
  it('saves the queries it remembers, and asks them again when a new server starts', async () => {
    const first = await engine.make({ clock: fixedClock('2026-10-30T12:00:00Z'), warmDelayMs: 10 });
    await post(first.app, first.project.writeKey, [
      rec('survey_response', 'c2', '2026-10-20', { surveyId: 's', questionId: 'q', metric: 'nps', score: 2 }),
    ]);
    await query(first, QUESTION);
    await first.warmer!.settled();
    const saved = await first.store.recentQueries();
    expect(saved.map((q) => JSON.parse(q.body))).toEqual([QUESTION]);
    expect(saved[0]!.projectId).toBe(first.project.projectId);
    // A setting changed before the restart: no cell the file kept holds, and the memo opens empty.
    await first.store.updateProjectConfig(first.project.projectId, {});
    await first.app.close();
    await first.store.close();
    const store = new DuckDbStore({ dataDir: first.dir, clock: fixedClock('2026-10-30T12:00:00Z') });
    await store.ready;
    try {
      expect(store.memo.size).toBe(0);
      const warmer = new QueryWarmer({ store, clock: fixedClock('2026-10-30T12:00:00Z'), delayMs: 10 });
      await warmer.start();
      await warmer.settled();
      const project = (await store.getProject(first.project.projectId))!;
      const misses = store.memo.stats.misses;
      const r = await runQuery(store, planQuery(QUESTION, project, new Date('2026-10-30T12:00:00Z')));
      expect(store.memo.stats.misses).toBe(misses);
      expect(r.rows.find((x) => x.period === '2026-10-01')!.nps).toMatchObject({ value: -100, n: 1 });
      await warmer.close();
    } finally {
      await store.close();
      rmSync(first.dir, { recursive: true, force: true });
    }
  });

  it('asks the seeds for every project at start and after writes, though nobody asked them', async () => {
    const clock = fixedClock('2026-10-30T12:00:00Z');
    const seeded = await engine.make({ clock });
    const seed = {
      metrics: ['contact_volume', 'nps'],
      groupBy: ['channel'],
      from: '2026-08-01',
      to: '2026-11-01',
    };
    const warmer = new QueryWarmer({ store: seeded.store, clock, delayMs: 10, seeds: () => [seed] });
    try {
      await post(seeded.app, seeded.project.writeKey, [
        rec('contact', 'c1', '2026-09-03', { channel: 'chat' }),
      ]);
      const project = (await seeded.store.getProject(seeded.project.projectId))!;
      const ask = () => runQuery(seeded.store, planQuery(seed, project, clock.now()));
      let misses = seeded.store.memo.stats.misses;
      await warmer.start();
      await warmer.settled();
      expect(seeded.store.memo.stats.misses).toBeGreaterThan(misses);
      misses = seeded.store.memo.stats.misses;
      await ask();
      expect(seeded.store.memo.stats.misses).toBe(misses);

      await post(seeded.app, seeded.project.writeKey, [
        rec('contact', 'c2', '2026-10-03', { channel: 'email' }),
      ]);
      await warmer.settled();
      misses = seeded.store.memo.stats.misses;
      const r = await ask();
      expect(seeded.store.memo.stats.misses).toBe(misses);
      expect(r.rows.find((x) => x.channel === 'email')!.contact_volume).toMatchObject({ value: 1 });
    } finally {
      await warmer.close();
      await seeded.close();
    }
  });

  it("the dashboard's seeds answer other whole months' panels and tiles, filtered on one value too", async () => {
    const clock = fixedClock('2026-10-30T12:00:00Z');
    const seeded = await engine.make({ clock });
    const warmer = new QueryWarmer({ store: seeded.store, clock, delayMs: 10, seeds: dashboardSeeds });
    try {
      await post(seeded.app, seeded.project.writeKey, [
        {
          type: 'customer',
          id: 'c1',
          timestamp: '2026-01-05T10:00:00Z',
          acquiredAt: '2026-01-05T10:00:00Z',
          segment: 'pro',
        },
        rec('contact', 'c1', '2026-03-03', { channel: 'chat', reason: 'fatturazione' }),
        rec('event', 'c1', '2026-03-10', { name: 'Page Viewed', page: '/prezzi' }),
        rec('social', 'c1', '2026-03-11', { platform: 'instagram', kind: 'like' }),
        rec('survey_response', 'c1', '2026-04-03', {
          surveyId: 's',
          questionId: 'q',
          metric: 'nps',
          score: 9,
          touchpoint: 'checkout',
        }),
      ]);
      await warmer.start();
      await warmer.settled();
      const project = (await seeded.store.getProject(seeded.project.projectId))!;
      // Not the default view (July to September): a quarter earlier in the year.
      const view = { from: '2026-02-01', to: '2026-05-01' };
      const panels = PAGES.flatMap((p) => p.panels).filter((p) => p.by && p.kind !== 'comments');
      const asked = ['nps', 'contact_volume', 'fcr', 'health_score', 'page_views', 'social_engagement'];
      for (const metric of asked) {
        const panel = panels.find((p) => p.metrics.includes(metric))!;
        const misses = seeded.store.memo.stats.misses;
        const body = { metrics: [metric], ...view, ...panelShape(panel, view.from, view.to, clock.now()) };
        const r = await runQuery(seeded.store, planQuery(body, project, clock.now()));
        expect(seeded.store.memo.stats.misses, `${metric} by ${panel.by}`).toBe(misses);
        expect(r.rows.length, metric).toBeGreaterThan(0);
      }
      // The same view filtered on one segment: tiles whose totals follow from months, and any tile's
      // series, from the tiles grouped by segment.
      const filtered = async (body: object) => {
        const misses = seeded.store.memo.stats.misses;
        const q = { ...body, ...view, filters: { segment: ['pro'] } };
        const r = await runQuery(seeded.store, planQuery(q, project, clock.now()));
        expect(seeded.store.memo.stats.misses, JSON.stringify(body)).toBe(misses);
        return r.rows;
      };
      const [total] = await filtered({
        metrics: ['nps', 'contact_volume', 'health_score'],
        compare: 'previous_period',
      });
      expect(total).toMatchObject({ nps: { n: 1 }, contact_volume: { value: 1 } });
      expect(await filtered({ metrics: ['frt', 'churn_rate'], grain: 'month' })).toHaveLength(3);
      // A preset view filtered on one value: every tile, whether or not its total follows from months.
      const preset = { ...presetRange(clock.now(), 6), filters: { segment: ['pro'] } };
      const misses = seeded.store.memo.stats.misses;
      const tiles = { metrics: ['frt', 'churn_rate', 'active_users', 'nps'], compare: 'previous_period' };
      const [row] = (await runQuery(seeded.store, planQuery({ ...tiles, ...preset }, project, clock.now())))
        .rows;
      expect(seeded.store.memo.stats.misses).toBe(misses);
      expect(row).toMatchObject({ nps: { n: 1 } });
      // … and its panels by another dimension, from the panels grouped by the filter's too.
      for (const panel of [
        { metrics: ['fcr'], groupBy: ['reason'] },
        { metrics: ['frt'], groupBy: ['team'] },
        { metrics: ['contact_volume'], groupBy: ['weekday', 'hour'] },
        { metrics: ['health_score'], groupBy: ['segment'] },
      ]) {
        await runQuery(seeded.store, planQuery({ ...panel, ...preset }, project, clock.now()));
        expect(seeded.store.memo.stats.misses, panel.groupBy.join()).toBe(misses);
      }
    } finally {
      await warmer.close();
      await seeded.close();
    }
  });

  it('rests after a round for as long as the round took', async () => {
    const clock = fixedClock('2026-10-30T12:00:00Z');
    const busy = await engine.make({ clock });
    // Every background read takes 150 ms longer, so a round lasts well over the quiet delay.
    const slow = Object.create(busy.store, {
      select: {
        value: async (sql: string, params: Record<string, string | number | boolean | null>, o?: object) => {
          if (o && 'background' in o) await new Promise((resolve) => setTimeout(resolve, 150));
          return busy.store.select(sql, params, o as { background?: boolean });
        },
      },
    });
    const starts: number[] = [];
    const seed = { metrics: ['contact_volume', 'nps'], grain: 'month', from: '2026-08-01', to: '2026-11-01' };
    const warmer = new QueryWarmer({
      store: slow,
      clock,
      delayMs: 10,
      seeds: () => {
        starts.push(performance.now());
        return [seed];
      },
    });
    const write = async (id: string) => {
      const r = await post(busy.app, busy.project.writeKey, [
        rec('contact', id, '2026-10-03', { channel: 'chat' }),
      ]);
      expect(r.status).toBe(200);
    };
    try {
      await write('c1');
      await warmer.settled();
      const ended = performance.now();
      const took = ended - starts[0]!;
      expect(took).toBeGreaterThan(150);
      await write('c2');
      await warmer.settled();
      expect(starts).toHaveLength(2);
      // Without the rest the second round would start 10 ms after the write.
      expect(starts[1]! - ended).toBeGreaterThanOrEqual(took - 50);
    } finally {
      await warmer.close();
      await busy.close();
    }
  });

  it('waits for writes to stop before a round, but no longer than maxWaitMs', async () => {
    const clock = fixedClock('2026-10-30T12:00:00Z');
    const busy = await engine.make({ clock });
    let rounds = 0;
    const seed = { metrics: ['contact_volume'], from: '2026-08-01', to: '2026-11-01' };
    const warmer = (maxWaitMs: number) =>
      new QueryWarmer({
        store: busy.store,
        clock,
        delayMs: 300,
        maxWaitMs,
        seeds: () => {
          rounds++;
          return [seed];
        },
      });
    /** Writes one contact every few milliseconds for `ms`; returns how many rounds began meanwhile. */
    const writeFor = async (ms: number) => {
      const before = rounds;
      const end = performance.now() + ms;
      for (let i = 0; performance.now() < end; i++) {
        const r = await post(busy.app, busy.project.writeKey, [
          rec('contact', `c${i}`, '2026-10-03', { channel: 'chat' }),
        ]);
        expect(r.status).toBe(200);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return rounds - before;
    };
    const patient = warmer(60_000);
    try {
      expect(await writeFor(1500)).toBe(0);
      await patient.settled();
      expect(rounds).toBe(1);
    } finally {
      await patient.close();
    }
    const bounded = warmer(500);
    try {
      expect(await writeFor(2000)).toBeGreaterThanOrEqual(1);
      await bounded.settled();
    } finally {
      await bounded.close();
      await busy.close();
    }
  });
});
