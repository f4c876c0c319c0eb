/**
 * A write is acknowledged only after it is committed: kill the server with SIGKILL right after
 * acknowledged writes, restart, and find every acknowledged record.
 */
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { DuckDbStore } from '../src/store/duckdb/store.ts';
import { systemClock } from '../src/util/clock.ts';
import { polso, startServer, stopped } from './cli.ts';
import { tempDir } from './helpers.ts';

const dir = tempDir('polso-kill-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('durability', () => {
  it('keeps every acknowledged record after SIGKILL', async () => {
    const created = await polso(['project', 'create', 'Kill', '--data', dir, '--json']);
    expect(created.code).toBe(0);
    const { projectId, writeKey } = JSON.parse(created.stdout);
    const { child, base } = await startServer(dir);
    const acked: string[] = [];
    const send = async (b: number) => {
      const records = Array.from({ length: 250 }, (_, i) => ({
        type: 'event',
        id: `k-${b}-${i}`,
        timestamp: '2026-03-01T10:00:00+01:00',
        customerId: `c-${i % 17}`,
        name: 'Page Viewed',
        page: `/p/${i}`,
      }));
      const res = await fetch(`${base}/api/v1/records`, {
        method: 'POST',
        headers: { authorization: `Bearer ${writeKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(records),
      });
      if (res.status === 200) acked.push(...records.map((r) => r.id));
    };
    for (let b = 0; b < 12; b++) await send(b);
    // More writes in flight while the process dies: only acknowledged ones are promised.
    const inflight = [12, 13, 14].map((b) => send(b).catch(() => undefined));
    child.kill('SIGKILL');
    await stopped(child);
    await Promise.all(inflight);
    expect(acked.length).toBeGreaterThanOrEqual(12 * 250);

    const store = new DuckDbStore({ dataDir: dir, clock: systemClock });
    await store.ready;
    const rows = await store.sql('SELECT id FROM events WHERE project_id = $p', { p: projectId });
    await store.close();
    const found = new Set(rows.map((r) => String(r.id)));
    const missing = acked.filter((id) => !found.has(id));
    expect(missing).toEqual([]);

    const again = await startServer(dir);
    expect((await fetch(`${again.base}/healthz`)).status).toBe(200);
    again.child.kill('SIGTERM');
    await stopped(again.child);
  });
});
