/**
 * `polso fit clv` end to end: the real command on an orders file built from the raw CDNOW transactions,
 * and on the same orders imported into a project's DuckDB store.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';
import { PREDICTION_COLUMNS } from '../src/service/models.ts';
import { polso } from './cli.ts';
import { cdnowOrders, HAS_DATA } from './datasets.ts';
import { tempDir } from './helpers.ts';

const dir = tempDir('polso-fit-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const iso = (yyyymmdd: string) => `${yyyymmdd.slice(0, 4)}-${yyyymmdd.slice(4, 6)}-${yyyymmdd.slice(6, 8)}`;
const args = ['--cutoff', '1997-09-30', '--unit', 'week', '--horizon', '39'];

describe.skipIf(!HAS_DATA)('polso fit clv (needs ../shared/data)', () => {
  // A skipped suite's body still runs to collect its tests: read the data only when it is there.
  const orders = HAS_DATA ? cdnowOrders() : [];

  it('fits the published CDNOW estimates from an orders file and writes one row per customer', async () => {
    const file = join(dir, 'orders.csv');
    writeFileSync(
      file,
      [
        'customer_id,timestamp,amount',
        ...orders.map((o) => `${o.customerId},${iso(o.date)},${o.amount}`),
      ].join('\n'),
    );
    const out = join(dir, 'pred.csv');
    const r = await polso([
      'fit',
      'clv',
      '--orders',
      file,
      ...args,
      '--discount-rate',
      '0.1',
      '--json',
      '--out',
      out,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(Object.keys(json)).toEqual(['bgnbd', 'paretoNbd', 'gammaGamma']);
    expect(Object.keys(json.bgnbd)).toEqual(['r', 'alpha', 'a', 'b', 'll']);
    expect(Object.keys(json.paretoNbd)).toEqual(['r', 'alpha', 's', 'beta', 'll']);
    expect(Object.keys(json.gammaGamma)).toEqual(['p', 'q', 'gamma', 'll']);
    const round = (v: number, d: number) => v.toFixed(d);
    expect([json.bgnbd.r, json.bgnbd.alpha, json.bgnbd.a, json.bgnbd.b].map((v) => round(v, 3))).toEqual([
      '0.243',
      '4.414',
      '0.793',
      '2.426',
    ]);
    expect(round(json.bgnbd.ll, 1)).toBe('-9582.4');
    expect(
      [json.paretoNbd.r, json.paretoNbd.alpha, json.paretoNbd.s, json.paretoNbd.beta].map((v) => round(v, 3)),
    ).toEqual(['0.553', '10.578', '0.606', '11.669']);
    expect([json.gammaGamma.p, json.gammaGamma.q, json.gammaGamma.gamma].map((v) => round(v, 2))).toEqual([
      '6.25',
      '3.74',
      '15.44',
    ]);

    const rows = parse(readFileSync(out), { columns: true }) as Record<string, string>[];
    expect(rows.length).toBe(2357);
    expect(Object.keys(rows[0]!)).toEqual([...PREDICTION_COLUMNS]);
    const first = rows.find((row) => row.customer_id === '1')!;
    expect(Number(first.expected_purchases).toFixed(3)).toBe('1.226');
    // CLV is the discounted value of purchases × spend: below the undiscounted product, above zero.
    for (const row of rows) {
      const undiscounted = Number(row.expected_purchases) * Number(row.expected_spend);
      expect(Number(row.clv)).toBeGreaterThan(0);
      expect(Number(row.clv)).toBeLessThan(undiscounted);
    }
  });

  it('fits the same models on a project’s stored orders', async () => {
    const data = join(dir, 'data');
    const created = await polso([
      'project',
      'create',
      'CDNOW',
      '--data',
      data,
      '--currency',
      'USD',
      '--timezone',
      'UTC',
      '--json',
    ]);
    const projectId = JSON.parse(created.stdout).projectId as string;
    const file = join(dir, 'orders-records.csv');
    writeFileSync(
      file,
      [
        'id,timestamp,customerId,amount,currency',
        ...orders.map((o, i) => `o${i},${iso(o.date)}T12:00:00Z,${o.customerId},${o.amount},USD`),
      ].join('\n'),
    );
    const imported = await polso(['import', file, '--type', 'order', '--project', projectId, '--data', data]);
    expect(imported.code, imported.stderr).toBe(0);
    const r = await polso(['fit', 'clv', '--project', projectId, '--data', data, ...args, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.bgnbd.r.toFixed(3)).toBe('0.243');
    expect(json.gammaGamma.p.toFixed(2)).toBe('6.25');
  });

  it('names the bad option, column or row', async () => {
    const file = join(dir, 'bad.csv');
    writeFileSync(file, 'customer_id,timestamp,amount\nc1,1997-01-01,10\nc1,yesterday,5\n,1997-01-02,x\n');
    const bad = await polso(['fit', 'clv', '--orders', file, ...args]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('MODEL_BAD_INPUT');
    expect(bad.stderr).toContain('line 3 timestamp');
    expect(bad.stderr).toContain('line 4 customer_id');

    const unit = await polso([
      'fit',
      'clv',
      '--orders',
      file,
      '--cutoff',
      '1997-09-30',
      '--unit',
      'month',
      '--horizon',
      '3',
    ]);
    expect(unit.stderr).toContain('--unit: day or week');
  });
});
