/**
 * Store internals that must survive an engine upgrade: record keys use DuckDB's hash(), which is
 * not promised stable across versions, so a changed canary re-keys every table on open.
 */
import { rmSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/server/app.ts';
import { createProjectWithKeys } from '../src/service/operations.ts';
import { DuckDbStore } from '../src/store/duckdb/store.ts';
import { systemClock } from '../src/util/clock.ts';
import { post, tempDir } from './helpers.ts';

const dir = tempDir('polso-store-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const order = {
  type: 'order',
  id: 'o-1',
  timestamp: '2026-03-01T10:00:00Z',
  customerId: 'c',
  amount: 5,
  currency: 'EUR',
};
const contact = {
  type: 'contact',
  id: 't-1',
  timestamp: '2026-03-01T10:00:00Z',
  customerId: 'c',
  channel: 'chat',
};

describe('hash canary', () => {
  it('re-keys stored records when hash() changed, so duplicates are still recognised', async () => {
    let store = new DuckDbStore({ dataDir: dir, clock: systemClock });
    await store.ready;
    const project = await createProjectWithKeys(store, { name: 'P' });
    let app = createApp({ store, clock: systemClock });
    expect((await post(app, project.writeKey, [order, contact])).body.accepted).toBe(2);
    await app.close();
    await store.close();

    // What a DuckDB upgrade with a different hash() would leave behind: keys that no longer match.
    const raw = await DuckDBInstance.create(DuckDbStore.file(dir));
    const conn = await raw.connect();
    await conn.run(`UPDATE orders SET _key = 0`);
    await conn.run(`UPDATE contacts SET _key = 0, _hash = 0`);
    await conn.run(`UPDATE settings SET value = 'from another version' WHERE name = 'hash_canary'`);
    conn.closeSync();
    raw.closeSync();

    store = new DuckDbStore({ dataDir: dir, clock: systemClock });
    await store.ready;
    app = createApp({ store, clock: systemClock });
    const again = await post(app, project.writeKey, [order, contact]);
    expect(again.body).toMatchObject({ accepted: 0, duplicates: 2 });
    expect(await store.count(project.projectId, 'order')).toBe(1);
    await app.close();
    await store.close();
  });
});
