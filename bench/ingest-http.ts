/**
 * HTTP ingestion benchmark: a `polso serve` process on a fresh data directory and a load generator in
 * a second process sending 1,000-record batches with C requests in flight. Prints records/s, batch
 * latency p50/p99 and the server's peak memory.
 *
 *   npx tsx bench/ingest-http.ts --generator wrk --seconds 30 --concurrency 8   # wrk (apt install wrk), events
 *   npx tsx bench/ingest-http.ts --generator node --records 1000000 --concurrency 8   # demo mix of all kinds
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { generateDemo } from '../src/demo/generate.ts';
import { polso, startServer, stopped } from '../test/cli.ts';
import { tempDir } from '../test/helpers.ts';
import { arg, peakRssMb, percentile } from './util.ts';

const total = Number(arg('records', '1000000'));
const concurrency = Number(arg('concurrency', '4'));
const batchSize = Number(arg('batch', '1000'));

const generator = arg('generator', 'node');
const dir = tempDir('polso-bench-http-');
if (generator === 'wrk') {
  await runWrk();
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}
const demoDir = join(dir, 'demo');
try {
  // Demo records as JSON objects (CSV rows → records), all kinds mixed as the generator makes them.
  await generateDemo({ size: total, seed: 1, outDir: demoDir });
  const bodies: string[] = [];
  let pending: string[] = [];
  for (const kind of [
    'customer',
    'contact',
    'survey_invitation',
    'survey_response',
    'order',
    'subscription',
    'event',
    'social',
    'task',
  ]) {
    const lines = readFileSync(join(demoDir, `${kind}.csv`), 'utf8').split('\n');
    const header = lines[0]!.split(',');
    for (const line of lines.slice(1)) {
      if (!line) continue;
      const rec = csvToRecord(header, line);
      pending.push(JSON.stringify(rec));
      if (pending.length === batchSize) {
        bodies.push(`[${pending.join(',')}]`);
        pending = [];
      }
    }
  }
  if (pending.length > 0) bodies.push(`[${pending.join(',')}]`);

  const created = await polso(['project', 'create', 'Bench', '--data', dir, '--json']);
  const { writeKey } = JSON.parse(created.stdout);
  const { child, base } = await startServer(dir);
  const latencies: number[] = [];
  let accepted = 0;
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < bodies.length) {
      const body = bodies[next++]!;
      const t0 = performance.now();
      const res = await fetch(`${base}/api/v1/records`, {
        method: 'POST',
        headers: { authorization: `Bearer ${writeKey}`, 'content-type': 'application/json' },
        body,
      });
      const json = (await res.json()) as { accepted: number; rejected: unknown[] };
      latencies.push(performance.now() - t0);
      if (res.status !== 200 || json.rejected.length > 0)
        throw new Error(`batch failed: ${res.status} ${JSON.stringify(json).slice(0, 300)}`);
      accepted += json.accepted;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  const serverPeak = peakRssMb(child.pid!);
  child.kill('SIGTERM');
  await stopped(child);
  latencies.sort((a, b) => a - b);
  const records = bodies.reduce((n, b) => n + (b.match(/"type":/g)?.length ?? 0), 0);
  console.log(
    JSON.stringify({
      benchmark: 'http-ingest',
      records,
      accepted,
      batches: bodies.length,
      batchSize,
      concurrency,
      seconds: Math.round(seconds * 100) / 100,
      recordsPerSecond: Math.round(records / seconds),
      latencyMs: { p50: Math.round(percentile(latencies, 50)), p99: Math.round(percentile(latencies, 99)) },
      serverPeakRssMb: serverPeak,
    }),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/** One demo CSV row back into a record (demo cells never contain newlines). */
function csvToRecord(header: string[], line: string): Record<string, unknown> {
  const cells: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      cells.push(cur);
      cur = '';
    } else cur += ch;
  }
  cells.push(cur);
  const rec: Record<string, unknown> = {};
  header.forEach((h, i) => {
    const v = cells[i];
    if (v === undefined || v === '') return;
    if (h === 'traits' || h === 'properties' || h === 'items' || h === 'tags') rec[h] = JSON.parse(v);
    else if (
      /^(score|amount|mrr|talkSeconds|holdSeconds|conferenceSeconds|wrapUpSeconds|waitSeconds|reopenCount|scaleMin|scaleMax|durationSeconds)$/.test(
        h,
      )
    )
      rec[h] = Number(v);
    else if (h === 'abandoned' || h === 'success' || h === 'resolvedOnFirstContact') rec[h] = v === 'true';
    else rec[h] = v;
  });
  return rec;
}

/** Load from wrk (C, Debian package) with `bench/wrk-records.lua`: unique product events per request. */
async function runWrk(): Promise<void> {
  const { execFileSync } = await import('node:child_process');
  const created = await polso(['project', 'create', 'Bench', '--data', dir, '--json']);
  const { writeKey } = JSON.parse(created.stdout);
  const { child, base } = await startServer(dir);
  const seconds = arg('seconds', '30');
  const out = execFileSync(
    'wrk',
    [
      '-t1',
      `-c${concurrency}`,
      `-d${seconds}s`,
      '--latency',
      '-s',
      join(import.meta.dirname, 'wrk-records.lua'),
      `${base}/api/v1/records`,
    ],
    { env: { ...process.env, WRITE_KEY: writeKey, BATCH: String(batchSize) }, encoding: 'utf8' },
  );
  const serverPeak = peakRssMb(child.pid!);
  const count = await fetch(`${base}/healthz`);
  child.kill('SIGTERM');
  await stopped(child);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const ms = (label: string) => {
    const m = new RegExp(`${label}%\\s+([\\d.]+)(ms|s)`).exec(out);
    return m ? Math.round(Number(m[1]) * (m[2] === 's' ? 1000 : 1)) : null;
  };
  if (!count.ok || /status \d+/.test(out)) throw new Error(`errors during the run:\n${out}`);
  console.log(
    JSON.stringify({
      benchmark: 'http-ingest',
      generator: 'wrk',
      batchSize,
      concurrency,
      seconds: Number(seconds),
      recordsPerSecond: Math.round(rps * batchSize),
      latencyMs: { p50: ms('50'), p99: ms('99') },
      serverPeakRssMb: serverPeak,
    }),
  );
}
