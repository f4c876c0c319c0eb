/**
 * The metric engine on demo data: invariants that must hold on any data, and agreement with
 * independent, hand-written SQL over the raw records for each metric.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { healthCustomersSql, periodAsText } from '../src/engine/compile.ts';
import { planQuery } from '../src/engine/plan.ts';
import { runQuery } from '../src/engine/run.ts';
import { METRICS } from '../src/metrics/catalogue.ts';
import { fitChurn, fitClvForProject } from '../src/service/models.ts';
import type { Project } from '../src/store/store.ts';
import { fixedClock } from '../src/util/clock.ts';
import { ENGINES } from './engines.ts';
import { importDemo, type TestEnv } from './helpers.ts';

describe.each(ENGINES)('on $name', (engine) => {
  let env: TestEnv;
  let project: Project;
  const NOW = new Date('2026-11-01T00:00:00Z');
  const RANGE = { from: '2025-11-01', to: '2026-11-01' };
  const TZ = 'Europe/Rome';

  beforeAll(async () => {
    env = await engine.make({ clock: fixedClock(NOW.toISOString()) });
    await importDemo(env.store, env.project.projectId, 60_000, 3);
    project = (await env.store.getProject(env.project.projectId))!;
    // The customer models, fitted on the data's last day so their scores sit in October.
    const fittedAt = new Date('2026-10-31T12:00:00Z');
    const projectId = project.id;
    await fitClvForProject(
      env.store,
      { projectId, cutoff: '2026-10-30', unit: 'week', horizon: 52 },
      fittedAt,
    );
    await fitChurn(env.store, { projectId }, fittedAt);
  });
  afterAll(async () => env.close());

  const run = (q: Record<string, unknown>) =>
    runQuery(env.store, planQuery({ ...RANGE, ...q }, project, NOW));
  type V = {
    value: number | null;
    n: number;
    promoters?: number;
    passives?: number;
    detractors?: number;
    hits?: number;
  };

  describe('invariants on demo data', () => {
    it('NPS stays within −100…100 and promoters + passives + detractors = answered', async () => {
      const r = await run({ metrics: ['nps'], groupBy: ['channel', 'touchpoint'], grain: 'month' });
      expect(r.rows.length).toBeGreaterThan(0);
      for (const row of r.rows) {
        const v = row.nps as V;
        if (v.n === 0) continue;
        expect(v.value!).toBeGreaterThanOrEqual(-100);
        expect(v.value!).toBeLessThanOrEqual(100);
        expect(v.promoters! + v.passives! + v.detractors!).toBe(v.n);
      }
    });

    it('group totals add up to the ungrouped total, and no month is dropped', async () => {
      const grouped = await run({
        metrics: ['contact_volume', 'csat', 'page_views'],
        groupBy: ['segment'],
        grain: 'month',
      });
      const total = await run({ metrics: ['contact_volume', 'csat', 'page_views'], grain: 'month' });
      const segments = new Set(grouped.rows.map((r) => r.segment));
      expect(total.rows).toHaveLength(12);
      expect(grouped.rows).toHaveLength(12 * segments.size);
      for (const t of total.rows) {
        const parts = grouped.rows.filter((g) => g.period === t.period);
        for (const metric of ['contact_volume', 'page_views'])
          expect(parts.reduce((s, p) => s + (p[metric] as V).n, 0)).toBe((t[metric] as V).n);
        // shares are not additive, but their counts are
        expect(parts.reduce((s, p) => s + ((p.csat as V).hits ?? 0), 0)).toBe((t.csat as V).hits);
      }
    });
  });

  /** Hand-written SQL per metric: the monthly value over RANGE in Rome time. */
  const HAND: Record<string, string> = {
    nps: `SELECT m, 100.0 * (count(*) FILTER (WHERE score >= 9) - count(*) FILTER (WHERE score <= 6)) / count(*) AS v, count(*) AS n
          FROM (SELECT *, strftime(date_trunc('month', timezone('Europe/Rome', ts)), '%Y-%m-%d') AS m FROM survey_responses)
          WHERE metric = 'nps' AND score IS NOT NULL AND {range} GROUP BY m`,
    csat: `SELECT m, 100.0 * count(*) FILTER (WHERE score >= CASE scale_max WHEN 5 THEN 4 WHEN 10 THEN 8 WHEN 3 THEN 3 END) / count(*) AS v, count(*) AS n
          FROM (SELECT *, strftime(date_trunc('month', timezone('Europe/Rome', ts)), '%Y-%m-%d') AS m FROM survey_responses)
          WHERE metric = 'csat' AND score IS NOT NULL AND {range} GROUP BY m`,
    ces: `SELECT m, avg(score) AS v, count(*) AS n FROM (SELECT *, strftime(date_trunc('month', timezone('Europe/Rome', ts)), '%Y-%m-%d') AS m FROM survey_responses)
          WHERE metric = 'ces' AND score IS NOT NULL AND {range} GROUP BY m`,
    aht: `SELECT m, avg(coalesce(talk_seconds, 0) + coalesce(hold_seconds, 0) + coalesce(conference_seconds, 0) + coalesce(wrap_up_seconds, 0)) AS v, count(*) AS n
          FROM (SELECT *, strftime(date_trunc('month', timezone('Europe/Rome', ts)), '%Y-%m-%d') AS m FROM contacts)
          WHERE NOT abandoned AND coalesce(talk_seconds, hold_seconds, conference_seconds, wrap_up_seconds) IS NOT NULL AND {range} GROUP BY m`,
    frt: `SELECT m, avg(epoch(first_response_at) - epoch(ts)) AS v, count(*) AS n
          FROM (SELECT *, strftime(date_trunc('month', timezone('Europe/Rome', ts)), '%Y-%m-%d') AS m FROM contacts)
          WHERE direction = 'inbound' AND first_response_at IS NOT NULL AND {range} GROUP BY m`,
    resolution_time: `SELECT m, avg(epoch(resolved_at) - epoch(ts)) AS v, count(*) AS n
          FROM (SELECT *, strftime(date_trunc('month', timezone('Europe/Rome', resolved_at)), '%Y-%m-%d') AS m FROM contacts)
          WHERE resolved_at IS NOT NULL AND {rangeResolved} GROUP BY m`,
    fcr: `SELECT m, 100.0 * count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM contacts r WHERE r.customer_id = c.customer_id AND r.reason = c.reason
            AND r.ts > c.ts AND r.ts <= c.ts + INTERVAL 7 DAY)) / count(*) AS v, count(*) AS n
          FROM (SELECT *, strftime(date_trunc('month', timezone('Europe/Rome', ts)), '%Y-%m-%d') AS m FROM contacts) c
          WHERE direction = 'inbound' AND customer_id IS NOT NULL AND reason IS NOT NULL AND ts + INTERVAL 7 DAY <= TIMESTAMPTZ '2026-11-01 00:00:00+00' AND {range} GROUP BY m`,
    abandonment_rate: `SELECT m, 100.0 * count(*) FILTER (WHERE abandoned) / count(*) AS v, count(*) AS n
          FROM (SELECT *, strftime(date_trunc('month', timezone('Europe/Rome', ts)), '%Y-%m-%d') AS m FROM contacts)
          WHERE direction = 'inbound' AND channel IN ('voice', 'chat') AND NOT (abandoned AND coalesce(wait_seconds, 0) < 5) AND {range} GROUP BY m`,
    survey_response_rate: `SELECT m, 100.0 * count(started_at) / count(*) AS v, count(*) AS n
          FROM (SELECT *, strftime(date_trunc('month', timezone('Europe/Rome', coalesce(sent_at, ts))), '%Y-%m-%d') AS m FROM survey_invitations)
          WHERE delivered_at IS NOT NULL AND {rangeSent} GROUP BY m`,
    social_engagement: `SELECT m, sum(CASE kind WHEN 'like' THEN 1 WHEN 'poll_vote' THEN 1 WHEN 'comment' THEN 2 WHEN 'share' THEN 3 WHEN 'mention' THEN 2 END) AS v, count(*) AS n
          FROM (SELECT *, strftime(date_trunc('month', timezone('Europe/Rome', ts)), '%Y-%m-%d') AS m FROM social) WHERE {range} GROUP BY m`,
    churn_rate: `WITH life AS (
            SELECT c.id, coalesce(c.acquired_at, s.fs, o.fo) AS acq, coalesce(c.churned_at, CASE WHEN s.open = 0 THEN s.le END) AS lost
            FROM customers c
            LEFT JOIN (SELECT customer_id, min(started_at) AS fs, max(ended_at) AS le, count(*) FILTER (WHERE ended_at IS NULL) AS open
              FROM subscriptions GROUP BY 1) s ON s.customer_id = c.id
            LEFT JOIN (SELECT customer_id, min(ts) AS fo FROM orders WHERE status = 'completed' GROUP BY 1) o ON o.customer_id = c.id),
          months AS (SELECT strftime(m, '%Y-%m-%d') AS m, timezone('Europe/Rome', m) AS b0, timezone('Europe/Rome', m + INTERVAL 1 MONTH) AS b1
            FROM generate_series(TIMESTAMP '2025-11-01', TIMESTAMP '2026-10-01', INTERVAL 1 MONTH) t(m))
          SELECT m, 100.0 * count(*) FILTER (WHERE acq < b0 AND (lost IS NULL OR lost >= b0) AND lost < b1)
              / count(*) FILTER (WHERE acq < b0 AND (lost IS NULL OR lost >= b0)) AS v,
            count(*) FILTER (WHERE acq < b0 AND (lost IS NULL OR lost >= b0)) AS n
          FROM life, months GROUP BY m`,
    active_users: `SELECT m, count(DISTINCT coalesce(customer_id, anonymous_id)) AS v, count(DISTINCT coalesce(customer_id, anonymous_id)) AS n
          FROM (SELECT *, strftime(date_trunc('month', timezone('Europe/Rome', ts)), '%Y-%m-%d') AS m FROM events) WHERE {range} GROUP BY m`,
    mau: `WITH months AS (SELECT strftime(m, '%Y-%m-%d') AS m, timezone('Europe/Rome', m + INTERVAL 1 MONTH) AS e
            FROM generate_series(TIMESTAMP '2025-11-01', TIMESTAMP '2026-10-01', INTERVAL 1 MONTH) t(m))
          SELECT m, count(DISTINCT coalesce(customer_id, anonymous_id)) AS v, count(DISTINCT coalesce(customer_id, anonymous_id)) AS n
          FROM months JOIN events ON ts >= e - INTERVAL 30 DAY AND ts < e GROUP BY m`,
    feature_adoption: `SELECT m, 100.0 * count(DISTINCT who) FILTER (WHERE feature IS NOT NULL) / count(DISTINCT who) AS v,
            count(DISTINCT who) AS n
          FROM (SELECT *, coalesce(customer_id, anonymous_id) AS who,
              strftime(date_trunc('month', timezone('Europe/Rome', ts)), '%Y-%m-%d') AS m FROM events)
          WHERE who IS NOT NULL AND {range} GROUP BY m`,
    revenue_churn_rate: `WITH months AS (SELECT strftime(m, '%Y-%m-%d') AS m, timezone('Europe/Rome', m) AS b0,
              timezone('Europe/Rome', m + INTERVAL 1 MONTH) AS b1
            FROM generate_series(TIMESTAMP '2025-11-01', TIMESTAMP '2026-10-01', INTERVAL 1 MONTH) t(m)),
          per AS (SELECT m, customer_id,
              sum(CASE WHEN started_at < b0 AND (ended_at IS NULL OR ended_at >= b0) THEN coalesce(mrr, 0) ELSE 0 END) AS m0,
              sum(CASE WHEN started_at < b1 AND (ended_at IS NULL OR ended_at >= b1) THEN coalesce(mrr, 0) ELSE 0 END) AS m1
            FROM months JOIN subscriptions ON started_at < b1 GROUP BY m, customer_id)
          SELECT m, 100 * sum(CASE WHEN m0 > 0 AND m1 < m0 THEN m0 - m1 ELSE 0 END) / sum(m0) AS v,
            count(*) FILTER (WHERE m0 > 0) AS n
          FROM per GROUP BY m`,
    page_views: `SELECT m, count(*) AS v, count(*) AS n FROM (SELECT *, strftime(date_trunc('month', timezone('Europe/Rome', ts)), '%Y-%m-%d') AS m FROM events)
          WHERE page IS NOT NULL AND {range} GROUP BY m`,
  };

  describe('agreement with hand-written SQL on demo data', () => {
    const range = (col: string) =>
      `${col} >= timezone('Europe/Rome', TIMESTAMP '2025-11-01 00:00:00') AND ${col} < timezone('Europe/Rome', TIMESTAMP '2026-11-01 00:00:00')`;
    for (const [metric, sql] of Object.entries(HAND)) {
      it(`${metric} by month equals the raw computation`, async () => {
        expect(METRICS.has(metric)).toBe(true);
        const r = await run({ metrics: [metric], grain: 'month', timezone: TZ });
        const expected = await env.store.sql(
          sql
            .replace('{range}', range('ts'))
            .replace('{rangeResolved}', range('resolved_at'))
            .replace('{rangeSent}', range('coalesce(sent_at, ts)')),
        );
        const byMonth = new Map(expected.map((e) => [String(e.m), e]));
        let compared = 0;
        for (const row of r.rows) {
          const v = row[metric] as V;
          const e = byMonth.get(String(row.period));
          if (!e) {
            expect(v.n).toBe(0);
            continue;
          }
          expect(v.n, `${metric} ${row.period} n`).toBe(Number(e.n));
          expect(v.value!, `${metric} ${row.period}`).toBeCloseTo(Number(e.v), 3);
          compared++;
        }
        expect(compared).toBeGreaterThan(6);
      });
    }

    it('clv_predicted and churn_risk are the mean stored scores by segment, in the month of the fit', async () => {
      const r = await run({ metrics: ['clv_predicted', 'churn_risk'], groupBy: ['segment'], timezone: TZ });
      const expected = await env.store.sql(
        `SELECT c.segment, s.model, avg(s.value * CASE s.model WHEN 'churn_risk' THEN 100 ELSE 1 END) AS v, count(*) AS n
           FROM customer_scores s JOIN customers c ON c.project_id = s.project_id AND c.id = s.customer_id
          WHERE s.model IN ('clv', 'churn_risk') AND s.value IS NOT NULL GROUP BY 1, 2`,
      );
      expect(expected.length).toBe(6);
      for (const e of expected) {
        const row = r.rows.find((x) => x.segment === e.segment)!;
        const v = row[e.model === 'clv' ? 'clv_predicted' : 'churn_risk'] as V;
        expect(v.n, `${e.segment} ${e.model}`).toBe(Number(e.n));
        expect(v.value!, `${e.segment} ${e.model}`).toBeCloseTo(Number(e.v), 3);
      }
      const byMonth = await run({ metrics: ['clv_predicted'], grain: 'month', timezone: TZ });
      expect(byMonth.rows.filter((x) => (x.clv_predicted as V).n > 0).map((x) => x.period)).toEqual([
        '2026-10-01',
      ]);
    });

    it('every metric of the catalogue answers by month, with a count and a finite value or null', async () => {
      for (const metric of METRICS.keys()) {
        const r = await run({ metrics: [metric], grain: 'month', timezone: TZ });
        expect(r.rows, metric).toHaveLength(12);
        const answered = r.rows.filter((row) => (row[metric] as V).value !== null);
        expect(answered.length, `${metric}: months with a value`).toBeGreaterThan(0);
        for (const row of r.rows) {
          const v = row[metric] as V;
          expect(Number.isFinite(v.n), `${metric} n`).toBe(true);
          if (v.value !== null) expect(Number.isFinite(v.value), `${metric} value`).toBe(true);
        }
      }
    });

    it.each([
      ['wau', 7],
      ['mau', 30],
    ])(
      '%s by week — across both daylight-saving changes — equals the raw computation',
      async (metric, days) => {
        const r = await run({ metrics: [metric], grain: 'week', timezone: TZ });
        const expected = await env.store.sql(
          `WITH weeks AS (SELECT strftime(w, '%Y-%m-%d') AS w,
              least(timezone('Europe/Rome', w + INTERVAL 7 DAY), timezone('Europe/Rome', TIMESTAMP '2026-11-01')) AS e
            FROM generate_series(TIMESTAMP '2025-10-27', TIMESTAMP '2026-10-26', INTERVAL 7 DAY) t(w))
          SELECT w, count(DISTINCT coalesce(customer_id, anonymous_id)) AS v
          FROM weeks JOIN events ON ts >= e - to_days(${days}) AND ts < e GROUP BY w`,
        );
        const byWeek = new Map(expected.map((e) => [String(e.w), Number(e.v)]));
        expect(r.rows).toHaveLength(53);
        for (const row of r.rows)
          expect((row[metric] as V).value ?? 0, `${metric} ${row.period}`).toBe(
            byWeek.get(String(row.period)) ?? 0,
          );
        expect(byWeek.size).toBeGreaterThan(40);
      },
    );

    // The health score's product-event components per customer and period, against distinct counts
    // over the raw events: days of use, features and the last event within [b1 − 30 days, b1). Windows
    // of the days after the change to summer time start at 23:00, inside a local day.
    it.each([
      ['by day across the change to summer time', { from: '2026-03-20', to: '2026-04-06', grain: 'day' }, 17],
      ['by hour on the day of the change', { from: '2026-03-29', to: '2026-03-30', grain: 'hour' }, 23],
      ['between instants', { from: '2026-03-27T10:30:00Z', to: '2026-03-31T13:45:00Z', grain: 'day' }, 5],
      ['at one instant', { from: '2026-04-14T08:00:00Z', to: '2026-04-15T08:00:00Z' }, 1],
    ])('health’s days, features and last event %s equal the raw events', async (_, span, periods) => {
      const plan = planQuery(
        {
          metrics: ['health_score'],
          ...span,
          timezone: TZ,
          params: { health_score: { usageTarget: 1, featureTarget: 100 } },
        },
        project,
        NOW,
      );
      const q = periodAsText(
        plan,
        env.store.dialect,
        healthCustomersSql(plan, plan.metrics[0]!, env.store.dialect, { from: plan.from, to: plan.to }),
      );
      const rows = await env.store.select(q.sql, q.params);
      const labels = [...new Set(rows.map((r) => r.period as string | null))].sort();
      // Each period ends where the next begins (a local midnight or hour), the last at the range's end.
      const ends = await env.store.sql(
        `SELECT label, CASE WHEN label = 'end' THEN ${plan.dateOnly ? `timezone('${TZ}', TIMESTAMP '${plan.to}')` : `TIMESTAMPTZ '${plan.to}'`}
           ELSE timezone('${TZ}', CAST(label AS TIMESTAMP)) END AS at
         FROM (VALUES ${[...labels.slice(1), 'end'].map((l) => `('${l}')`).join(', ')}) v(label)`,
      );
      const b1 = labels.map((_, i) => new Date(String(ends[i]!.at)).toISOString());
      const expected = await env.store.sql(
        `SELECT e.customer_id, p.i, count(DISTINCT CAST(timezone('${TZ}', e.ts) AS DATE)) AS days,
           count(DISTINCT e.feature) AS features, epoch(p.b1) - epoch(max(e.ts)) AS ago
         FROM (VALUES ${b1.map((t, i) => `(${i}, TIMESTAMPTZ '${t}')`).join(', ')}) p(i, b1)
         JOIN events e ON e.ts >= p.b1 - to_days(30) AND e.ts < p.b1 AND e.customer_id IS NOT NULL
         GROUP BY e.customer_id, p.i, p.b1`,
      );
      const raw = new Map(expected.map((e) => [`${e.customer_id}|${e.i}`, e]));
      let active = 0;
      for (const r of rows) {
        const e = raw.get(`${r.customer_id}|${labels.indexOf(r.period as string | null)}`);
        const where = `${r.customer_id} ${r.period}`;
        if (e) active++;
        expect(Number(r.usage), where).toBeCloseTo(Math.min(1, Number(e?.days ?? 0) / 30), 12);
        expect(Number(r.adoption), where).toBeCloseTo(Number(e?.features ?? 0) / 100, 12);
        expect(Number(r.recency), where).toBeCloseTo(e ? 1 - Number(e.ago) / (30 * 86400) : 0, 9);
      }
      expect(labels).toHaveLength(periods);
      expect(active).toBeGreaterThan(100);
      expect(rows.length).toBeGreaterThan(active);
    });

    it('FRT median and p90 are the order statistics x(⌈pn⌉)', async () => {
      const r = await run({ metrics: ['frt'] });
      const [e] = await env.store.sql(
        `SELECT list_sort(list(x))[CAST(ceil(0.5 * count(*)) AS INT)] AS median, list_sort(list(x))[CAST(ceil(0.9 * count(*)) AS INT)] AS p90
         FROM (SELECT epoch(first_response_at) - epoch(ts) AS x FROM contacts WHERE direction = 'inbound' AND first_response_at IS NOT NULL AND ${range('ts')})`,
      );
      const frt = r.rows[0]!.frt as {
        median: { value: number; ci: [number, number] };
        p90: { value: number; ci: [number, number] };
      };
      expect(frt.median.value).toBeCloseTo(Number(e!.median), 6);
      expect(frt.p90.value).toBeCloseTo(Number(e!.p90), 6);
      expect(frt.median.ci[0]).toBeLessThanOrEqual(frt.median.value);
      expect(frt.median.ci[1]).toBeGreaterThanOrEqual(frt.median.value);
    });
  });
});
