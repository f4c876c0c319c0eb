/**
 * Stored CLV scores on a project's own orders: `fitClvForProject` on CDNOW orders imported through the
 * bulk importer, the routing priority endpoint reading them, and erasure removing them.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fitClvForProject } from '../src/service/models.ts';
import { importFile } from '../src/service/operations.ts';
import { cdnowOrders, HAS_DATA } from './datasets.ts';
import { makeEnv, type TestEnv } from './helpers.ts';

describe.skipIf(!HAS_DATA)('stored CLV scores and routing priority (needs ../shared/data)', () => {
  let env: TestEnv;
  const auth = () => ({ authorization: `Bearer ${env.project.secretKey}` });
  beforeAll(async () => {
    env = await makeEnv();
    await env.store.updateProjectConfig(env.project.projectId, { currency: 'USD', timezone: 'UTC' });
    const file = join(env.dir, 'orders.csv');
    const iso = (d: string) => `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}T12:00:00Z`;
    writeFileSync(
      file,
      [
        'id,timestamp,customerId,amount,currency',
        ...cdnowOrders().map((o, i) => `o${i},${iso(o.date)},${o.customerId},${o.amount},USD`),
      ].join('\n'),
    );
    await importFile(env.store, { projectId: env.project.projectId, path: file, type: 'order' });
  });
  afterAll(async () => env.close());

  it('stores every customer’s CLV scores with the fit, and answers the priority from them', async () => {
    const result = await fitClvForProject(
      env.store,
      { projectId: env.project.projectId, cutoff: '1997-09-30', unit: 'week', horizon: 39 },
      new Date('2026-03-01T08:00:00Z'),
    );
    expect(result.bgnbd.params.r.toFixed(3)).toBe('0.243');
    const [fit] = await env.store.sql(
      `SELECT model, version, customers, params->>'unit' AS unit FROM model_fits`,
    );
    expect(fit).toMatchObject({
      model: 'clv',
      version: 'bgnbd-gamma-gamma/1',
      customers: 2357n,
      unit: 'week',
    });

    const scores = await env.store.customerScores(env.project.projectId, '1');
    expect(scores.map((s) => s.model)).toEqual([
      'clv',
      'clv_percentile',
      'expected_purchases',
      'expected_spend',
      'p_alive',
    ]);
    const one = result.predictions.find((p) => p.customerId === '1')!;
    expect(scores.find((s) => s.model === 'clv')!.value).toBeCloseTo(one.clv, 10);

    // The best customer by CLV is platinum, priority 1.
    const best = result.predictions.reduce((a, b) => (b.clv > a.clv ? b : a));
    const res = await env.app.inject({
      url: `/api/v1/customers/${best.customerId}/priority`,
      headers: auth(),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ customerId: best.customerId, priority: 1, tier: 'platinum' });
  });

  it('answers 404 for a customer without scores and 401 without a key', async () => {
    const missing = await env.app.inject({ url: '/api/v1/customers/nobody/priority', headers: auth() });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('POLSO_NOT_FOUND');
    expect((await env.app.inject({ url: '/api/v1/customers/1/priority' })).statusCode).toBe(401);
  });

  it('erases a customer’s scores with the customer', async () => {
    const erased = await env.app.inject({ method: 'DELETE', url: '/api/v1/customers/1', headers: auth() });
    expect(erased.statusCode).toBe(200);
    expect(await env.store.customerScores(env.project.projectId, '1')).toEqual([]);
  });
});
