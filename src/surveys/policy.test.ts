import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, quietUntil, sampled, throttled } from './policy.ts';

describe('contact policy', () => {
  it('samples the same customers every time, close to the rate', () => {
    const ids = Array.from({ length: 4000 }, (_, i) => `cus_${i}`);
    const first = ids.filter((c) => sampled('nps', c, 0.25));
    const again = ids.filter((c) => sampled('nps', c, 0.25));
    expect(again).toEqual(first);
    expect(first.length / ids.length).toBeGreaterThan(0.22);
    expect(first.length / ids.length).toBeLessThan(0.28);
    // Another survey draws another sample.
    expect(ids.filter((c) => sampled('csat', c, 0.25))).not.toEqual(first);
  });

  it('throttles within the window only', () => {
    const now = new Date('2026-03-31T10:00:00Z');
    expect(throttled(null, now, DEFAULT_POLICY)).toBe(false);
    expect(throttled('2026-03-02T10:00:01Z', now, DEFAULT_POLICY)).toBe(true);
    expect(throttled('2026-03-01T10:00:00Z', now, DEFAULT_POLICY)).toBe(false);
  });

  it('finds quiet hours in the customer time zone', () => {
    // 22:30 in Rome (UTC+1 in March) → quiet until 09:00 local = 08:00 UTC.
    expect(quietUntil(new Date('2026-03-02T21:30:00Z'), 'Europe/Rome', DEFAULT_POLICY)?.toISOString()).toBe(
      '2026-03-03T08:00:00.000Z',
    );
    // The same instant is 16:30 in New York: not quiet.
    expect(quietUntil(new Date('2026-03-02T21:30:00Z'), 'America/New_York', DEFAULT_POLICY)).toBeNull();
    // 07:15 in Rome: quiet until 09:00 the same day.
    expect(quietUntil(new Date('2026-03-03T06:15:00Z'), 'Europe/Rome', DEFAULT_POLICY)?.toISOString()).toBe(
      '2026-03-03T08:00:00.000Z',
    );
    expect(quietUntil(new Date('2026-03-03T08:00:00Z'), 'Europe/Rome', DEFAULT_POLICY)).toBeNull();
  });
});
