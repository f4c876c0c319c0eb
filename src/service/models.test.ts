import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers.ts';
import { PolsoError } from '../errors.ts';
import { fitClvOnOrders, parseClvOptions, readOrdersCsv } from './models.ts';

const dir = tempDir('polso-orders-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function codeOf(promise: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
    return 'none';
  } catch (error) {
    return error instanceof PolsoError ? `${error.code}: ${error.message}` : String(error);
  }
}

describe('orders for the CLV models', () => {
  it('reads an orders CSV: blank amounts are unknown, extra columns are ignored', async () => {
    const file = join(dir, 'ok.csv');
    writeFileSync(
      file,
      'timestamp,customer_id,amount,note\n1997-01-01T10:00:00Z,c1,10.5,x\n1997-01-02,c2,,y\n',
    );
    expect(await readOrdersCsv(file)).toEqual([
      { customerId: 'c1', day: 9862, amount: 10.5 },
      { customerId: 'c2', day: 9863, amount: null },
    ]);
  });

  it('reports a missing column', async () => {
    const file = join(dir, 'columns.csv');
    writeFileSync(file, 'customer,timestamp,amount\nc1,1997-01-01,10\n');
    expect(await codeOf(readOrdersCsv(file))).toMatch(/^MODEL_BAD_INPUT: .*missing column\(s\) customer_id/);
  });

  it('refuses to fit on too few customers', async () => {
    const options = parseClvOptions({ cutoff: '1997-09-30', unit: 'week', horizon: '4' });
    expect(options).toEqual({ cutoffDay: 10134, unit: 'week', horizon: 4, annualDiscountRate: 0.1 });
    const orders = [
      { customerId: 'c1', day: 9862, amount: 10 },
      { customerId: 'c1', day: 9870, amount: 10 },
    ];
    expect(await codeOf(() => fitClvOnOrders(orders, options))).toMatch(/^MODEL_NOT_ENOUGH_DATA/);
  });

  it('names the bad option', async () => {
    const ok = { cutoff: '1997-09-30', unit: 'day', horizon: '30' };
    expect(await codeOf(() => parseClvOptions({ ...ok, horizon: '2.5' }))).toContain('--horizon');
    expect(await codeOf(() => parseClvOptions({ ...ok, cutoff: '30/09/1997' }))).toContain('--cutoff');
    expect(await codeOf(() => parseClvOptions({ ...ok, discountRate: '-1' }))).toContain('--discount-rate');
  });
});
