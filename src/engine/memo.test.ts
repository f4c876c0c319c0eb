import { describe, expect, it } from 'vitest';
import { ChangeLog, Memo } from './memo.ts';

const day = (d: string) => Date.parse(`${d}T00:00:00Z`);
const dep = (tables: string[], horizon: string) => ({ tables: new Set(tables), horizon: day(horizon) });

describe('Memo', () => {
  it('drops the entries a change can reach: a table they read, ending after its earliest instant', () => {
    const changes = new ChangeLog();
    const memo = new Memo<string>(changes);
    const g = memo.generation('p');
    memo.put('sept', 'p', g, dep(['events'], '2026-10-01'), 'S');
    memo.put('oct', 'p', g, dep(['events'], '2026-11-01'), 'O');
    memo.put('oct-orders', 'p', g, dep(['orders'], '2026-11-01'), 'X');
    memo.put('other', 'q', memo.generation('q'), dep(['events'], '2026-11-01'), 'Q');
    changes.record({ projectId: 'p', tables: ['events'], since: day('2026-10-15') });
    expect(memo.get('sept')).toBe('S');
    expect(memo.get('oct')).toBeUndefined();
    expect(memo.get('oct-orders')).toBe('X');
    expect(memo.get('other')).toBe('Q');
    // An instant exactly at a period's end leaves it alone; any table, unknown instant, drops all.
    changes.record({ projectId: 'p', tables: ['events'], since: day('2026-10-01') });
    expect(memo.get('sept')).toBe('S');
    changes.record({ projectId: 'p', tables: null, since: Number.NEGATIVE_INFINITY });
    expect(memo.get('sept')).toBeUndefined();
    expect(memo.get('oct-orders')).toBeUndefined();
    expect(memo.stats).toMatchObject({ dropped: 3 });
  });

  it('refuses a value computed while a write committed, and keeps at most maxWeight', () => {
    const changes = new ChangeLog();
    const memo = new Memo<number>(changes, 2);
    const before = memo.generation('p');
    changes.record({ projectId: 'p', tables: ['contacts'], since: day('2026-01-01') });
    memo.put('stale', 'p', before, dep(['events'], '2026-02-01'), 1);
    expect(memo.get('stale')).toBeUndefined();
    const g = memo.generation('p');
    memo.put('a', 'p', g, dep(['events'], '2026-02-01'), 1);
    memo.put('b', 'p', g, dep(['events'], '2026-02-01'), 2);
    expect(memo.get('a')).toBe(1); // a is now the most recently used
    memo.put('c', 'p', g, dep(['events'], '2026-02-01'), 3);
    expect(memo.size).toBe(2);
    // A heavy entry pushes out as many light ones as it needs; one heavier than the bound is not kept.
    memo.put('d', 'p', g, dep(['events'], '2026-02-01'), 4, 2);
    expect([memo.get('a'), memo.get('c'), memo.get('d')]).toEqual([undefined, undefined, 4]);
    memo.put('e', 'p', g, dep(['events'], '2026-02-01'), 5, 3);
    expect(memo.get('e')).toBeUndefined();
    expect(memo.get('d')).toBe(4);
    memo.put('a', 'p', g, dep(['events'], '2026-02-01'), 1);
    memo.put('c', 'p', g, dep(['events'], '2026-02-01'), 3);
    expect(memo.get('b')).toBeUndefined();
    expect(memo.get('a')).toBe(1);
    expect(memo.get('c')).toBe(3);
    const none = new Memo<number>(changes, 0);
    none.put('a', 'p', g, dep(['events'], '2026-02-01'), 1);
    expect(none.size).toBe(0);
  });
});
