/**
 * The native batch API against a real DuckDB file: idempotency rules, every kind of bad input with
 * its status and error code, scopes and project isolation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KINDS, RECORD_KINDS } from '../src/model/kinds.ts';
import { makeEnv, post, type TestEnv } from './helpers.ts';

let env: TestEnv;
beforeAll(async () => {
  env = await makeEnv();
});
afterAll(async () => env.close());

const examples = () => RECORD_KINDS.map((k) => KINDS[k].example);
const contact = (over: Record<string, unknown> = {}) => ({ ...KINDS.contact.example, ...over });
const order = (over: Record<string, unknown> = {}) => ({ ...KINDS.order.example, ...over });
const response = (over: Record<string, unknown> = {}) => ({ ...KINDS.survey_response.example, ...over });

async function stored(kind: Parameters<TestEnv['store']['listRecords']>[1], id: string) {
  const [rec] = await env.store.listRecords(env.project.projectId, kind, { id });
  return rec;
}

describe('POST /api/v1/records', () => {
  it('stores one example of every kind, and the same batch again only as duplicates', async () => {
    const first = await post(env.app, env.project.writeKey, examples());
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ accepted: 10, duplicates: 0, rejected: [] });
    const again = await post(env.app, env.project.writeKey, examples());
    expect(again.body).toMatchObject({ accepted: 0, duplicates: 10, rejected: [] });
    for (const kind of RECORD_KINDS) expect(await env.store.count(env.project.projectId, kind)).toBe(1);
    const rec = await stored('survey_response', 'rsp_5501:q1');
    expect(rec).toMatchObject({ metric: 'csat', score: 4, scaleMin: 1, scaleMax: 5, subjectId: 'tkt_88123' });
  });

  it('replaces a changed state (last write wins) and keeps the first write of a fact', async () => {
    const a = await post(env.app, env.project.writeKey, [
      contact({ id: 'c-state', resolvedAt: undefined, firstResolvedAt: undefined }),
    ]);
    expect(a.body.accepted).toBe(1);
    const b = await post(env.app, env.project.writeKey, [contact({ id: 'c-state', reopenCount: 1 })]);
    expect(b.body).toMatchObject({ accepted: 1, updated: 1, duplicates: 0 });
    expect(await stored('contact', 'c-state')).toMatchObject({
      reopenCount: 1,
      resolvedAt: '2026-03-02T09:34:00.000Z',
    });

    await post(env.app, env.project.writeKey, [order({ id: 'o-fact', amount: 10 })]);
    const dup = await post(env.app, env.project.writeKey, [order({ id: 'o-fact', amount: 99 })]);
    expect(dup.body).toMatchObject({ accepted: 0, duplicates: 1 });
    expect((await stored('order', 'o-fact'))?.amount).toBe(10);
  });

  it('ignores a state update older than the stored one (updatedAt)', async () => {
    await post(env.app, env.project.writeKey, [
      contact({ id: 'c-upd', reason: 'new', updatedAt: '2026-03-05T10:00:00Z' }),
    ]);
    const old = await post(env.app, env.project.writeKey, [
      contact({ id: 'c-upd', reason: 'old', updatedAt: '2026-03-04T10:00:00Z' }),
    ]);
    expect(old.body).toMatchObject({ accepted: 0, outdated: 1 });
    expect((await stored('contact', 'c-upd'))?.reason).toBe('new');
  });

  it('counts duplicates inside one batch', async () => {
    const r = await post(env.app, env.project.writeKey, [
      order({ id: 'o-twice' }),
      order({ id: 'o-twice' }),
      contact({ id: 'c-twice' }),
      contact({ id: 'c-twice' }),
    ]);
    expect(r.body).toMatchObject({ accepted: 2, duplicates: 2 });
    expect(await env.store.listRecords(env.project.projectId, 'order', { id: 'o-twice' })).toHaveLength(1);
  });

  it('gives each of many concurrent requests its own outcome (group commit)', async () => {
    const requests = Array.from({ length: 8 }, (_, r) => [
      order({ id: 'shared-order' }),
      order({ id: `own-${r}` }),
      contact({ id: `bad-${r}`, channel: 'fax' }),
    ]);
    const results = await Promise.all(requests.map((b) => post(env.app, env.project.writeKey, b)));
    for (const r of results) {
      expect(r.status).toBe(200);
      expect(r.body.rejected).toMatchObject([{ index: 2, field: 'channel' }]);
    }
    expect(results.reduce((n, r) => n + r.body.accepted, 0)).toBe(9);
    expect(results.reduce((n, r) => n + r.body.duplicates, 0)).toBe(7);
    expect(results.every((r) => r.body.accepted + r.body.duplicates === 2)).toBe(true);
    expect(await env.store.listRecords(env.project.projectId, 'order', { id: 'shared-order' })).toHaveLength(
      1,
    );
  });

  it('stores the valid records of a mixed batch and reports each invalid one with index, field and code', async () => {
    const batch = [
      response({ id: 'ok-1' }),
      response({ id: 'bad-nps', metric: 'nps', score: 11, scaleMin: undefined, scaleMax: undefined }),
      response({ id: 'bad-csat', score: 6 }),
      response({ id: 'bad-type', score: 'four' }),
      contact({ id: 'bad-channel', channel: 'fax' }),
      contact({ id: 'bad-ts', timestamp: '02/03/2026 10:20' }),
      contact({ id: 'no-offset', timestamp: '2026-03-02T10:20:00' }),
      contact({ id: 'bad-order', resolvedAt: '2026-03-01T00:00:00Z' }),
      { ...contact({ id: 'unknown-field' }), colour: 'blue' },
      { type: 'complaint', id: 'x', timestamp: '2026-03-02T10:20:00Z' },
      { id: 'no-type' },
      42,
      order({ id: 'usd', currency: 'USD' }),
      contact({ id: 'no-person', customerId: undefined }),
      contact({ id: undefined }),
      response({ id: 'nps-scale', metric: 'nps', score: 5, scaleMin: 1, scaleMax: 10 }),
      contact({ id: 'neg', talkSeconds: -5 }),
      contact({ id: 'long', reason: 'x'.repeat(300) }),
      order({ id: 'ok-2' }),
    ];
    const r = await post(env.app, env.project.writeKey, batch);
    expect(r.status).toBe(200);
    expect(r.body.accepted).toBe(2);
    const problems = r.body.rejected.map((e: { index: number; field: string; code: string }) => [
      e.index,
      e.field,
      e.code,
    ]);
    expect(problems).toEqual([
      [1, 'score', 'RECORD_OUT_OF_RANGE'],
      [2, 'score', 'RECORD_OUT_OF_RANGE'],
      [3, 'score', 'RECORD_WRONG_TYPE'],
      [4, 'channel', 'RECORD_INVALID_VALUE'],
      [5, 'timestamp', 'RECORD_BAD_TIMESTAMP'],
      [6, 'timestamp', 'RECORD_BAD_TIMESTAMP'],
      [7, 'resolvedAt', 'RECORD_INCONSISTENT'],
      [7, 'resolvedAt', 'RECORD_INCONSISTENT'],
      [8, 'colour', 'RECORD_UNKNOWN_FIELD'],
      [9, 'type', 'RECORD_UNKNOWN_TYPE'],
      [10, 'type', 'RECORD_MISSING_FIELD'],
      [11, null, 'RECORD_NOT_OBJECT'],
      [12, 'currency', 'RECORD_UNKNOWN_CURRENCY'],
      [13, 'customerId', 'RECORD_NO_PERSON'],
      [14, 'id', 'RECORD_MISSING_FIELD'],
      [15, 'scaleMax', 'RECORD_INCONSISTENT'],
      [16, 'talkSeconds', 'RECORD_OUT_OF_RANGE'],
      [17, 'reason', 'RECORD_TOO_LONG'],
    ]);
    for (const e of r.body.rejected) expect(e.message).toMatch(/\w/);
    expect(await stored('survey_response', 'ok-1')).toBeDefined();
    expect(await stored('order', 'ok-2')).toBeDefined();
    expect(await stored('survey_response', 'bad-nps')).toBeUndefined();
    expect(await stored('contact', 'bad-channel')).toBeUndefined();
  });

  it('answers 422 when every record is rejected, and stores nothing', async () => {
    const before = await env.store.count(env.project.projectId, 'contact');
    const r = await post(env.app, env.project.writeKey, [
      contact({ id: 'r1', channel: 'pigeon' }),
      contact({ id: 'r2', abandoned: 'yes' }),
    ]);
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe('POLSO_ALL_REJECTED');
    expect(r.body.rejected.map((e: { field: string }) => e.field)).toEqual(['channel', 'abandoned']);
    expect(await env.store.count(env.project.projectId, 'contact')).toBe(before);
  });

  it('rejects malformed JSON with 400 and an empty body too', async () => {
    const r = await post(env.app, env.project.writeKey, '[{"type": "order",');
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('POLSO_MALFORMED_JSON');
    expect((await post(env.app, env.project.writeKey, '')).body.error.code).toBe('POLSO_MALFORMED_JSON');
  });

  it('rejects only the malformed line of an NDJSON body', async () => {
    const body = [
      JSON.stringify(order({ id: 'nd-1' })),
      '{"type": "order", oops',
      '',
      JSON.stringify(order({ id: 'nd-2' })),
    ].join('\n');
    const r = await post(env.app, env.project.writeKey, body, { contentType: 'application/x-ndjson' });
    expect(r.status).toBe(200);
    expect(r.body.accepted).toBe(2);
    expect(r.body.rejected).toMatchObject([{ index: 1, code: 'RECORD_MALFORMED_LINE' }]);
    expect(r.body.rejected[0].message).toContain('line 2');
  });

  it('answers 413 for a body over the limit and rejects a single oversized record', async () => {
    const big = `[${JSON.stringify(order({ id: 'big', items: ['x'.repeat(6 * 1024 * 1024)] }))}]`;
    const r = await post(env.app, env.project.writeKey, big);
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe('POLSO_PAYLOAD_TOO_LARGE');
    const one = await post(env.app, env.project.writeKey, [
      order({ id: 'fat', items: ['y'.repeat(70_000)] }),
      order({ id: 'slim' }),
    ]);
    expect(one.status).toBe(200);
    expect(one.body.rejected).toMatchObject([{ index: 0, code: 'RECORD_TOO_LARGE' }]);
    expect(await stored('order', 'fat')).toBeUndefined();
  });

  it('answers 415 for an unsupported content type', async () => {
    const r = await post(env.app, env.project.writeKey, 'a=b', {
      contentType: 'application/x-www-form-urlencoded',
    });
    expect(r.status).toBe(415);
    expect(r.body.error.code).toBe('POLSO_UNSUPPORTED_MEDIA_TYPE');
  });

  it('stores hostile text verbatim as data', async () => {
    const xss = '<img src=x onerror=alert(1)><script>alert("x")</script>';
    const formula = '=HYPERLINK("http://evil.example","click")';
    const sql = "'); DROP TABLE contacts; --";
    const r = await post(env.app, env.project.writeKey, [
      response({ id: sql, comment: xss, value: formula }),
      contact({ id: 'hostile', reason: sql, tags: [xss, formula] }),
    ]);
    expect(r.body.accepted).toBe(2);
    expect(await stored('survey_response', sql)).toMatchObject({ comment: xss, value: formula });
    expect(await stored('contact', 'hostile')).toMatchObject({ reason: sql, tags: [xss, formula] });
    expect(await env.store.count(env.project.projectId, 'contact')).toBeGreaterThan(0);
  });
});

describe('keys, scopes and projects', () => {
  it('answers 401 without a key or with a wrong one', async () => {
    expect((await post(env.app, null, [order()])).status).toBe(401);
    const bad = await post(env.app, 'polso_wk_not-a-real-key-at-all-123456', [order()]);
    expect(bad.status).toBe(401);
    expect(bad.body.error.code).toBe('POLSO_UNAUTHORIZED');
  });

  it('answers 403 when a public key sends an order or a write key reads', async () => {
    const r = await post(env.app, env.project.publicKey, [order({ id: 'from-browser' })]);
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('POLSO_FORBIDDEN');
    expect(await stored('order', 'from-browser')).toBeUndefined();
    const ev = await post(env.app, env.project.publicKey, [{ ...KINDS.event.example, id: 'browser-ev' }]);
    expect(ev.body.accepted).toBe(1);
    const read = await env.app.inject({
      url: '/api/v1/records/order',
      headers: { authorization: `Bearer ${env.project.writeKey}` },
    });
    expect(read.statusCode).toBe(403);
  });

  it('keeps projects apart: the same id in two projects, and no reads across them', async () => {
    const { createProjectWithKeys } = await import('../src/service/operations.ts');
    const other = await createProjectWithKeys(env.store, { name: 'Other' });
    const r = await post(env.app, other.writeKey, [order({ id: 'o-fact', amount: 5 })]);
    expect(r.body.accepted).toBe(1);
    const read = await env.app.inject({
      url: '/api/v1/records/order?id=o-fact',
      headers: { authorization: `Bearer ${other.secretKey}` },
    });
    expect(read.json().records).toMatchObject([{ amount: 5 }]);
    const mine = await env.app.inject({
      url: '/api/v1/records/order?id=o-fact',
      headers: { authorization: `Bearer ${env.project.secretKey}` },
    });
    expect(mine.json().records).toMatchObject([{ amount: 10 }]);
  });

  it('rotates keys: a revoked key stops working at once', async () => {
    const auth = { authorization: `Bearer ${env.project.secretKey}`, 'content-type': 'application/json' };
    const created = await env.app.inject({
      method: 'POST',
      url: '/api/v1/keys',
      headers: auth,
      payload: { scope: 'write', name: 'ci' },
    });
    expect(created.statusCode).toBe(201);
    const { id, token } = created.json();
    expect((await post(env.app, token, [order({ id: 'rot-1' })])).status).toBe(200);
    const del = await env.app.inject({ method: 'DELETE', url: `/api/v1/keys/${id}`, headers: auth });
    expect(del.statusCode).toBe(200);
    expect((await post(env.app, token, [order({ id: 'rot-2' })])).status).toBe(401);
    const keys = await env.store.sql('SELECT token_hash FROM api_keys');
    for (const k of keys) expect(String(k.token_hash)).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(keys)).not.toContain(token);
  });

  it('converts other currencies with the project rate once configured', async () => {
    const auth = { authorization: `Bearer ${env.project.secretKey}`, 'content-type': 'application/json' };
    const bad = await env.app.inject({
      method: 'PATCH',
      url: '/api/v1/project',
      headers: auth,
      payload: { fxRates: { usd: -1 }, timezone: 'Mars/Base' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details.problems).toHaveLength(2);
    const ok = await env.app.inject({
      method: 'PATCH',
      url: '/api/v1/project',
      headers: auth,
      payload: { fxRates: { USD: 0.9 } },
    });
    expect(ok.statusCode).toBe(200);
    const r = await post(env.app, env.project.writeKey, [
      order({ id: 'usd-ok', currency: 'usd', amount: 100 }),
    ]);
    expect(r.body.accepted).toBe(1);
    const [row] = await env.store.sql(
      `SELECT amount_reporting::DOUBLE AS v, currency FROM orders WHERE id = 'usd-ok'`,
    );
    expect(row).toEqual({ v: 90, currency: 'USD' });
  });
});

describe('identity and erasure', () => {
  it('links anonymous records to a customer on alias and erases them all on request', async () => {
    const anon = { ...KINDS.event.example, customerId: undefined, anonymousId: 'anon-77' };
    await post(env.app, env.project.writeKey, [
      { ...anon, id: 'a-ev-1' },
      { ...anon, id: 'a-ev-2' },
      { ...KINDS.customer.example, id: 'cus-gdpr' },
      { ...KINDS.order.example, id: 'gdpr-o', customerId: 'cus-gdpr' },
    ]);
    const linked = await env.store.alias(env.project.projectId, 'anon-77', 'cus-gdpr');
    expect(linked).toBe(2);
    await post(env.app, env.project.writeKey, [{ ...anon, id: 'a-ev-3' }]);
    const rows = await env.store.sql(`SELECT count(*)::INT AS n FROM events WHERE customer_id = 'cus-gdpr'`);
    expect(rows[0]?.n).toBe(3);
    const del = await env.app.inject({
      method: 'DELETE',
      url: '/api/v1/customers/cus-gdpr',
      headers: { authorization: `Bearer ${env.project.secretKey}` },
    });
    expect(del.statusCode).toBe(200);
    expect(del.json()).toMatchObject({ deleted: 5, byType: { customer: 1, event: 3, order: 1 } });
    const left = await env.store.sql(
      `SELECT count(*)::INT AS n FROM events WHERE anonymous_id = 'anon-77' OR customer_id = 'cus-gdpr'`,
    );
    expect(left[0]?.n).toBe(0);
  });
});
