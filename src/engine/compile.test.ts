/**
 * Pins the SQL the DuckDB dialect produces for a typical query, and checks that no user value ever
 * reaches the SQL text (everything is bound).
 */
import { describe, expect, it } from 'vitest';
import { aggregateSql } from './compile.ts';
import { duckdbDialect } from './dialects/duckdb.ts';
import { planQuery } from './plan.ts';

const project = { id: 'prj_test', config: { timezone: 'Europe/Rome' } };
const now = new Date('2026-06-01T00:00:00Z');

describe('compiled SQL (duckdb)', () => {
  it('NPS by channel and month', () => {
    const plan = planQuery(
      {
        metrics: ['nps'],
        groupBy: ['channel'],
        grain: 'month',
        from: '2026-01-01',
        to: '2026-07-01',
        filters: { segment: ['smb'] },
      },
      project,
      now,
    );
    const { sql, params } = aggregateSql(plan, plan.metrics[0]!, duckdbDialect, {
      from: plan.from,
      to: plan.to,
    });
    expect(sql.replace(/\s+/g, ' ')).toMatchInlineSnapshot(
      `"SELECT s."channel" AS d0, date_trunc('month', (CASE WHEN epoch_us(s."ts") >= CAST($z_1 AS BIGINT) AND epoch_us(s."ts") < CAST($z_2 AS BIGINT) THEN make_timestamp(epoch_us(s."ts") + CASE WHEN epoch_us(s."ts") < CAST($z_3 AS BIGINT) THEN CAST($z_4 AS BIGINT) WHEN epoch_us(s."ts") < CAST($z_5 AS BIGINT) THEN CAST($z_6 AS BIGINT) WHEN epoch_us(s."ts") < CAST($z_7 AS BIGINT) THEN CAST($z_8 AS BIGINT) WHEN epoch_us(s."ts") < CAST($z_9 AS BIGINT) THEN CAST($z_10 AS BIGINT) WHEN epoch_us(s."ts") < CAST($z_11 AS BIGINT) THEN CAST($z_12 AS BIGINT) WHEN epoch_us(s."ts") < CAST($z_13 AS BIGINT) THEN CAST($z_14 AS BIGINT) WHEN epoch_us(s."ts") < CAST($z_15 AS BIGINT) THEN CAST($z_16 AS BIGINT) END) ELSE timezone($tz_0, s."ts") END)) AS period, count(*) AS n, count(*) FILTER (WHERE s."score" >= 9) AS promoters, count(*) FILTER (WHERE s."score" <= 6) AS detractors FROM "survey_responses" s LEFT JOIN "customers" c ON c.project_id = s.project_id AND c.id = s.customer_id WHERE s.project_id = $project_19 AND s."ts" >= timezone($tz_0, CAST($day_17 AS TIMESTAMP)) AND s."ts" < timezone($tz_0, CAST($day_18 AS TIMESTAMP)) AND ((s."metric" = $l_20) AND (s."score" IS NOT NULL)) AND c."segment" IN ($f_21) GROUP BY d0, period"`,
    );
    expect(Object.values(params)).toEqual(
      expect.arrayContaining(['prj_test', 'Europe/Rome', '2026-01-01', '2026-07-01', 'smb', 'nps']),
    );
  });

  it('binds hostile filter values instead of writing them into the SQL', () => {
    const hostile = "x') OR 1=1; DROP TABLE contacts; --";
    const plan = planQuery(
      {
        metrics: ['contact_volume'],
        filters: { reason: [hostile] },
        from: '2026-01-01',
        to: '2026-02-01',
        timezone: 'Europe/Rome',
      },
      project,
      now,
    );
    const { sql, params } = aggregateSql(plan, plan.metrics[0]!, duckdbDialect, {
      from: plan.from,
      to: plan.to,
    });
    expect(sql).not.toContain('DROP TABLE');
    expect(sql).not.toContain('Europe/Rome');
    expect(Object.values(params)).toContain(hostile);
  });
});
