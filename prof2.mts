import { DuckDbStore } from './src/store/duckdb/store.ts';
import { systemClock } from './src/util/clock.ts';
import { columnize } from './src/ingest/columns.ts';
import { rmSync } from 'node:fs';
rmSync('/tmp/profdb2', { recursive: true, force: true });
const s = new DuckDbStore({ dataDir: '/tmp/profdb2', clock: systemClock });
await s.ready;
const p = await s.createProject('t');
const conn = (s as any).writer;
let times = new Map<string, number>();
for (const m of ['run', 'runAndReadAll']) { const orig = conn[m].bind(conn); conn[m] = async (sql: string, params: any) => { const t = performance.now(); const r = await orig(sql, params); const k = sql.trim().slice(0, 40).replace(/\s+/g, ' '); times.set(k, (times.get(k) ?? 0) + performance.now() - t); return r; }; }
const N = 1500;
let next = 0;
let t0 = performance.now();
const mk = (b: number) => columnize('event', Array.from({ length: 1000 }, (_, i) => ({ index: i, value: { type: 'event', id: `e-${b}-${i}`, timestamp: '2026-03-01T10:00:00Z', customerId: `c${i}`, name: 'Page Viewed', page: '/x', sessionId: 's' + i } }))).batch;
await Promise.all(Array.from({ length: 8 }, async () => { while (next < N) { const b = next++; await s.ingest(p, new Map([['event', mk(b)]]) as any);
  if (b % 300 === 299) { console.log(`batches ${b + 1}: ${Math.round(300000 / ((performance.now() - t0) / 1000))} rec/s`, [...times].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([k, v]) => `${v.toFixed(0)} ${k}`).join(' | ')); times = new Map(); t0 = performance.now(); }
} }));
await s.close();
