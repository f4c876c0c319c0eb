/**
 * An unmodified `@segment/analytics-node` client pointed at a listening Polso: every call type is
 * stored once, retries and repeated message ids included; well-known events become typed records.
 */
import { Analytics } from '@segment/analytics-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { correctedTimestamp } from '../src/ingest/segment.ts';
import { makeEnv, post, type TestEnv } from './helpers.ts';

let env: TestEnv;
let host: string;
beforeAll(async () => {
  env = await makeEnv();
  await env.app.listen({ port: 0, host: '127.0.0.1' });
  const address = env.app.server.address();
  host = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterAll(async () => env.close());

function client(writeKey: string): Analytics {
  return new Analytics({ writeKey, host, flushAt: 5, maxRetries: 1, httpRequestTimeout: 10_000 });
}

describe('Segment-compatible API', () => {
  it('stores what the real client sends, once each, duplicates included', async () => {
    const analytics = client(env.project.writeKey);
    const errors: unknown[] = [];
    analytics.on('error', (e) => errors.push(e));
    analytics.identify({
      userId: 'u1',
      traits: { name: 'Giulia Rossi', email: 'g@example.it', plan: 'pro', seats: 4 },
    });
    analytics.identify({
      userId: 'u1',
      traits: { name: 'Giulia Rossi', email: 'g@example.it', plan: 'pro', seats: 4 },
    });
    analytics.group({ userId: 'u1', groupId: 'acme' });
    for (let i = 0; i < 3; i++)
      analytics.track({
        userId: 'u1',
        event: 'Report Exported',
        messageId: 'msg-report-1',
        properties: { feature: 'reports', format: 'pdf' },
      });
    analytics.track({
      anonymousId: 'anon-9',
      event: 'Button Clicked',
      messageId: 'msg-anon-1',
      properties: { session_id: 's1' },
    });
    analytics.page({
      userId: 'u1',
      name: 'Prezzi',
      messageId: 'msg-page-1',
      properties: { path: '/prezzi', url: 'https://example.it/prezzi' },
    });
    analytics.screen({ userId: 'u1', name: 'Home', messageId: 'msg-screen-1' });
    analytics.track({
      userId: 'u1',
      event: 'Order Completed',
      messageId: 'msg-order-1',
      properties: {
        order_id: 'ord-42',
        total: 59.9,
        currency: 'EUR',
        products: [{ sku: 'A', price: 59.9, quantity: 1 }],
      },
    });
    analytics.track({
      userId: 'u1',
      event: 'Order Completed',
      messageId: 'msg-order-1-retry',
      properties: { order_id: 'ord-42', total: 59.9 },
    });
    analytics.track({
      userId: 'u1',
      event: 'Subscription Started',
      messageId: 'msg-sub-1',
      properties: { subscription_id: 'sub-1', plan: 'pro', mrr: 49 },
    });
    analytics.track({
      userId: 'u1',
      event: 'Subscription Cancelled',
      messageId: 'msg-sub-2',
      properties: { subscription_id: 'sub-1' },
    });
    analytics.alias({ userId: 'u1', previousId: 'anon-9' });
    await analytics.closeAndFlush({ timeout: 20_000 });
    expect(errors).toEqual([]);

    const p = env.project.projectId;
    const events = await env.store.listRecords(p, 'event');
    expect(events.map((e) => e.id).sort()).toEqual([
      'msg-anon-1',
      'msg-page-1',
      'msg-report-1',
      'msg-screen-1',
    ]);
    expect(events.find((e) => e.id === 'msg-report-1')).toMatchObject({
      name: 'Report Exported',
      feature: 'reports',
      customerId: 'u1',
      properties: { format: 'pdf' },
    });
    expect(events.find((e) => e.id === 'msg-page-1')).toMatchObject({ name: 'Page Viewed', page: '/prezzi' });
    expect(events.find((e) => e.id === 'msg-anon-1')).toMatchObject({
      customerId: 'u1',
      anonymousId: 'anon-9',
      sessionId: 's1',
    });
    const orders = await env.store.listRecords(p, 'order');
    expect(orders).toMatchObject([
      { id: 'ord-42', amount: 59.9, currency: 'EUR', status: 'completed', customerId: 'u1' },
    ]);
    const subs = await env.store.listRecords(p, 'subscription');
    expect(subs).toHaveLength(1);
    expect(subs[0]).toMatchObject({ id: 'sub-1', plan: 'pro', mrr: 49 });
    expect(subs[0]?.endedAt).toBeDefined();
    const customers = await env.store.listRecords(p, 'customer');
    expect(customers).toHaveLength(1);
    expect(customers[0]).toMatchObject({
      id: 'u1',
      name: 'Giulia Rossi',
      plan: 'pro',
      accountId: 'acme',
      traits: { seats: 4 },
    });
  });

  it('answers each endpoint with counts, and rejects what it cannot map', async () => {
    const basic = `Basic ${Buffer.from(`${env.project.writeKey}:`).toString('base64')}`;
    const res = await env.app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: { authorization: basic, 'content-type': 'application/json' },
      payload: {
        batch: [
          {
            type: 'track',
            userId: 'u2',
            event: 'Signed Up',
            messageId: 'b-1',
            timestamp: '2026-03-01T10:00:00Z',
          },
          { type: 'track', userId: 'u2', messageId: 'b-2' },
          { type: 'identify', anonymousId: 'x' },
          { type: 'launch', messageId: 'b-3' },
        ],
      },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      success: true,
      accepted: 1,
      rejected: [
        { index: 1, field: 'event' },
        { index: 2, field: 'userId' },
        { index: 3, code: 'RECORD_UNSUPPORTED_MESSAGE' },
      ],
    });
    const wrong = await env.app.inject({
      method: 'POST',
      url: '/v1/track',
      headers: { authorization: 'Basic bm9wZTo=' },
      payload: {},
    });
    expect(wrong.statusCode).toBe(401);
  });

  it('keeps a public key to product events: commerce events stay events, alias is refused', async () => {
    const r = await post(
      env.app,
      env.project.publicKey,
      {
        userId: 'u3',
        event: 'Order Completed',
        messageId: 'pub-1',
        properties: { order_id: 'fake', total: 1 },
      },
      { url: '/v1/track' },
    );
    expect(r.status).toBe(200);
    expect(await env.store.listRecords(env.project.projectId, 'order', { id: 'fake' })).toHaveLength(0);
    expect(await env.store.listRecords(env.project.projectId, 'event', { id: 'pub-1' })).toHaveLength(1);
    const alias = await post(
      env.app,
      env.project.publicKey,
      { userId: 'u3', previousId: 'z' },
      { url: '/v1/alias' },
    );
    expect(alias.status).toBe(403);
  });

  it('corrects client clock skew with sentAt', () => {
    const received = new Date('2026-03-01T12:00:10Z');
    // The client clock is 1 hour behind: it stamped the event 5 s before sending.
    const ts = correctedTimestamp({ timestamp: '2026-03-01T11:00:00Z' }, '2026-03-01T11:00:05Z', received);
    expect(ts).toBe('2026-03-01T12:00:05.000Z');
    expect(correctedTimestamp({ timestamp: '2026-03-01T11:00:00Z' }, undefined, received)).toBe(
      '2026-03-01T11:00:00.000Z',
    );
  });
});
