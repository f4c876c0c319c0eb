/**
 * The record model's derived artefacts stay in step with it: the committed docs, the pinned DDL of
 * migration 1, and the deterministic demo data.
 */
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateDemo } from '../src/demo/generate.ts';
import { renderMetricsDoc } from '../src/docs/metrics-doc.ts';
import { renderRecordsDoc } from '../src/docs/records-doc.ts';
import { METRICS } from '../src/metrics/catalogue.ts';
import { fieldsOf, KINDS } from '../src/model/kinds.ts';
import { MIGRATIONS } from '../src/store/duckdb/schema.ts';
import { tempDir } from './helpers.ts';

describe('record model', () => {
  it('docs/records.md is generated from the model (run `npm run docs` after changing it)', () => {
    const committed = readFileSync(join(import.meta.dirname, '..', 'docs', 'records.md'), 'utf8');
    expect(committed).toBe(renderRecordsDoc());
  });

  it('docs/metrics.md is generated from the catalogue (run `npm run docs` after changing it)', () => {
    const committed = readFileSync(join(import.meta.dirname, '..', 'docs', 'metrics.md'), 'utf8');
    expect(committed).toBe(renderMetricsDoc());
  });

  it('every metric names only fields of its source records', () => {
    for (const m of METRICS.values()) {
      const known = new Set(fieldsOf(KINDS[m.source]).map((f) => f.name));
      for (const field of m.fields) expect(known.has(field), `${m.id}: ${m.source}.${field}`).toBe(true);
    }
  });

  it('migration 1 is frozen: a model change needs a new migration', () => {
    const ddl = MIGRATIONS.find((m) => m.version === 1)!
      .statements()
      .join(';\n');
    const digest = createHash('sha256').update(ddl).digest('hex').slice(0, 16);
    expect(digest).toBe(MIGRATION_1_DIGEST);
  });
});

describe('demo data', () => {
  it('is deterministic for a seed, exact in size, and different for another seed', async () => {
    const digest = async (seed: number) => {
      const dir = tempDir('polso-demo-test-');
      try {
        const out = await generateDemo({ size: 20_000, seed, outDir: dir });
        expect(out.total).toBe(20_000);
        expect(out.files.reduce((s, f) => s + f.rows, 0)).toBe(20_000);
        const h = createHash('sha256');
        for (const f of out.files) h.update(readFileSync(f.path));
        return { hash: h.digest('hex'), rows: Object.fromEntries(out.files.map((f) => [f.kind, f.rows])) };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };
    const a = await digest(7);
    const b = await digest(7);
    const c = await digest(8);
    expect(a.hash).toBe(b.hash);
    expect(c.hash).not.toBe(a.hash);
    for (const kind of [
      'customer',
      'contact',
      'survey_response',
      'survey_invitation',
      'order',
      'subscription',
      'event',
      'social',
      'cost',
    ])
      expect(a.rows[kind], kind).toBeGreaterThan(0);
  });
});

const MIGRATION_1_DIGEST = 'bffc35fb7f235493';
