/**
 * Side-by-side benchmark of the overview's questions (every metric of the catalogue, 12 local months
 * in Europe/Rome, in total and by channel where channel applies) on the same demo records:
 *
 * - Polso: the questions through the metric engine, on its DuckDB store;
 * - bare DuckDB: the same questions as hand-written SQL (bench/hand-sql.ts), on the same file;
 * - PostgreSQL 15: the same hand-written SQL, on a server started here and loaded with the same CSVs.
 *
 * Each engine runs the whole set `--runs` times; the answers must agree (same n, same values to
 * rounding) and every disagreement is printed. The DuckDB sides run in child processes of their
 * own so that each one's peak memory is its own. Prints one JSON object.
 *
 *   npx tsx bench/compare.ts --records 1000000 --runs 5 [--dump answers.json]
 *
 * `--dump` writes every engine's answers to a file, to look into a disagreement.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { planQuery } from '../src/engine/plan.ts';
import { type MetricValue, runQuery } from '../src/engine/run.ts';
import { DuckDbStore } from '../src/store/duckdb/store.ts';
import { tempDir } from '../test/helpers.ts';
import { CHANNEL_METRICS, loadDemoStore, NOW, OVERVIEW_QUERIES, openStore } from './demo-store.ts';
import { duckdbHand, type HandStatement, handStatements, postgresHand } from './hand-sql.ts';
import { loadDemo, PG_SETTINGS, startPostgres } from './postgres.ts';
import { arg, peakRssMb, percentile } from './util.ts';

/** One answer: a metric's value and sample size (and quantiles for durations). */
type Answer = { v: number | null; n: number; med?: number | null; p90?: number | null };
/** Answers by `question|metric|month|channel`. */
type Answers = Record<string, Answer>;
interface EngineRun {
  times: number[];
  answers: Answers;
  peakMemoryMb: number;
  /** Hand-written sides: milliseconds per statement in the last run. */
  statementMs?: Record<string, number>;
}

const answerKey = (by: string, metric: string, month: string, channel: unknown) =>
  `${by}|${metric}|${month}|${channel ?? ''}`;
const num = (x: unknown) => (x === null || x === undefined ? null : Number(x));

/** Runs the set `runs` times; the answers of the last run are kept. */
async function timed(runs: number, once: () => Promise<Answers>) {
  const times: number[] = [];
  let answers: Answers = {};
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    answers = await once();
    times.push(performance.now() - t);
  }
  return { times, answers };
}

/** The metrics that have hand-written statements (the rest of the catalogue is Polso's alone). */
const COVERED = new Set(handStatements(duckdbHand, CHANNEL_METRICS).map((x) => x.metric));

/** Polso's answers to the overview, through the engine, every run from the raw records (no memo). */
async function polsoPhase(dataDir: string, runs: number): Promise<EngineRun> {
  const store = await openStore(dataDir, 0);
  const [row] = await store.sql('SELECT id FROM projects');
  const project = (await store.getProject(String(row!.id)))!;
  const result = await timed(runs, async () => {
    const answers: Answers = {};
    for (const [i, overview] of OVERVIEW_QUERIES.entries()) {
      const by = i === 0 ? 'total' : 'channel';
      // The same questions on every side: only the metrics the hand-written SQL covers.
      const q = { ...overview, metrics: overview.metrics.filter((m) => COVERED.has(m)) };
      const r = await runQuery(store, planQuery(q, project, NOW));
      for (const row of r.rows)
        for (const metric of q.metrics) {
          const v = row[metric] as MetricValue;
          const quantile = (q: unknown) => (q as { value: number | null } | undefined)?.value ?? null;
          answers[answerKey(by, metric, String(row.period), row.channel)] = {
            v: v.value,
            n: v.n,
            ...('median' in v ? { med: quantile(v.median), p90: quantile(v.p90) } : {}),
          };
        }
    }
    return answers;
  });
  await store.close();
  return { ...result, peakMemoryMb: peakRssMb() };
}

/**
 * Runs the hand-written statements `runs` times through `query`; keeps the answers and the time of
 * each statement of the last run.
 */
async function runHand(
  statements: HandStatement[],
  runs: number,
  query: (sql: string) => Promise<Record<string, unknown>[]>,
) {
  const statementMs: Record<string, number> = {};
  const result = await timed(runs, async () => {
    const answers: Answers = {};
    for (const s of statements) {
      const t = performance.now();
      for (const r of await query(s.sql))
        answers[answerKey(s.by, s.metric, String(r.m), r.ch)] = {
          v: num(r.v),
          n: Number(r.n),
          ...('med' in r ? { med: num(r.med), p90: num(r.p90) } : {}),
        };
      statementMs[`${s.metric}/${s.by}`] = Math.round(performance.now() - t);
    }
    return answers;
  });
  return { ...result, statementMs };
}

/** The hand-written questions on Polso's DuckDB file, opened directly. */
async function duckdbPhase(file: string, runs: number): Promise<EngineRun> {
  const instance = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
  const conn = await instance.connect();
  // As in Polso's store: instants are handled in UTC, local time only through explicit conversion.
  await conn.run(`SET TimeZone = 'UTC'`);
  const statements = handStatements(duckdbHand, CHANNEL_METRICS);
  const result = await runHand(statements, runs, async (sql) =>
    (await conn.runAndReadAll(sql)).getRowObjectsJS(),
  );
  conn.closeSync();
  instance.closeSync();
  return { ...result, peakMemoryMb: peakRssMb() };
}

/** Runs a phase in a child process (its own peak memory) and reads back its result. */
function inChild(phase: string, target: string, runs: number, dir: string): EngineRun {
  const out = join(dir, `${phase}.json`);
  const child = spawnSync(
    process.execPath,
    [
      ...process.execArgv,
      fileURLToPath(import.meta.url),
      '--phase',
      phase,
      '--target',
      target,
      '--runs',
      String(runs),
      '--out',
      out,
    ],
    { stdio: 'inherit' },
  );
  if (child.status !== 0) throw new Error(`${phase} phase failed (${child.status ?? child.signal})`);
  const result = JSON.parse(readFileSync(out, 'utf8')) as EngineRun;
  // Progress on stderr, so that a later failure does not lose what was measured.
  console.error(JSON.stringify({ phase, latencyMs: stats(result.times), peakRssMb: result.peakMemoryMb }));
  return result;
}

/** Compares two engines' answers; returns one line per disagreement. */
function disagreements(name: string, a: Answers, b: Answers): string[] {
  const out: string[] = [];
  const close = (x: number | null | undefined, y: number | null | undefined) =>
    (x ?? null) === (y ?? null) ||
    (x !== null &&
      x !== undefined &&
      y !== null &&
      y !== undefined &&
      Math.abs(x - y) <= Math.max(1e-3, 1e-6 * Math.abs(y)));
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = a[key];
    const y = b[key];
    // An empty bucket is one engine's missing row and the other's n = 0.
    if (!x || !y) {
      const present = (x ?? y)!;
      if (present.n !== 0 && present.v !== 0 && present.v !== null)
        out.push(`${name} ${key}: only one side answers ${JSON.stringify(present)}`);
      continue;
    }
    if (x.n !== y.n || !close(x.v, y.v) || !close(x.med, y.med) || !close(x.p90, y.p90))
      out.push(`${name} ${key}: ${JSON.stringify(x)} vs ${JSON.stringify(y)}`);
  }
  return out;
}

const stats = (times: number[]) => {
  const sorted = [...times].sort((x, y) => x - y);
  return { p50: Math.round(percentile(sorted, 50)), p95: Math.round(percentile(sorted, 95)) };
};
/** The five slowest statements of a run. */
const slowest = (ms: Record<string, number> = {}) =>
  Object.fromEntries(
    Object.entries(ms)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5),
  );
const round2 = (x: number) => Math.round(x * 100) / 100;

const runs = Number(arg('runs', '5'));
const phase = arg('phase', '');
if (phase) {
  const target = arg('target', '');
  const result = phase === 'polso' ? await polsoPhase(target, runs) : await duckdbPhase(target, runs);
  writeFileSync(arg('out', ''), JSON.stringify(result));
} else {
  const records = Number(arg('records', '1000000'));
  const dump = arg('dump', '');
  const dir = tempDir('polso-bench-compare-');
  // The PostgreSQL server runs as another user and reads the CSV files itself.
  chmodSync(dir, 0o755);
  try {
    let t = performance.now();
    const { demo, store, loadSeconds } = await loadDemoStore(dir, records);
    const generateSeconds = (performance.now() - t) / 1000 - loadSeconds;
    await store.sql('CHECKPOINT');
    await store.close();
    chmodSync(join(dir, 'csv'), 0o755);
    const dataDir = join(dir, 'db');

    const polso = inChild('polso', dataDir, runs, dir);
    const duckdb = inChild('duckdb', DuckDbStore.file(dataDir), runs, dir);

    const server = await startPostgres(join(dir, 'pg'));
    let postgres: EngineRun & { loadSeconds: number; rows: Record<string, number> };
    try {
      t = performance.now();
      const rows = await loadDemo(
        server.client,
        demo.files.filter((f) => f.rows > 0),
      );
      const pgLoadSeconds = (performance.now() - t) / 1000;
      console.error(JSON.stringify({ phase: 'postgres-load', seconds: round2(pgLoadSeconds), rows }));
      const statements = handStatements(postgresHand, CHANNEL_METRICS);
      let peak = server.memoryMb();
      const sampler = setInterval(() => {
        peak = Math.max(peak, server.memoryMb());
      }, 200);
      try {
        const result = await runHand(statements, runs, async (sql) => (await server.client.query(sql)).rows);
        postgres = { ...result, peakMemoryMb: peak, loadSeconds: pgLoadSeconds, rows };
      } finally {
        clearInterval(sampler);
      }
    } finally {
      await server.stop();
    }

    const problems = [
      ...disagreements('polso/duckdb', polso.answers, duckdb.answers),
      ...disagreements('duckdb/postgres', duckdb.answers, postgres.answers),
    ];
    for (const p of problems) console.error(`DISAGREEMENT ${p}`);
    if (dump)
      writeFileSync(
        dump,
        JSON.stringify({ polso: polso.answers, duckdb: duckdb.answers, postgres: postgres.answers }),
      );
    const p50 = {
      polso: stats(polso.times).p50,
      duckdb: stats(duckdb.times).p50,
      postgres: stats(postgres.times).p50,
    };
    const statementCount = handStatements(duckdbHand, CHANNEL_METRICS).length;
    console.log(
      JSON.stringify({
        benchmark: 'overview-compare',
        records: demo.total,
        runs,
        questions: {
          metrics: COVERED.size,
          byChannel: CHANNEL_METRICS.length,
          handStatements: statementCount,
        },
        generateSeconds: Math.round(generateSeconds),
        polso: {
          latencyMs: stats(polso.times),
          peakRssMb: polso.peakMemoryMb,
          loadSeconds: round2(loadSeconds),
        },
        // Bare DuckDB reads Polso's own file: its load is Polso's import.
        duckdb: { latencyMs: stats(duckdb.times), peakRssMb: duckdb.peakMemoryMb },
        postgres: {
          latencyMs: stats(postgres.times),
          peakPssMb: postgres.peakMemoryMb,
          loadSeconds: round2(postgres.loadSeconds),
          settings: PG_SETTINGS,
        },
        slowestStatementsMs: { duckdb: slowest(duckdb.statementMs), postgres: slowest(postgres.statementMs) },
        ratios: {
          polsoOverDuckdb: round2(p50.polso / p50.duckdb),
          postgresOverPolso: round2(p50.postgres / p50.polso),
        },
        answers: {
          polso: Object.keys(polso.answers).length,
          duckdb: Object.keys(duckdb.answers).length,
          postgres: Object.keys(postgres.answers).length,
        },
        disagreements: problems.length,
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
