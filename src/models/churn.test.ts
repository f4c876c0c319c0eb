import { describe, expect, it } from 'vitest';
import { Random } from '../demo/random.ts';
import { fitLogistic, rocAuc, scoreChurn, stratifiedFolds, trainChurn } from './churn.ts';
import { encode, fitEncoder } from './features.ts';

describe('features', () => {
  it('standardises numbers, one-hot encodes the rest, flags missing numbers', () => {
    const rows = [
      { id: 'a', plan: 'pro', mrr: 10, age: '' },
      { id: 'b', plan: 'free', mrr: 0, age: '30' },
      { id: 'c', plan: 'pro', mrr: 20, age: '40' },
      { id: 'd', plan: 'team', mrr: 30, age: '50' },
    ];
    const enc = fitEncoder(rows, ['id']);
    expect(enc.features).toEqual(['age', 'age=missing', 'mrr', 'plan=pro', 'plan=free', 'plan=team']);
    const m = encode(enc, [{ plan: 'gold', mrr: 15, age: 'x' }]);
    // unknown level: all zeros; unreadable number: the mean (0) and the missing flag
    expect(Array.from(m)).toEqual([0, 1, 0, 0, 0, 0]);
  });
});

describe('ROC AUC and folds', () => {
  it('computes AUC with ties as half', () => {
    expect(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBe(0.75);
    expect(rocAuc([1, 1, 1, 1], [0, 1, 0, 1])).toBe(0.5);
  });

  it('stratifies folds and is reproducible by seed', () => {
    const labels = Array.from({ length: 100 }, (_, i) => (i < 30 ? 1 : 0));
    const folds = stratifiedFolds(labels, 5, 1);
    for (let f = 0; f < 5; f++) {
      const members = labels.filter((_, i) => folds[i] === f);
      expect(members.length).toBe(20);
      expect(members.filter((y) => y === 1).length).toBe(6);
    }
    expect(stratifiedFolds(labels, 5, 1)).toEqual(folds);
    expect(stratifiedFolds(labels, 5, 2)).not.toEqual(folds);
  });
});

describe('logistic regression', () => {
  it('recovers the coefficients of simulated data', () => {
    const rng = new Random(3);
    const n = 20_000;
    const x = new Float64Array(n * 2);
    const y = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      x[2 * i] = rng.normal();
      x[2 * i + 1] = rng.normal();
      const z = -1 + 2 * x[2 * i]! - 0.5 * x[2 * i + 1]!;
      y[i] = rng.next() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    }
    const m = fitLogistic(x, y, 2, 0);
    // within about four standard errors of the truth at this sample size
    expect(Math.abs(m.intercept + 1)).toBeLessThan(0.1);
    expect(Math.abs(m.weights[0]! - 2)).toBeLessThan(0.12);
    expect(Math.abs(m.weights[1]! + 0.5)).toBeLessThan(0.1);
  });

  it('trains, calibrates and explains on attribute rows', () => {
    const rng = new Random(9);
    const rows = Array.from({ length: 2000 }, (_, i) => ({
      id: `c${i}`,
      contract: rng.pick(['monthly', 'yearly']),
      tickets: rng.int(0, 10),
      colour: rng.pick(['red', 'blue']),
    }));
    const y = Uint8Array.from(rows, (r) => {
      const z = -2 + (r.contract === 'monthly' ? 2 : 0) + 0.3 * r.tickets;
      return rng.next() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    });
    const trained = trainChurn(rows, y, { exclude: ['id'], seed: 1 });
    expect(trained.cv.auc).toBeGreaterThan(0.75);
    const [risky, safe] = scoreChurn(trained, [
      { contract: 'monthly', tickets: 10, colour: 'red' },
      { contract: 'yearly', tickets: 0, colour: 'red' },
    ]);
    expect(risky!.probability).toBeGreaterThan(0.8);
    expect(safe!.probability).toBeLessThan(0.2);
    expect(
      risky!.top
        .slice(0, 2)
        .map((t) => t.column)
        .sort(),
    ).toEqual(['contract', 'tickets']);
    expect(risky!.top[0]!.contribution).toBeGreaterThan(0);
  });
});
