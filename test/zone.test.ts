/**
 * Local time by offset arithmetic equals the engine's own time-zone lookup: for zones with and
 * without daylight saving, half-hour and 45-minute offsets, a second either side of every change,
 * and instants outside the window of known offsets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Binder } from '../src/engine/compile.ts';
import { GRAINS } from '../src/engine/dialect.ts';
import { offsetAt, zoneOffsets } from '../src/engine/zone.ts';
import { ENGINES } from './engines.ts';
import type { TestEnv } from './helpers.ts';

const ZONES = [
  'Europe/Rome',
  'America/New_York',
  'Asia/Kolkata',
  'Australia/Lord_Howe',
  'Pacific/Chatham',
  'America/Sao_Paulo',
  'UTC',
];

describe('zone offsets', () => {
  it('finds the two changes of a year in Rome, to the second', () => {
    const o = zoneOffsets('Europe/Rome', Date.UTC(2026, 5, 1), Date.UTC(2026, 6, 1));
    expect(o.start).toBe(Date.UTC(2026, 0, 1));
    expect(o.end).toBe(Date.UTC(2027, 0, 1));
    expect(o.spans).toEqual([
      { until: Date.parse('2026-03-29T01:00:00Z'), offset: 3_600_000 },
      { until: Date.parse('2026-10-25T01:00:00Z'), offset: 7_200_000 },
      { until: Date.UTC(2027, 0, 1), offset: 3_600_000 },
    ]);
    expect(offsetAt('Asia/Kolkata', Date.UTC(2026, 0, 1))).toBe(19_800_000);
  });
});

for (const engine of ENGINES)
  describe(`local time through the dialect (${engine.name})`, () => {
    let env: TestEnv;
    beforeAll(async () => {
      env = await engine.make();
    });
    afterAll(() => env.close());

    it.each(ZONES)('%s: buckets, dates and hours equal the zone lookup', async (tz) => {
      const range = { from: '2025-03-01', to: '2026-12-01' };
      const o = zoneOffsets(tz, Date.parse('2024-01-01'), Date.parse('2027-01-01'));
      const instants = [
        ...o.spans.flatMap((s) => [s.until - 1000, s.until, s.until + 1000]),
        ...Array.from({ length: 400 }, (_, i) => Date.UTC(2018, 0, 1) + i * 900_013_977),
      ].map((t) => new Date(t).toISOString());
      const d = env.store.dialect;
      const b = new Binder(d);
      const zone = b.zone(tz, range);
      const ts = 'CAST(x.t AS TIMESTAMPTZ)';
      const icu = `timezone(${zone.name}, ${ts})`;
      const checks = [
        ...GRAINS.map((g) => [
          d.bucket(ts, g, zone),
          `strftime(date_trunc('${g}', ${icu}), '%Y-%m-%d %H:%M:%S')`,
        ]),
        [d.localDate(ts, zone), `CAST(${icu} AS DATE)`],
        [d.localPart(ts, 'hour', zone), `CAST(date_part('hour', ${icu}) AS INTEGER)`],
        [d.localPart(ts, 'isodow', zone), `CAST(date_part('isodow', ${icu}) AS INTEGER)`],
      ];
      const rows = await env.store.sql(
        `SELECT count(*) AS n, ${checks.map(([fast, slow], i) => `count(*) FILTER (WHERE ${fast} IS DISTINCT FROM ${slow}) AS bad${i}`).join(', ')}
         FROM (SELECT unnest(from_json(${b.bind(JSON.stringify(instants), 'list')}, '["VARCHAR"]')) AS t) x`,
        b.values,
      );
      expect(Number(rows[0]!.n)).toBe(instants.length);
      for (let i = 0; i < checks.length; i++) expect(Number(rows[0]![`bad${i}`]), checks[i]![0]).toBe(0);
    });
  });
