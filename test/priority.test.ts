/**
 * Background queries (dashboard prefetch, the warmer) yield the engine: a query someone waits for
 * starts at once on the connection they leave free, instead of queueing behind them.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbStore } from '../src/store/duckdb/store.ts';
import { systemClock } from '../src/util/clock.ts';
import { tempDir } from './helpers.ts';

/** A query that keeps a connection busy for a while (a sum over 300 million generated rows). */
const SLOW = 'SELECT sum(i) AS s FROM range(300000000) t(i)';

describe('query priority', () => {
  const dir = tempDir('polso-priority-');
  let store: DuckDbStore;
  beforeAll(async () => {
    store = new DuckDbStore({ dataDir: dir, clock: systemClock, threads: 2, readers: 2 });
    await store.ready;
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs a waited-for query before background queries queued ahead of it', async () => {
    const done: string[] = [];
    const run = (name: string, background: boolean) =>
      store.select(SLOW, {}, { background }).then((rows) => {
        expect(Number(rows[0]!.s)).toBe((300_000_000 * 299_999_999) / 2);
        done.push(name);
      });
    const queued = [run('bg1', true), run('bg2', true), run('bg3', true)];
    const shown = run('shown', false);
    await Promise.all([...queued, shown]);
    // bg1 took one connection and left the other free: the shown query ran on it at once, while bg2
    // and bg3 waited their turn one after the other.
    expect(done.indexOf('shown')).toBeLessThan(done.indexOf('bg2'));
    expect(done.slice(-2)).toEqual(['bg2', 'bg3']);
  });

  it('still runs background queries when nothing else asks', async () => {
    const rows = await Promise.all(
      [1, 2, 3].map(() => store.select('SELECT 42 AS x', {}, { background: true })),
    );
    expect(rows.map((r) => Number(r[0]!.x))).toEqual([42, 42, 42]);
  });
});
