/**
 * The metric memo on demo data: after every kind of write — live records in the current month, a
 * backfill, a contact moved to another month, a customer's traits, a subscription that undoes a
 * loss, an alias, an erasure, new model scores, a later clock — every answer served with the memo
 * equals the answer computed from the raw records without it, and the memo is actually used.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planQuery, type QueryInput } from '../src/engine/plan.ts';
import { runQuery, type SqlExecutor, takenAtEnd, totalFromMonths } from '../src/engine/run.ts';
import { METRICS } from '../src/metrics/catalogue.ts';
import { fitChurn } from '../src/service/models.ts';
import { ENGINES } from './engines.ts';
import {
  ALL_METRICS,
  CHANNEL_METRICS,
  DEMO_YEAR,
  expectSame,
  importDemo,
  post,
  type TestEnv,
} from './helpers.ts';

const SEGMENT_METRICS = ['nps', 'fcr', 'contact_volume', 'churn_rate', 'health_score', 'dau', 'event_funnel'];

/** The overview's questions, a comparison, a customer-trait grouping, and totals (from monthly cells where they add up). */
const QUERIES: Omit<QueryInput, 'from' | 'to'>[] = [
  { metrics: ALL_METRICS, grain: 'month' },
  { metrics: CHANNEL_METRICS, groupBy: ['channel'], grain: 'month' },
  { metrics: ALL_METRICS, grain: 'quarter', compare: 'previous_period' },
  { metrics: SEGMENT_METRICS, groupBy: ['segment'], grain: 'week' },
  { metrics: ALL_METRICS },
  { metrics: CHANNEL_METRICS, groupBy: ['channel'], compare: 'previous_year' },
  // Filtered questions, answered from the cells of the grouped ones above.
  { metrics: CHANNEL_METRICS, filters: { channel: ['chat'] }, grain: 'month' },
  { metrics: CHANNEL_METRICS, groupBy: ['channel'], filters: { channel: ['chat', 'email'] }, grain: 'month' },
  { metrics: SEGMENT_METRICS, filters: { segment: ['smb'] }, grain: 'week' },
  { metrics: CHANNEL_METRICS, filters: { channel: ['voice'] }, compare: 'previous_year' },
];

describe.each(ENGINES)('on $name', (engine) => {
  let env: TestEnv;
  let now = new Date('2026-10-25T00:00:00Z');
  const clock = { now: () => now };

  beforeAll(async () => {
    env = await engine.make({ clock });
    await importDemo(env.store, env.project.projectId, 20_000, 5);
  });
  afterAll(async () => env.close());

  /** The engine without the memo: every answer from the raw records. */
  const raw = (): SqlExecutor => ({
    dialect: env.store.dialect,
    select: (sql, params) => env.store.select(sql, params),
  });

  /** Every question twice with the memo (the second from it) and once without; all three agree. */
  async function agree() {
    const project = (await env.store.getProject(env.project.projectId))!;
    const hitsBefore = env.store.memo.stats.hits;
    for (const q of QUERIES) {
      const plan = planQuery({ ...q, ...DEMO_YEAR }, project, now);
      const memoised = await runQuery(env.store, plan);
      const again = await runQuery(env.store, plan);
      const fresh = await runQuery(raw(), plan);
      expectSame(memoised, fresh);
      expectSame(again, fresh);
    }
    return env.store.memo.stats.hits - hitsBefore;
  }

  const send = async (records: object[]) => {
    const r = await post(env.app, env.project.writeKey, records);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.rejected).toEqual([]);
  };
  const one = async (sql: string) => (await env.store.sql(sql))[0]!;
  /** The store with its memo, telling `seen` of every read. */
  const watched = (seen: (sql: string, params: Record<string, unknown>) => void): SqlExecutor => ({
    dialect: env.store.dialect,
    memo: env.store.memo,
    select: (sql, params) => {
      seen(sql, params);
      return env.store.select(sql, params);
    },
  });

  it('answers from the memo exactly what the raw records give', async () => {
    expect(await agree()).toBeGreaterThan(0);
    const cold = env.store.memo.stats.misses;
    // A second pass over the same questions is answered entirely from the memo.
    await agree();
    expect(env.store.memo.stats.misses).toBe(cold);
  });

  it('recomputes only the periods a live batch can change', async () => {
    const customer = String((await one(`SELECT id FROM customers ORDER BY id LIMIT 1`)).id);
    const dropped = env.store.memo.stats.dropped;
    await send([
      {
        type: 'event',
        id: 'live-e1',
        timestamp: '2026-10-24T09:00:00Z',
        customerId: customer,
        name: 'Report Exported',
        feature: 'reports',
      },
      {
        type: 'order',
        id: 'live-o1',
        timestamp: '2026-10-24T09:05:00Z',
        customerId: customer,
        amount: 120,
        currency: 'EUR',
      },
      {
        type: 'contact',
        id: 'live-c1',
        timestamp: '2026-10-24T10:00:00Z',
        customerId: customer,
        channel: 'chat',
        reason: 'fatturazione',
        firstResponseAt: '2026-10-24T10:03:00Z',
      },
      {
        type: 'survey_response',
        id: 'live-r1',
        timestamp: '2026-10-24T11:00:00Z',
        customerId: customer,
        surveyId: 'nps_rel',
        questionId: 'q1',
        metric: 'nps',
        score: 3,
        channel: 'chat',
      },
      {
        type: 'social',
        id: 'live-s1',
        timestamp: '2026-10-24T12:00:00Z',
        customerId: customer,
        platform: 'instagram',
        kind: 'share',
      },
    ]);
    expect(env.store.memo.stats.dropped).toBeGreaterThan(dropped);
    const misses = env.store.memo.stats.misses;
    // Earlier months still come from the memo; October is computed again.
    expect(await agree()).toBeGreaterThan(0);
    expect(env.store.memo.stats.misses).toBeGreaterThan(misses);
  });

  it("keeps a month through records of the next one, by the local midnight of the question's zone", async () => {
    const project = (await env.store.getProject(env.project.projectId))!;
    const q = { metrics: ['contact_volume', 'nps'], grain: 'month', from: '2026-09-01' };
    const rome = planQuery({ ...q, to: '2026-11-01' }, project, now);
    const tokyo = planQuery({ ...q, to: '2026-11-01', timezone: 'Asia/Tokyo' }, project, now);
    await runQuery(env.store, rome);
    await runQuery(env.store, tokyo);
    const contact = (id: string, timestamp: string) => ({
      type: 'contact',
      id,
      timestamp,
      customerId: 'c-midnight',
      channel: 'chat',
    });
    // 1 November at 02:00 in Rome: November there; in Tokyo it is already 10:00 on 1 November.
    await send([contact('next-month-1', '2026-11-01T01:00:00Z')]);
    let misses = env.store.memo.stats.misses;
    expectSame(await runQuery(env.store, rome), await runQuery(raw(), rome));
    expectSame(await runQuery(env.store, tokyo), await runQuery(raw(), tokyo));
    expect(env.store.memo.stats.misses).toBe(misses);
    // 31 October at 23:30 in Rome: October's count moves; in Tokyo it is November.
    await send([contact('last-minute-1', '2026-10-31T22:30:00Z')]);
    misses = env.store.memo.stats.misses;
    const moved = await runQuery(env.store, rome);
    expect(env.store.memo.stats.misses).toBeGreaterThan(misses);
    expectSame(moved, await runQuery(raw(), rome));
    misses = env.store.memo.stats.misses;
    expectSame(await runQuery(env.store, tokyo), await runQuery(raw(), tokyo));
    expect(env.store.memo.stats.misses).toBe(misses);
  });

  it('a backfill into an early month and a contact moved to another month', async () => {
    const customer = String((await one(`SELECT id FROM customers ORDER BY id DESC LIMIT 1`)).id);
    await send([
      {
        type: 'event',
        id: 'late-e1',
        timestamp: '2026-01-15T09:00:00Z',
        customerId: customer,
        name: 'Page Viewed',
        page: '/prezzi',
      },
      {
        type: 'survey_response',
        id: 'late-r1',
        timestamp: '2026-01-15T10:00:00Z',
        customerId: customer,
        surveyId: 'csat_chat',
        questionId: 'q1',
        metric: 'csat',
        score: 1,
      },
    ]);
    await agree();
    const contact = await one(
      `SELECT id, customer_id FROM contacts WHERE ts < '2026-03-01' AND customer_id IS NOT NULL ORDER BY id LIMIT 1`,
    );
    // The stored version sits in an early month; the new one in September.
    await send([
      {
        type: 'contact',
        id: String(contact.id),
        timestamp: '2026-09-10T10:00:00Z',
        customerId: String(contact.customer_id),
        channel: 'email',
        reason: 'resi',
        updatedAt: '2026-10-24T13:00:00Z',
      },
    ]);
    await agree();
  });

  it("a customer's traits, and a subscription that undoes a loss", async () => {
    const lost = await one(
      `SELECT s.customer_id FROM subscriptions s GROUP BY s.customer_id
       HAVING count(*) FILTER (WHERE ended_at IS NULL) = 0 ORDER BY 1 LIMIT 1`,
    );
    const id = String(lost.customer_id);
    const seg = await one(`SELECT segment FROM customers WHERE id = '${id.replaceAll("'", "''")}'`);
    await send([
      {
        type: 'customer',
        id,
        timestamp: '2025-01-01T00:00:00Z',
        segment: seg.segment === 'smb' ? 'enterprise' : 'smb',
        updatedAt: '2026-10-24T14:00:00Z',
      },
    ]);
    await agree();
    await send([
      {
        type: 'subscription',
        id: 'late-sub-1',
        timestamp: '2026-10-24T15:00:00Z',
        customerId: id,
        plan: 'pro',
        mrr: 49,
        startedAt: '2026-10-24T15:00:00Z',
      },
    ]);
    await agree();
  });

  it('answers a filter on a dimension from the cells grouped by it, computing nothing', async () => {
    const project = (await env.store.getProject(env.project.projectId))!;
    await agree();
    for (const q of [
      { metrics: CHANNEL_METRICS, filters: { channel: ['email'] }, grain: 'month' },
      { metrics: CHANNEL_METRICS, filters: { channel: ['sms'] }, compare: 'previous_year' },
      { metrics: SEGMENT_METRICS, filters: { segment: ['enterprise'] }, grain: 'week' },
      { metrics: SEGMENT_METRICS, groupBy: ['segment'], filters: { segment: ['consumer'] }, grain: 'week' },
    ]) {
      const plan = planQuery({ ...q, ...DEMO_YEAR }, project, now);
      const misses = env.store.memo.stats.misses;
      const answer = await runQuery(env.store, plan);
      expect(env.store.memo.stats.misses, JSON.stringify(q.filters)).toBe(misses);
      expectSame(answer, await runQuery(raw(), plan));
    }
  });

  it('a filtered question takes the periods the grouped one holds, and computes only the others', async () => {
    const project = (await env.store.getProject(env.project.projectId))!;
    const q = { metrics: ['nps', 'contact_volume', 'fcr', 'frt'], grain: 'month', ...DEMO_YEAR };
    await runQuery(env.store, planQuery({ ...q, groupBy: ['channel'] }, project, now));
    // A contact late in October: October's cells are dropped, the earlier months' stay.
    await send([
      {
        type: 'contact',
        id: 'oct-c1',
        anonymousId: 'visitor-oct',
        timestamp: '2026-10-20T10:00:00Z',
        channel: 'chat',
        reason: 'consegna',
        firstResponseAt: '2026-10-20T10:05:00Z',
      },
    ]);
    const reads: unknown[][] = [];
    // The records' reads (not the list of periods, which reads no table).
    const counting = watched((sql, params) => {
      if (sql.includes('project_id')) reads.push(Object.values(params));
    });
    const plan = planQuery({ ...q, filters: { channel: ['chat'] } }, project, now);
    const answer = await runQuery(counting, plan);
    expect(reads.length).toBeGreaterThan(0);
    for (const p of reads) expect(p).toEqual(expect.arrayContaining(['2026-10-01', '2026-11-01']));
    expectSame(answer, await runQuery(raw(), plan));
  });

  it('metrics sharing a query read it once, and a question asked again reads nothing', async () => {
    const project = (await env.store.getProject(env.project.projectId))!;
    const reads: string[] = [];
    const counting = watched((sql) => reads.push(sql));
    // A time zone no other question used: nothing of it is in the memo yet.
    const q = { metrics: ['churn_rate', 'retention_rate', 'retention_rate_simple'], grain: 'month' };
    const plan = planQuery({ ...q, ...DEMO_YEAR, timezone: 'Asia/Tokyo' }, project, now);
    const answer = await runQuery(counting, plan);
    // The three rates come from one read of the customers' flows (the other read lists the periods).
    expect(reads.filter((sql) => sql.includes('"customers"'))).toHaveLength(1);
    expectSame(answer, await runQuery(raw(), plan));
    expect(answer.rows.some((r) => (r.churn_rate as { n: number }).n > 0)).toBe(true);
    // Asked again, it reads nothing: the cells from the memo, the months from the lists already read.
    reads.length = 0;
    expectSame(await runQuery(counting, plan), answer);
    expect(reads).toEqual([]);
  });

  it("a custom range computes only its clipped edge period: the whole ones after it are the memo's", async () => {
    const project = (await env.store.getProject(env.project.projectId))!;
    const reads: unknown[][] = [];
    // The records' reads (not the list of periods, which reads no table).
    const counting = watched((sql, params) => {
      if (sql.includes('project_id')) reads.push(Object.values(params));
    });
    const q = { metrics: ['nps', 'contact_volume', 'fcr', 'dau', 'mau', 'health_score'], grain: 'month' };
    // A time zone no other question used; March to June asked first, then ranges starting or ending
    // inside the months around them.
    const timezone = 'America/Sao_Paulo';
    const ask = (exec: SqlExecutor, from: string, to: string) =>
      runQuery(exec, planQuery({ ...q, from, to, timezone }, project, now));
    await ask(env.store, '2026-03-01', '2026-07-01');
    for (const [from, to, edge, lastDay] of [
      ['2026-02-14', '2026-07-01', ['2026-02-14', '2026-03-01'], '2026-02-28'],
      ['2026-03-01', '2026-07-10', ['2026-07-01', '2026-07-10'], '2026-07-09'],
    ] as const) {
      reads.length = 0;
      const answer = await ask(counting, from, to);
      // Each metric reads its edge month (rolling windows with the days before it), nothing more; a
      // measure taken at a period's end (MAU, health) reads the edge's end alone, from its last day.
      expect(reads.length, from).toBeGreaterThan(0);
      for (const p of reads) {
        expect(p, from).toContain(edge[1]);
        expect(p.includes(edge[0]) || p.includes(lastDay), `${from}: ${p}`).toBe(true);
      }
      expect(answer.rows).toHaveLength(5);
      expectSame(answer, await ask(raw(), from, to));
    }
    // Every metric's total over a range starting and ending inside months (from its months' cells
    // where totals add up) and the previous period's, as the raw records give them.
    const total = planQuery(
      { metrics: ALL_METRICS, from: '2026-02-14', to: '2026-07-10', timezone, compare: 'previous_period' },
      project,
      now,
    );
    expectSame(await runQuery(env.store, total), await runQuery(raw(), total));
  });

  it("a measure taken at a period's end keeps its ends: a range's weeks, its total and its last week share them", async () => {
    const project = (await env.store.getProject(env.project.projectId))!;
    const metrics = ['health_score', 'mau', 'backlog'];
    // A time zone no other question used.
    const timezone = 'Asia/Kolkata';
    const ask = (exec: SqlExecutor, q: Omit<QueryInput, 'metrics'>) =>
      runQuery(exec, planQuery({ metrics, timezone, ...q }, project, now));
    await ask(env.store, { from: '2026-03-02', to: '2026-06-01', grain: 'week' });
    const reads: unknown[][] = [];
    const counting = watched((sql, params) => {
      if (sql.includes('project_id')) reads.push(Object.values(params));
    });
    // Asked side by side, as the dashboard asks a tile's total and its weekly line.
    const custom = { from: '2026-03-12', to: '2026-05-21' };
    const [series, total] = await Promise.all([
      ask(counting, { ...custom, grain: 'week' }),
      ask(counting, custom),
    ]);
    // One read per metric, of the range's end alone (its first week ends where a whole week does).
    expect(reads).toHaveLength(metrics.length);
    for (const p of reads) expect(p).toEqual(expect.arrayContaining(['2026-05-20', '2026-05-21']));
    expect(series.rows).toHaveLength(11);
    expectSame(series, await ask(raw(), { ...custom, grain: 'week' }));
    expectSame(total, await ask(raw(), custom));
    for (const metric of metrics) expect(total.rows[0]![metric]).toEqual(series.rows.at(-1)![metric]);
  });

  it('a range of other dates adds its clipped weeks and months up from the days held, reading nothing', async () => {
    const project = (await env.store.getProject(env.project.projectId))!;
    const additive = ALL_METRICS.filter((id) => {
      const { measure } = METRICS.get(id)!;
      return totalFromMonths(measure) && !takenAtEnd(measure);
    });
    expect(additive).toEqual(
      expect.arrayContaining(['nps', 'csat', 'contact_volume', 'dau', 'conversion_rate']),
    );
    // A time zone no other question used.
    const timezone = 'Australia/Adelaide';
    const ask = (exec: SqlExecutor, q: Omit<QueryInput, 'metrics'>) =>
      runQuery(exec, planQuery({ metrics: additive, timezone, ...q }, project, now));
    await ask(env.store, { from: '2026-03-01', to: '2026-07-01', grain: 'day' });
    let reads = 0;
    const counting = watched((sql) => {
      if (sql.includes('project_id')) reads++;
    });
    for (const q of [
      { from: '2026-03-12', to: '2026-05-21', grain: 'week' },
      { from: '2026-03-12', to: '2026-05-21' },
      { from: '2026-03-03', to: '2026-06-28', grain: 'month' },
    ] as const) {
      const answer = await ask(counting, q);
      expect(reads, JSON.stringify(q)).toBe(0);
      expectSame(answer, await ask(raw(), q));
    }
    // A late answer on one of those days reaches the weeks and months added up from it.
    const { customer_id: customer } = await one(
      'SELECT customer_id FROM survey_responses WHERE customer_id IS NOT NULL ORDER BY id LIMIT 1',
    );
    await send([
      {
        type: 'survey_response',
        id: 'late-adelaide',
        timestamp: '2026-04-15T10:00:00Z',
        customerId: String(customer),
        surveyId: 'nps_relationship',
        questionId: 'q1',
        metric: 'nps',
        score: 0,
      },
    ]);
    for (const q of [
      { from: '2026-03-12', to: '2026-05-21', grain: 'week' },
      { from: '2026-03-12', to: '2026-05-21' },
    ] as const)
      expectSame(await ask(env.store, q), await ask(raw(), q));
  });

  it('an answer read before a write and finished after it is not kept', async () => {
    const project = (await env.store.getProject(env.project.projectId))!;
    const customer = String((await one(`SELECT id FROM customers ORDER BY id LIMIT 1 OFFSET 7`)).id);
    const plan = planQuery({ metrics: ['nps', 'page_views'], grain: 'month', ...DEMO_YEAR }, project, now);
    // A query whose reads happen now but that finishes only after the write below has committed.
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow: SqlExecutor = {
      dialect: env.store.dialect,
      memo: env.store.memo,
      select: async (sql, params) => {
        const rows = await env.store.select(sql, params);
        // The metrics' own queries wait; the query of the periods does not.
        if (/survey_responses|events/.test(sql)) await gate;
        return rows;
      },
    };
    const stale = runQuery(slow, plan);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await send([
      {
        type: 'event',
        id: 'race-e1',
        timestamp: '2026-10-22T09:00:00Z',
        customerId: customer,
        name: 'Page Viewed',
        page: '/',
      },
      {
        type: 'survey_response',
        id: 'race-r1',
        timestamp: '2026-09-12T09:00:00Z',
        customerId: customer,
        surveyId: 'nps_rel',
        questionId: 'q1',
        metric: 'nps',
        score: 0,
      },
    ]);
    release();
    await stale;
    expectSame(await runQuery(env.store, plan), await runQuery(raw(), plan));
  });

  it('an alias, an erasure, new model scores and a later clock', async () => {
    await send([
      {
        type: 'event',
        id: 'anon-e1',
        timestamp: '2026-02-03T09:00:00Z',
        anonymousId: 'anon-memo',
        name: 'Page Viewed',
        page: '/',
      },
    ]);
    await agree();
    const customer = String((await one(`SELECT id FROM customers ORDER BY id LIMIT 1 OFFSET 3`)).id);
    await env.store.alias(env.project.projectId, 'anon-memo', customer);
    await agree();
    const erased = String((await one(`SELECT customer_id FROM orders ORDER BY ts LIMIT 1`)).customer_id);
    await env.store.eraseCustomer(env.project.projectId, erased);
    await agree();
    await fitChurn(env.store, { projectId: env.project.projectId }, new Date('2026-10-20T12:00:00Z'));
    await agree();
    // FCR's windows close and cohorts reach later months as time passes.
    now = new Date('2026-10-31T23:00:00Z');
    await agree();
    now = new Date('2026-11-03T08:00:00Z');
    await agree();
  });
});
