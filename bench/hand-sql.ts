/**
 * The overview's questions written by hand: for each metric of the catalogue, one plain SQL
 * statement over the raw records per question (by month; by channel and month where channel
 * applies), with local months in Europe/Rome. Written once; the few places where DuckDB and
 * PostgreSQL differ (time-zone conversion, epoch seconds, date formatting) are hooks of a small
 * dialect. Every statement returns rows `m` (local month, 'YYYY-MM-DD'), `ch` (channel or NULL),
 * `v` (the value), `n` (its sample size) and, for durations, `med` and `p90`.
 *
 * This is what a careful analyst would write without Polso — no roll-ups, no precomputation — so
 * the benchmark can show what the engine costs over bare SQL and how it compares with PostgreSQL.
 */
import { NOW, RANGE } from './demo-store.ts';

/** What differs between the engines the hand-written questions run on. */
export interface HandDialect {
  readonly name: string;
  /** Wall-clock time in Europe/Rome of an instant (timestamptz → timestamp). */
  local(instant: string): string;
  /** The instant of a local date's midnight in Europe/Rome, from a 'YYYY-MM-DD' text expression. */
  instant(localDate: string): string;
  /** A timestamp as 'YYYY-MM-DD' text. */
  dayText(timestamp: string): string;
  /** Seconds from one instant to another, as a double. */
  seconds(from: string, to: string): string;
  /** A conditional count. */
  countIf(condition: string): string;
  /** The discrete quantile x(⌈qn⌉), the order statistic Polso reports. */
  quantile(value: string, q: number): string;
}

/** The parts of standard SQL that both engines accept as written. */
const standard = {
  countIf: (condition: string) => `count(*) FILTER (WHERE ${condition})`,
  quantile: (value: string, q: number) => `percentile_disc(${q}) WITHIN GROUP (ORDER BY ${value})`,
};

/** DuckDB with ICU: `timezone(tz, x)` converts both ways (https://duckdb.org/docs/sql/functions/timestamptz). */
export const duckdbHand: HandDialect = {
  ...standard,
  name: 'duckdb',
  local: (instant) => `timezone('Europe/Rome', ${instant})`,
  instant: (localDate) => `timezone('Europe/Rome', CAST(${localDate} AS TIMESTAMP))`,
  dayText: (timestamp) => `strftime(${timestamp}, '%Y-%m-%d')`,
  seconds: (from, to) => `(epoch(${to}) - epoch(${from}))`,
};

/** PostgreSQL: `AT TIME ZONE` converts both ways (https://www.postgresql.org/docs/15/functions-datetime.html). */
export const postgresHand: HandDialect = {
  ...standard,
  name: 'postgres',
  local: (instant) => `(${instant} AT TIME ZONE 'Europe/Rome')`,
  instant: (localDate) => `(CAST(${localDate} AS timestamp) AT TIME ZONE 'Europe/Rome')`,
  dayText: (timestamp) => `to_char(${timestamp}, 'YYYY-MM-DD')`,
  seconds: (from, to) => `CAST(extract(epoch FROM (${to} - ${from})) AS double precision)`,
};

/** One question: a metric, total or by channel, as one statement. */
export interface HandStatement {
  metric: string;
  by: 'total' | 'channel';
  sql: string;
}

type By = HandStatement['by'];

/** The local months of the range with their day counts, as SQL rows. */
function monthRows(): string {
  const rows: string[] = [];
  for (let d = new Date(`${RANGE.from}T00:00:00Z`); d < new Date(`${RANGE.to}T00:00:00Z`); ) {
    const next = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1));
    const days = Math.round((next.getTime() - d.getTime()) / 86_400_000);
    rows.push(`('${d.toISOString().slice(0, 10)}', '${next.toISOString().slice(0, 10)}', ${days})`);
    d = next;
  }
  return rows.join(', ');
}

/**
 * The statements of the overview for one dialect: every catalogue metric in total, and by channel
 * for the metrics in `channelMetrics`.
 */
export function handStatements(d: HandDialect, channelMetrics: readonly string[]): HandStatement[] {
  const from = d.instant(`'${RANGE.from}'`);
  const to = d.instant(`'${RANGE.to}'`);
  const inRange = (t: string) => `${t} >= ${from} AND ${t} < ${to}`;
  const month = (t: string) => d.dayText(`date_trunc('month', ${d.local(t)})`);
  const key = (by: By) => (by === 'channel' ? 'channel' : 'CAST(NULL AS VARCHAR)');
  const months = `months AS (SELECT m, ${d.instant('m')} AS b0, ${d.instant('nx')} AS b1, days
      FROM (VALUES ${monthRows()}) AS v(m, nx, days))`;
  const now = `CAST('${NOW.toISOString()}' AS TIMESTAMPTZ)`;

  /** One aggregate over a table's rows in range, by local month of `time`. */
  const agg = (table: string, time: string, where: string, select: string) => (by: By) =>
    `SELECT ${month(time)} AS m, ${key(by)} AS ch, ${select}
     FROM ${table} WHERE ${where} AND ${inRange(time)} GROUP BY 1, 2`;
  const share = (hit: string) => `100.0 * ${d.countIf(hit)} / count(*) AS v, count(*) AS n`;
  const mean = (x: string) => `avg(${x}) AS v, count(*) AS n`;
  const duration = (x: string) =>
    `avg(${x}) AS v, count(*) AS n, ${d.quantile(x, 0.5)} AS med, ${d.quantile(x, 0.9)} AS p90`;
  const count = 'count(*) AS v, count(*) AS n';
  const who = 'coalesce(customer_id, anonymous_id)';

  const answered = (metric: string) => `metric = '${metric}' AND score IS NOT NULL`;
  const responses = (metric: string, select: string) =>
    agg('survey_responses', 'ts', answered(metric), select);
  const invitations = (where: string, select: string) =>
    agg('survey_invitations', 'coalesce(sent_at, ts)', where, select);
  const contacts = (where: string, select: string) => agg('contacts c', 'ts', where, select);
  const live = `direction = 'inbound' AND channel IN ('voice', 'chat') AND NOT (abandoned AND coalesce(wait_seconds, 0) < 5)`;

  const satisfied = `score >= CASE scale_max WHEN 3 THEN 3 WHEN 5 THEN 4 WHEN 7 THEN 6 WHEN 10 THEN 8 ELSE scale_max - 1 END`;
  const width = 'CASE WHEN scale_max - scale_min = 6 THEN 2 ELSE 1 END';
  const easy = `CASE WHEN direction = 'lower_is_easier' THEN score <= scale_min + ${width} ELSE score >= scale_max - ${width} END`;
  const repeat = `EXISTS (SELECT 1 FROM contacts r WHERE r.customer_id = c.customer_id AND r.reason = c.reason
      AND r.ts > c.ts AND r.ts <= c.ts + INTERVAL '7 days')`;

  /** Distinct people per local day, summed per month and divided by the month's days. */
  const dau = `SELECT x.m, CAST(NULL AS VARCHAR) AS ch, 1.0 * sum(dc) / months.days AS v, months.days AS n
      FROM (SELECT ${month('ts')} AS m, ${d.dayText(d.local('ts'))} AS day, count(DISTINCT ${who}) AS dc
        FROM events WHERE ${inRange('ts')} GROUP BY 1, 2) x JOIN months ON months.m = x.m
      GROUP BY x.m, months.days`;
  const rolling = (
    days: number,
  ) => `SELECT m, CAST(NULL AS VARCHAR) AS ch, count(DISTINCT ${who}) AS v, count(DISTINCT ${who}) AS n
      FROM months JOIN events ON ts >= b1 - INTERVAL '${days} days' AND ts < b1 GROUP BY m`;

  /** Customers' acquisition and loss, and per month S (start), lost, E (end) and N (new, still active). */
  const lifecycle = (value: string) => `WITH life AS (
        SELECT c.id, coalesce(c.acquired_at, s.first_start, o.first_order) AS acq,
          coalesce(c.churned_at, CASE WHEN s.open_subs = 0 THEN s.last_end END) AS lost
        FROM customers c
        LEFT JOIN (SELECT customer_id, min(started_at) AS first_start, max(ended_at) AS last_end,
            ${d.countIf('ended_at IS NULL')} AS open_subs FROM subscriptions GROUP BY customer_id) s ON s.customer_id = c.id
        LEFT JOIN (SELECT customer_id, min(ts) AS first_order FROM orders WHERE status = 'completed'
            GROUP BY customer_id) o ON o.customer_id = c.id),
      ${months},
      flow AS (SELECT m,
          ${d.countIf('acq < b0 AND (lost IS NULL OR lost >= b0)')} AS s_n,
          ${d.countIf('acq < b0 AND (lost IS NULL OR lost >= b0) AND lost < b1')} AS lost_n,
          ${d.countIf('acq < b1 AND (lost IS NULL OR lost >= b1)')} AS e_n,
          ${d.countIf('acq >= b0 AND acq < b1 AND (lost IS NULL OR lost >= b1)')} AS new_n
        FROM life CROSS JOIN months GROUP BY m)
    SELECT m, CAST(NULL AS VARCHAR) AS ch, CASE WHEN s_n > 0 THEN ${value} END AS v, s_n AS n FROM flow`;

  const conversions = `'Order Completed', 'Signed Up', 'Form Submitted'`;
  const visits = `WITH ev AS (
        SELECT ${who} AS who, session_id AS sid, ts, ${d.dayText(d.local('ts'))} AS day,
          CASE WHEN name IN (${conversions}) THEN 1 ELSE 0 END AS conv
        FROM events WHERE ${inRange('ts')}),
      gaps AS (
        SELECT who, day, ts, conv, CASE WHEN prev IS NULL OR ${d.seconds('prev', 'ts')} > 1800 THEN 1 ELSE 0 END AS starts
        FROM (SELECT *, lag(ts) OVER (PARTITION BY who, day ORDER BY ts) AS prev FROM ev WHERE sid IS NULL) x),
      visits AS (
        SELECT min(ts) AS start, max(conv) AS converted FROM ev WHERE sid IS NOT NULL GROUP BY sid, day
        UNION ALL
        SELECT min(ts), max(conv) FROM (
          SELECT *, sum(starts) OVER (PARTITION BY who, day ORDER BY ts ROWS UNBOUNDED PRECEDING) AS visit FROM gaps) y
        GROUP BY who, day, visit)
    SELECT ${month('start')} AS m, CAST(NULL AS VARCHAR) AS ch, 100.0 * sum(converted) / count(*) AS v, count(*) AS n
    FROM visits GROUP BY 1, 2`;

  const questions: Record<string, (by: By) => string> = {
    nps: responses(
      'nps',
      `100.0 * (${d.countIf('score >= 9')} - ${d.countIf('score <= 6')}) / count(*) AS v, count(*) AS n`,
    ),
    csat: responses('csat', share(satisfied)),
    csat_mean: responses('csat', mean('score')),
    ces: responses('ces', mean('score')),
    ces_easy_share: responses('ces', share(easy)),
    rating_mean: responses('rating', mean('score')),
    survey_response_rate: invitations('delivered_at IS NOT NULL', share('started_at IS NOT NULL')),
    survey_completion_rate: invitations('started_at IS NOT NULL', share('completed_at IS NOT NULL')),
    survey_funnel: invitations('true', share('completed_at IS NOT NULL')),
    frt: contacts(
      `direction = 'inbound' AND first_response_at IS NOT NULL`,
      duration(d.seconds('ts', 'first_response_at')),
    ),
    resolution_time: agg(
      'contacts',
      'resolved_at',
      'resolved_at IS NOT NULL',
      duration(d.seconds('ts', 'resolved_at')),
    ),
    first_resolution_time: agg(
      'contacts',
      'first_resolved_at',
      'first_resolved_at IS NOT NULL',
      duration(d.seconds('ts', 'first_resolved_at')),
    ),
    aht: contacts(
      'abandoned = false AND coalesce(talk_seconds, hold_seconds, conference_seconds, wrap_up_seconds) IS NOT NULL',
      mean(
        'coalesce(talk_seconds, 0) + coalesce(hold_seconds, 0) + coalesce(conference_seconds, 0) + coalesce(wrap_up_seconds, 0)',
      ),
    ),
    asa: contacts(
      `direction = 'inbound' AND abandoned = false AND wait_seconds IS NOT NULL`,
      mean('wait_seconds'),
    ),
    fcr: contacts(
      `direction = 'inbound' AND customer_id IS NOT NULL AND reason IS NOT NULL AND ts + INTERVAL '7 days' <= ${now}`,
      share(`NOT ${repeat}`),
    ),
    contact_volume: contacts('true', count),
    abandonment_rate: contacts(live, share('abandoned')),
    service_level: contacts(live, share('abandoned = false AND coalesce(wait_seconds, 0) <= 20')),
    backlog: (by) => `WITH ${months}
      SELECT m, ${key(by)} AS ch, count(*) AS v, count(*) AS n
      FROM months JOIN contacts ON ts < b1 AND (resolved_at IS NULL OR resolved_at >= b1)
      WHERE abandoned = false GROUP BY 1, 2`,
    task_completion_rate: agg('tasks', 'ts', 'true', share('success')),
    page_views: agg('events', 'ts', 'page IS NOT NULL', count),
    feature_usage: agg('events', 'ts', 'feature IS NOT NULL', count),
    active_users: agg('events', 'ts', 'true', `count(DISTINCT ${who}) AS v, count(DISTINCT ${who}) AS n`),
    dau: () => `WITH ${months} ${dau}`,
    wau: () => `WITH ${months} ${rolling(7)}`,
    mau: () => `WITH ${months} ${rolling(30)}`,
    stickiness: () => `WITH ${months}, dau AS (${dau}), mau AS (${rolling(30)})
      SELECT months.m, CAST(NULL AS VARCHAR) AS ch, 100.0 * dau.v / mau.v AS v, mau.n AS n
      FROM months JOIN dau ON dau.m = months.m JOIN mau ON mau.m = months.m`,
    conversion_rate: () => visits,
    shares_mentions: agg('social', 'ts', `kind IN ('share', 'mention')`, count),
    social_engagement: agg(
      'social',
      'ts',
      'true',
      `sum(CASE kind WHEN 'like' THEN 1 WHEN 'poll_vote' THEN 1 WHEN 'comment' THEN 2 WHEN 'share' THEN 3 WHEN 'mention' THEN 2 ELSE 0 END) AS v, count(*) AS n`,
    ),
    churn_rate: () => lifecycle('100.0 * lost_n / s_n'),
    retention_rate: () => lifecycle('100.0 * (e_n - new_n) / s_n'),
    retention_rate_simple: () => lifecycle('100.0 * e_n / s_n'),
  };

  return Object.entries(questions).flatMap(([metric, sql]) => [
    { metric, by: 'total' as const, sql: sql('total') },
    ...(channelMetrics.includes(metric) ? [{ metric, by: 'channel' as const, sql: sql('channel') }] : []),
  ]);
}
