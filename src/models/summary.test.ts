import { describe, expect, it } from 'vitest';
import { cdnowOrders, cdnowSummary, HAS_DATA } from '../../test/datasets.ts';
import { dayOf, groupRfm, holdoutPurchases, summarize } from './summary.ts';

describe('summarize', () => {
  it('merges same-day purchases, ignores returns and later orders, measures in the unit', () => {
    const day = (iso: string) => dayOf(iso)!;
    const s = summarize(
      [
        { customerId: 'a', day: day('2024-01-01'), amount: 10 },
        { customerId: 'a', day: day('2024-01-08'), amount: 5 },
        { customerId: 'a', day: day('2024-01-08'), amount: 7 },
        { customerId: 'a', day: day('2024-01-15'), amount: -12 },
        { customerId: 'a', day: day('2024-01-22'), amount: null },
        { customerId: 'a', day: day('2024-02-01'), amount: 99 },
        { customerId: 'b', day: day('2024-01-29'), amount: 3 },
      ],
      day('2024-01-29'),
      'week',
    );
    expect(s.ids).toEqual(['a', 'b']);
    expect(Array.from(s.frequency)).toEqual([2, 0]);
    expect(Array.from(s.recency)).toEqual([3, 0]);
    expect(Array.from(s.T)).toEqual([4, 0]);
    // the day of unknown amount is a purchase but not a spend observation
    expect(Array.from(s.monetary)).toEqual([12, 0]);
    expect(Array.from(s.spendDays)).toEqual([1, 0]);
  });

  it('reads dates with or without dashes and rejects impossible ones', () => {
    expect(dayOf('19970101')).toBe(dayOf('1997-01-01T23:59:00+02:00'));
    expect(dayOf('1997-02-30')).toBeNull();
    expect(dayOf('soon')).toBeNull();
  });

  it('groups customers with identical (x, tx, T)', () => {
    const g = groupRfm({
      frequency: Float64Array.of(1, 1, 0),
      recency: Float64Array.of(2, 2, 0),
      T: Float64Array.of(5, 5, 5),
    });
    expect(Array.from(g.count)).toEqual([2, 1]);
    expect(Array.from(g.groupOf)).toEqual([0, 0, 1]);
  });
});

describe.skipIf(!HAS_DATA)('CDNOW (needs ../shared/data)', () => {
  it('reproduces the published calibration summary at two decimals', () => {
    const s = summarize(cdnowOrders(), dayOf('1997-09-30')!, 'week');
    const published = cdnowSummary();
    expect(s.ids.length).toBe(published.length);
    const at = new Map(s.ids.map((id, i) => [id, i]));
    const mismatches = published.filter((p) => {
      const i = at.get(p.id);
      return (
        i === undefined ||
        String(s.frequency[i]) !== p.frequency ||
        s.recency[i]!.toFixed(2) !== Number(p.recency).toFixed(2) ||
        s.T[i]!.toFixed(2) !== Number(p.T).toFixed(2)
      );
    });
    expect(mismatches).toEqual([]);
  });

  it('counts holdout purchase days after the cut-off', () => {
    const orders = cdnowOrders();
    const cutoff = dayOf('1997-09-30')!;
    const s = summarize(orders, cutoff, 'week');
    const holdout = holdoutPurchases(orders, s, cutoff + 273);
    const days = new Set(orders.filter((o) => o.day > cutoff).map((o) => `${o.customerId} ${o.day}`));
    expect(holdout.reduce((a, b) => a + b, 0)).toBe(days.size);
  });
});
