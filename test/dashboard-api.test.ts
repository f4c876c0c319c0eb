/**
 * The dashboard's API: sign-in (users and the secret key), session cookies, CSRF, roles, project
 * scoping, customer search and 360, and the records behind a data point.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser } from '../src/auth/users.ts';
import { createProjectWithKeys } from '../src/service/operations.ts';
import { makeEnv, post, type TestEnv } from './helpers.ts';

describe('dashboard API', () => {
  let env: TestEnv;
  const password = 'una password lunga';

  const records = [
    {
      type: 'customer',
      id: 'cus_1',
      timestamp: '2026-01-01T10:00:00Z',
      name: 'Giulia Rossi',
      email: 'giulia@example.it',
      segment: 'famiglie',
    },
    {
      type: 'customer',
      id: 'cus_2',
      timestamp: '2026-01-01T10:00:00Z',
      name: 'Marco Bianchi',
      segment: 'pro',
    },
    {
      type: 'contact',
      id: 't1',
      timestamp: '2026-03-02T10:00:00Z',
      customerId: 'cus_1',
      channel: 'chat',
      reason: 'reso',
    },
    {
      type: 'contact',
      id: 't2',
      timestamp: '2026-03-05T10:00:00Z',
      customerId: 'cus_1',
      channel: 'voice',
      reason: 'reso',
    },
    {
      type: 'contact',
      id: 't3',
      timestamp: '2026-03-06T10:00:00Z',
      customerId: 'cus_2',
      channel: 'chat',
      reason: 'account',
    },
    {
      type: 'order',
      id: 'o1',
      timestamp: '2026-03-03T10:00:00Z',
      customerId: 'cus_1',
      amount: 59.9,
      currency: 'EUR',
    },
    {
      type: 'survey_response',
      id: 'r1',
      timestamp: '2026-03-04T10:00:00Z',
      customerId: 'cus_1',
      surveyId: 's',
      questionId: 'q',
      metric: 'nps',
      score: 3,
      comment: '<img src=x onerror=alert(1)> lento',
      channel: 'chat',
    },
    {
      type: 'survey_response',
      id: 'r2',
      timestamp: '2026-03-08T10:00:00Z',
      customerId: 'cus_2',
      surveyId: 's',
      questionId: 'q',
      metric: 'nps',
      score: 10,
      channel: 'voice',
    },
  ];

  beforeAll(async () => {
    env = await makeEnv();
    const res = await post(env.app, env.project.writeKey, records);
    expect(res.body.accepted).toBe(records.length);
    await addUser(env.store, {
      projectId: env.project.projectId,
      email: 'Anna@Example.it',
      role: 'viewer',
      password,
    });
  });
  afterAll(() => env.close());

  async function signIn(body: Record<string, unknown>, headers: Record<string, string> = {}) {
    const res = await env.app.inject({
      method: 'POST',
      url: '/api/v1/session',
      headers: { 'content-type': 'application/json', host: 'polso.test', ...headers },
      payload: JSON.stringify(body),
    });
    const cookie = res.cookies.find((c) => c.name === 'polso_session');
    return { res, cookie, csrf: res.statusCode === 201 ? (res.json().csrfToken as string) : '' };
  }

  const get = (url: string, cookie: { value: string } | undefined) =>
    env.app.inject({ method: 'GET', url, headers: withSession(cookie) });

  const withSession = (cookie: { value: string } | undefined, csrf = '') => ({
    cookie: `polso_session=${cookie?.value ?? ''}`,
    ...(csrf ? { 'x-csrf-token': csrf } : {}),
  });

  it('signs a user in with a Secure, HttpOnly, SameSite=Strict cookie', async () => {
    const { res, cookie } = await signIn(
      { email: 'anna@example.it', password },
      { origin: 'http://polso.test' },
    );
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      authenticated: true,
      user: { email: 'anna@example.it', role: 'viewer' },
    });
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/' });
    const me = await get('/api/v1/session', cookie);
    expect(me.json()).toMatchObject({ authenticated: true, project: { id: env.project.projectId } });
  });

  it('refuses a wrong password, an unknown user, a write key, and a sign-in posted from another site', async () => {
    for (const body of [
      { email: 'anna@example.it', password: 'sbagliata!!' },
      { email: 'nobody@example.it', password },
      { key: env.project.writeKey },
    ]) {
      const { res, cookie } = await signIn(body);
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('POLSO_BAD_CREDENTIALS');
      expect(cookie).toBeUndefined();
    }
    const cross = await signIn({ email: 'anna@example.it', password }, { origin: 'https://evil.example' });
    expect(cross.res.statusCode).toBe(403);
    expect(cross.res.json().error.code).toBe('POLSO_CSRF');
  });

  it('answers the query API for a session only with its CSRF token, with the same numbers as the secret key', async () => {
    const { cookie, csrf } = await signIn({ key: env.project.secretKey });
    const q = { metrics: ['nps', 'contact_volume'], from: '2026-03-01', to: '2026-04-01' };
    const ask = (headers: Record<string, string>) =>
      env.app.inject({
        method: 'POST',
        url: '/api/v1/query',
        headers: { 'content-type': 'application/json', ...headers },
        payload: JSON.stringify(q),
      });
    const noToken = await ask(withSession(cookie));
    expect(noToken.statusCode).toBe(403);
    expect(noToken.json().error.code).toBe('POLSO_CSRF');
    expect((await ask(withSession(cookie, 'wrong'))).statusCode).toBe(403);
    const viaSession = await ask(withSession(cookie, csrf));
    expect(viaSession.statusCode).toBe(200);
    const viaKey = await ask({ authorization: `Bearer ${env.project.secretKey}` });
    expect(viaSession.json()).toEqual(viaKey.json());
    expect(viaSession.json().rows[0].contact_volume.value).toBe(3);
    expect((await ask({})).statusCode).toBe(401);
  });

  it('ends a session on sign-out (with its CSRF token)', async () => {
    const { cookie, csrf } = await signIn({ email: 'anna@example.it', password });
    const refused = await env.app.inject({
      method: 'DELETE',
      url: '/api/v1/session',
      headers: withSession(cookie),
    });
    expect(refused.statusCode).toBe(403);
    const out = await env.app.inject({
      method: 'DELETE',
      url: '/api/v1/session',
      headers: withSession(cookie, csrf),
    });
    expect(out.statusCode).toBe(204);
    const me = await get('/api/v1/metrics', cookie);
    expect(me.statusCode).toBe(401);
  });

  it('searches customers and returns one customer with every record and one timeline', async () => {
    const { cookie } = await signIn({ email: 'anna@example.it', password });
    const found = await get('/api/v1/customers?q=ROSSI', cookie);
    expect(found.json().customers.map((c: { id: string }) => c.id)).toEqual(['cus_1']);
    const byEmail = await get('/api/v1/customers?q=giulia@', cookie);
    expect(byEmail.json().customers).toHaveLength(1);
    const one = await get('/api/v1/customers/cus_1', cookie);
    const body = one.json();
    expect(body.customer).toMatchObject({ id: 'cus_1', name: 'Giulia Rossi', segment: 'famiglie' });
    expect(body.contacts.map((c: { id: string }) => c.id)).toEqual(['t2', 't1']);
    expect(body.orders.map((c: { id: string }) => c.id)).toEqual(['o1']);
    // User-written text is returned as data, unchanged; the dashboard renders it as text.
    expect(body.answers[0].comment).toBe('<img src=x onerror=alert(1)> lento');
    expect(body.timeline.map((e: { id: string }) => e.id)).toEqual(['t2', 'r1', 'o1', 't1']);
    const missing = await get('/api/v1/customers/cus_9', cookie);
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('POLSO_CUSTOMER_NOT_FOUND');
    const bad = await get('/api/v1/customers?limit=0', cookie);
    expect(bad.json().error.code).toBe('POLSO_BAD_QUERY');
  });

  it("keeps each session to its project's data", async () => {
    const other = await createProjectWithKeys(env.store, { name: 'Altro' });
    const { cookie } = await signIn({ key: other.secretKey });
    const one = await get('/api/v1/customers/cus_1', cookie);
    expect(one.statusCode).toBe(404);
    const found = await get('/api/v1/customers?q=', cookie);
    expect(found.json().customers).toEqual([]);
  });

  it('returns the records behind a data point, as many as the value counts', async () => {
    const ask = (body: Record<string, unknown>) =>
      env.app.inject({
        method: 'POST',
        url: '/api/v1/query/records',
        headers: { authorization: `Bearer ${env.project.secretKey}`, 'content-type': 'application/json' },
        payload: JSON.stringify(body),
      });
    const point = {
      metrics: ['contact_volume'],
      from: '2026-03-01',
      to: '2026-04-01',
      filters: { channel: ['chat'] },
    };
    const res = await ask(point);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ metric: 'contact_volume', type: 'contact', total: 2 });
    expect(res.json().records.map((r: { id: string }) => r.id)).toEqual(['t3', 't1']);
    // Fewer records than the value counts: the newest, and the count of all of them.
    const newest = await ask({ ...point, limit: 1 });
    expect(newest.json()).toMatchObject({ total: 2, records: [{ id: 't3' }] });
    const none = await ask({ ...point, filters: { channel: ['sms'] } });
    expect(none.json()).toMatchObject({ total: 0, records: [] });
    const nps = await ask({
      metrics: ['nps'],
      from: '2026-03-01',
      to: '2026-04-01',
      filters: { segment: ['famiglie'] },
    });
    expect(nps.json().records.map((r: { id: string }) => r.id)).toEqual(['r1']);
    for (const [body, path] of [
      [{ ...point, limit: 0 }, 'limit'],
      [{ ...point, metrics: ['nps', 'csat'] }, 'metrics'],
      [{ ...point, groupBy: ['channel'] }, 'groupBy'],
    ] as const) {
      const r = await ask(body);
      expect(r.statusCode).toBe(400);
      expect(r.json().error.details.path).toBe(path);
    }
  });

  it('documents its routes in the OpenAPI document', async () => {
    const doc = (await env.app.inject({ url: '/api/v1/openapi.json' })).json();
    expect(Object.keys(doc.paths['/api/v1/session'])).toEqual(['get', 'post', 'delete']);
    expect(doc.paths['/api/v1/customers'].get.security).toEqual([{ bearer: [] }, { session: [], csrf: [] }]);
    expect(doc.paths['/api/v1/customers/{id}'].get).toBeDefined();
    expect(doc.paths['/api/v1/query/records'].post).toBeDefined();
    expect(doc.components.securitySchemes.session).toMatchObject({ in: 'cookie', name: 'polso_session' });
  });

  it('validates new users', async () => {
    const projectId = env.project.projectId;
    await expect(
      addUser(env.store, { projectId, email: 'anna@example.it', role: 'viewer', password }),
    ).rejects.toMatchObject({
      code: 'POLSO_USER_EXISTS',
    });
    await expect(
      addUser(env.store, { projectId, email: 'x@example.it', role: 'owner', password }),
    ).rejects.toMatchObject({
      code: 'POLSO_BAD_USER',
    });
    await expect(
      addUser(env.store, { projectId, email: 'y@example.it', role: 'admin', password: 'corta' }),
    ).rejects.toMatchObject({
      code: 'POLSO_BAD_USER',
    });
    const generated = await addUser(env.store, { projectId, email: 'z@example.it', role: 'editor' });
    expect(generated.password).toMatch(/^[\w-]{20}$/);
    const { res } = await signIn({ email: 'z@example.it', password: generated.password });
    expect(res.json().user.role).toBe('editor');
  });
});

describe('dashboard sessions over time', () => {
  it('expire after 12 hours', async () => {
    let now = new Date('2026-11-01T08:00:00Z');
    const env = await makeEnv({ clock: { now: () => new Date(now) } });
    try {
      const res = await env.app.inject({
        method: 'POST',
        url: '/api/v1/session',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ key: env.project.secretKey }),
      });
      const cookie = `polso_session=${res.cookies.find((c) => c.name === 'polso_session')!.value}`;
      const metrics = () => env.app.inject({ method: 'GET', url: '/api/v1/metrics', headers: { cookie } });
      now = new Date('2026-11-01T19:59:00Z');
      expect((await metrics()).statusCode).toBe(200);
      now = new Date('2026-11-01T20:00:01Z');
      expect((await metrics()).statusCode).toBe(401);
    } finally {
      await env.close();
    }
  });
});
