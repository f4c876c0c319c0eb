/**
 * Churn risk on the IBM Telco data, imported through Polso's own bulk import as customer records (every
 * column a trait, the label trait `Churn` kept out of the features), then trained by the same code the
 * product runs on a project's customers.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scoreChurn } from '../src/models/churn.ts';
import { fitChurnForProject } from '../src/service/models.ts';
import { importFile } from '../src/service/operations.ts';
import { HAS_DATA, TELCO } from './datasets.ts';
import { makeEnv, type TestEnv } from './helpers.ts';

describe.skipIf(!HAS_DATA)('churn risk on Telco (needs ../shared/data)', () => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await makeEnv();
    // The file has no time column; a customer record needs one, so a snapshot time is added.
    const [header, ...lines] = readFileSync(TELCO, 'utf8').trim().split('\n');
    const file = join(env.dir, 'telco.csv');
    writeFileSync(
      file,
      [`snapshot_at,${header}`, ...lines.map((l) => `2026-01-01T00:00:00Z,${l}`)].join('\n'),
    );
    const imported = await importFile(env.store, {
      projectId: env.project.projectId,
      path: file,
      type: 'customer',
      mapping: { id: 'customerID', timestamp: 'snapshot_at' },
    });
    expect(imported.accepted).toBe(7043);
  });
  afterAll(async () => env.close());

  it('reaches a 5-fold stratified cross-validated ROC AUC of at least 0.84', async () => {
    const fit = await fitChurnForProject(
      env.store,
      { projectId: env.project.projectId, label: 'Churn', seed: 42 },
      new Date('2026-02-01T00:00:00Z'),
    );
    expect(fit.customers).toBe(7043);
    expect(fit.churned).toBe(1869);
    const { cv } = fit.model;
    expect(cv.foldAuc).toHaveLength(5);
    expect(cv.auc).toBeGreaterThanOrEqual(0.84);
    expect(cv.foldAuc.reduce((a, b) => a + b, 0) / 5).toBeGreaterThanOrEqual(0.84);
    // nothing derived from the label is a feature
    expect(fit.model.encoder.sourceOf).not.toContain('Churn');
    expect(fit.model.encoder.sourceOf).toContain('Contract');

    // Calibrated: mean predicted probability ≈ churn rate; the Brier score beats always saying the rate.
    const scores = scoreChurn(fit.model, fit.rows);
    const mean = scores.reduce((s, x) => s + x.probability, 0) / scores.length;
    expect(Math.abs(mean - 1869 / 7043)).toBeLessThan(0.01);
    const rate = 1869 / 7043;
    expect(cv.brier).toBeLessThan(rate * (1 - rate));

    // Explanations: month-to-month contracts push risk up for those customers.
    const i = fit.rows.findIndex((r) => r.Contract === 'Month-to-month' && r.tenure === '1');
    expect(scores[i]!.top).toHaveLength(3);
    const contract = scores[i]!.top.find((t) => t.column === 'Contract' || t.column === 'tenure');
    expect(contract?.contribution).toBeGreaterThan(0);

    // Stored per customer with its explanation, and answered as a routing priority.
    const id = fit.ids[i]!;
    const [stored] = await env.store.customerScores(env.project.projectId, id);
    expect(stored).toMatchObject({ model: 'churn_risk', fittedAt: '2026-02-01T00:00:00Z' });
    expect(stored!.value).toBeCloseTo(scores[i]!.probability, 12);
    expect(stored!.details).toEqual(scores[i]!.top);
    const res = await env.app.inject({
      url: `/api/v1/customers/${id}/priority`,
      headers: { authorization: `Bearer ${env.project.secretKey}` },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.scores.churn_risk).toBeCloseTo(scores[i]!.probability, 12);
    expect(body.reasons.join(' ')).toContain('churn risk');
  });

  it('needs both outcomes to train', async () => {
    await expect(
      fitChurnForProject(env.store, { projectId: env.project.projectId, label: 'gender' }, new Date()),
    ).rejects.toThrow(/churned and/);
  });
});
