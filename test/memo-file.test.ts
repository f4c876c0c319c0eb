/**
 * The metric memo kept in the database file: a reopened store answers from the cells it had
 * computed, and never from a cell a later write can have changed — whether the write happened with
 * the memo switched off or just before the process was killed.
 */
import { rmSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planQuery, type QueryInput } from '../src/engine/plan.ts';
import { runQuery, type SqlExecutor } from '../src/engine/run.ts';
import { createApp } from '../src/server/app.ts';
import { type CreatedProject, createProjectWithKeys } from '../src/service/operations.ts';
import { DuckDbStore } from '../src/store/duckdb/store.ts';
import { startServer, stopped } from './cli.ts';
import { ALL_METRICS, CHANNEL_METRICS, DEMO_YEAR, expectSame, importDemo, post, tempDir } from './helpers.ts';

const QUERIES: Omit<QueryInput, 'from' | 'to'>[] = [
  { metrics: ALL_METRICS, grain: 'month' },
  { metrics: CHANNEL_METRICS, groupBy: ['channel'], grain: 'month' },
  { metrics: ALL_METRICS, compare: 'previous_period' },
];
const NOW = new Date('2026-11-20T00:00:00Z');
const clock = { now: () => NOW };

const dir = tempDir('polso-memo-file-');
let project: CreatedProject;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const open = async (memoCells?: number) => {
  const store = new DuckDbStore({ dataDir: dir, clock, threads: 2, memoCells });
  await store.ready;
  return store;
};

/** Every question with the memo and from the raw records: they agree. Returns the memo's misses. */
async function agree(store: DuckDbStore): Promise<number> {
  const raw: SqlExecutor = { dialect: store.dialect, select: (sql, params) => store.select(sql, params) };
  const p = (await store.getProject(project.projectId))!;
  const misses = store.memo.stats.misses;
  for (const q of QUERIES) {
    const plan = planQuery({ ...q, ...DEMO_YEAR }, p, NOW);
    expectSame(await runQuery(store, plan), await runQuery(raw, plan));
  }
  return store.memo.stats.misses - misses;
}

/** Posts records with the project's write key through the app. */
async function send(store: DuckDbStore, records: object[]): Promise<void> {
  const app = createApp({ store, clock });
  const r = await post(app, project.writeKey, records);
  await app.close();
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  expect(r.body.rejected).toEqual([]);
}

const liveEvent = (id: string, customerId: string) => ({
  type: 'event',
  id,
  timestamp: '2026-10-24T09:00:00Z',
  customerId,
  name: 'Report Exported',
  feature: 'reports',
});

describe('the memo on disk', () => {
  let customer: string;
  let kept: number;

  beforeAll(async () => {
    const store = await open();
    project = await createProjectWithKeys(store, { name: 'Memo file' });
    await importDemo(store, project.projectId, 20_000, 11);
    customer = String((await store.sql(`SELECT id FROM customers ORDER BY id LIMIT 1`))[0]!.id);
    expect(await agree(store)).toBeGreaterThan(0);
    kept = store.memo.size;
    expect(kept).toBeGreaterThan(0);
    await store.close();
  });

  it('gives a reopened store the cells it had computed', async () => {
    const store = await open();
    try {
      expect(store.memo.size).toBe(kept);
      expect(await agree(store)).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('drops on reopening the cells a write made while the memo was off can change, and only those', async () => {
    const off = await open(0);
    await send(off, [liveEvent('off-e1', customer)]);
    await off.close();
    const store = await open();
    try {
      // The events of October (and every answer over the whole range) are stale; closed months are not.
      expect(store.memo.size).toBeGreaterThan(0);
      expect(store.memo.size).toBeLessThan(kept);
      const misses = await agree(store);
      expect(misses).toBeGreaterThan(0);
      expect(store.memo.stats.hits).toBeGreaterThan(0);
      expect(await agree(store)).toBe(0);
      kept = store.memo.size;
    } finally {
      await store.close();
    }
  });

  it('keeps no stale cell when the server is killed right after a write', async () => {
    const { child, base } = await startServer(dir);
    const ask = (body: object) =>
      fetch(`${base}/api/v1/query`, {
        method: 'POST',
        headers: { authorization: `Bearer ${project.secretKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    try {
      // The server has the cells from the file; wait past the flush delay, then write and die at once.
      expect((await ask({ metrics: ALL_METRICS, grain: 'month', ...DEMO_YEAR })).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 2500));
      const r = await fetch(`${base}/api/v1/records`, {
        method: 'POST',
        headers: { authorization: `Bearer ${project.writeKey}`, 'content-type': 'application/json' },
        body: JSON.stringify([liveEvent('kill-e1', customer), liveEvent('kill-e2', customer)]),
      });
      expect(r.status).toBe(200);
    } finally {
      child.kill('SIGKILL');
      await stopped(child);
    }
    const store = await open();
    try {
      expect(Number((await store.sql(`SELECT count(*) AS n FROM events WHERE id LIKE 'kill-%'`))[0]!.n)).toBe(
        2,
      );
      // The server kept more cells (its warmer asks the default views), but not those the write reached.
      expect(store.memo.size).toBeGreaterThan(0);
      expect(await agree(store)).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  });

  it('computes again a cell it cannot read back, instead of failing to open', async () => {
    const before = await open();
    const cells = before.memo.size;
    await before.close();
    const db = await DuckDBInstance.create(DuckDbStore.file(dir));
    const conn = await db.connect();
    await conn.run(
      `UPDATE memo_cells SET value = 'not a cell' WHERE rowid = (SELECT min(rowid) FROM memo_cells)`,
    );
    conn.closeSync();
    db.closeSync();
    const store = await open();
    try {
      expect(store.memo.size).toBe(cells - 1);
      // Every answer still equals the raw computation (`agree` compares them).
      await agree(store);
    } finally {
      await store.close();
    }
  });
});
