/**
 * Surveys through the HTTP API against a real DuckDB file: definitions (every problem reported with
 * its path, versions), link invitations with single-use tokens, the hosted page (a GET records
 * nothing), partial and repeated answers (never double-counted), hostile text, the widget API,
 * drop-off, and the metric engine measuring the answers.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manualClock } from '../src/util/clock.ts';
import { makeEnv, post, type TestEnv } from './helpers.ts';

const CSAT = {
  id: 'csat_support',
  name: { it: 'Assistenza', en: 'Support' },
  touchpoint: 'support',
  languages: ['it', 'en'],
  questions: [
    {
      id: 'q1',
      type: 'csat',
      scale: 5,
      required: true,
      text: { it: 'Quanto è soddisfatto?', en: 'How satisfied are you?' },
    },
    {
      id: 'q2',
      type: 'text',
      text: { it: 'Cosa possiamo migliorare?', en: 'What could we do better?' },
      showIf: { question: 'q1', max: 3 },
    },
  ],
};

describe('surveys API', () => {
  let env: TestEnv;
  const clock = manualClock('2026-03-02T10:00:00Z');
  beforeEach(async () => {
    env = await makeEnv({ clock });
  });
  afterEach(async () => env.close());

  const secret = () => env.project.secretKey;
  const get = async (url: string, key: string | null = secret()) => {
    const res = await env.app.inject({
      method: 'GET',
      url,
      headers: key ? { authorization: `Bearer ${key}` } : {},
    });
    return res;
  };
  const tokenOf = (url: string) => new URL(url).pathname.split('/')[2]!;

  it('reports every problem of a definition with its path', async () => {
    const r = await post(
      env.app,
      secret(),
      {
        name: { it: 'X' },
        languages: ['it', 'en'],
        questions: [
          { id: 'q1', type: 'nps', text: { it: 'Ci consiglierebbe?' }, scale: 5 },
          {
            id: 'q1',
            type: 'single_choice',
            text: { it: 'a', en: 'b' },
            choices: [{ id: 'a', text: { it: 'A', en: 'A' } }],
          },
          { id: 'q3', type: 'text', text: { it: 'a', en: 'b' }, showIf: { question: 'q9', max: 6 } },
        ],
        triggers: [{ record: 'contact', at: 'channel', delayMinutes: -1 }],
        colour: 'red',
      },
      { url: '/api/v1/surveys' },
    );
    expect(r.status).toBe(422);
    expect(r.body.error.code).toBe('SURVEY_INVALID_DEFINITION');
    const paths = r.body.error.details.problems.map((p: { path: string }) => p.path).sort();
    expect(paths).toEqual(
      [
        'colour',
        'name.en',
        'questions[0].scale',
        'questions[0].text.en',
        'questions[1].choices',
        'questions[2].showIf.question',
        'triggers[0].at',
        'triggers[0].delayMinutes',
      ].sort(),
    );
  });

  it('versions a survey: an edit is a new version, invitations keep theirs', async () => {
    const created = await post(env.app, secret(), CSAT, { url: '/api/v1/surveys' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ id: 'csat_support', version: 1 });
    const again = await post(env.app, secret(), CSAT, { url: '/api/v1/surveys' });
    expect(again.status).toBe(422);

    const inv = await post(
      env.app,
      env.project.writeKey,
      { customerId: 'cus_1' },
      { url: '/api/v1/surveys/csat_support/invitations' },
    );
    expect(inv.status).toBe(201);

    const { id: _id, ...edited } = {
      ...CSAT,
      questions: [{ ...CSAT.questions[0], text: { it: 'Voto?', en: 'Score?' } }],
    };
    const put = await env.app.inject({
      method: 'PUT',
      url: '/api/v1/surveys/csat_support',
      headers: { authorization: `Bearer ${secret()}`, 'content-type': 'application/json' },
      payload: JSON.stringify(edited),
    });
    expect(put.json()).toEqual({ id: 'csat_support', version: 2 });
    expect((await get('/api/v1/surveys/csat_support')).json().version).toBe(2);
    expect((await get('/api/v1/surveys/csat_support?version=1')).json().definition.questions).toHaveLength(2);
    // The earlier invitation still shows version 1.
    const page = await get(new URL(inv.body.url).pathname, null);
    expect(page.body).toContain('Quanto è soddisfatto?');
    expect((await get('/api/v1/surveys/nope')).statusCode).toBe(404);
  });

  it('opens with the score from the link checked, records only on confirmation, never twice', async () => {
    await post(env.app, secret(), CSAT, { url: '/api/v1/surveys' });
    await post(env.app, env.project.writeKey, [
      { type: 'customer', id: 'cus_1', timestamp: '2026-03-01T10:00:00Z', language: 'it-IT' },
    ]);
    const inv = await post(
      env.app,
      env.project.writeKey,
      { customerId: 'cus_1', via: 'link' },
      { url: '/api/v1/surveys/csat_support/invitations' },
    );
    const path = new URL(inv.body.url).pathname;
    expect(tokenOf(inv.body.url).length).toBeGreaterThanOrEqual(32);

    const page = await get(`${path}?score=2`, null);
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.body).toContain('<html lang="it">');
    expect(page.body).toMatch(/id="q1-1" value="2" checked/);
    expect(await env.store.count(env.project.projectId, 'survey_response')).toBe(0);

    const answer = (answers: Record<string, unknown>, complete = false) =>
      post(env.app, null, { answers, complete }, { url: `${path}/answers` });
    expect((await answer({ q1: 2 })).status).toBe(200);
    const hostile = '<img src=x onerror=alert(1)>"\'</textarea><script>alert(2)</script>';
    expect((await answer({ q2: hostile }, true)).body).toEqual({ completed: true });
    // A second submission replaces the answer.
    expect((await answer({ q1: 3 }, true)).status).toBe(200);

    const responses = await env.store.listRecords(env.project.projectId, 'survey_response');
    expect(responses).toHaveLength(2); // q1 updated in place; q2's text kept as stored text
    expect(responses.find((r) => r.questionId === 'q1')).toMatchObject({
      score: 3,
      scaleMax: 5,
      language: 'it',
      touchpoint: 'support',
    });
    expect(responses.find((r) => r.questionId === 'q2')?.value).toBe(hostile);

    // The page shows the stored text as text.
    const back = await get(path, null);
    expect(back.body).not.toContain('<img src=x');
    expect(back.body).not.toContain('<script>alert');
    expect(back.body).toContain('&#60;img src=x onerror=alert(1)&#62;');

    const q = await env.app.inject({
      method: 'POST',
      url: '/api/v1/query',
      headers: { authorization: `Bearer ${secret()}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ metrics: ['csat', 'survey_funnel'], from: '2026-03-01', to: '2026-03-03' }),
    });
    const row = q.json().rows[0];
    expect(row.csat).toMatchObject({ value: 0, n: 1 });
    expect(row.survey_funnel.n).toBe(1);
  });

  it('rejects bad answers and unknown tokens with stable codes', async () => {
    await post(env.app, secret(), CSAT, { url: '/api/v1/surveys' });
    const inv = await post(
      env.app,
      env.project.writeKey,
      { customerId: 'cus_1' },
      { url: '/api/v1/surveys/csat_support/invitations' },
    );
    const path = new URL(inv.body.url).pathname;
    const bad = await post(env.app, null, { answers: { q1: 9, zz: 1 } }, { url: `${path}/answers` });
    expect(bad.status).toBe(422);
    expect(bad.body.error.code).toBe('SURVEY_BAD_ANSWER');
    expect(bad.body.error.details.problems.map((p: { path: string }) => p.path)).toEqual([
      'answers.q1',
      'answers.zz',
    ]);
    const missing = await post(env.app, null, { answers: {}, complete: true }, { url: `${path}/answers` });
    expect(missing.body.error.details.problems).toEqual([{ path: 'answers.q1', message: 'required' }]);
    const unknown = await post(
      env.app,
      null,
      { answers: { q1: 1 } },
      { url: '/s/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/answers' },
    );
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('SURVEY_LINK_INVALID');
    expect((await get('/s/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', null)).statusCode).toBe(404);
    const noEmail = await post(
      env.app,
      env.project.writeKey,
      { customerId: 'cus_x', via: 'email' },
      { url: '/api/v1/surveys/csat_support/invitations' },
    );
    expect(noEmail.body.error.code).toBe('SURVEY_NO_ADDRESS');
    const badReq = await post(
      env.app,
      env.project.writeKey,
      { via: 'fax' },
      { url: '/api/v1/surveys/csat_support/invitations' },
    );
    expect(badReq.body.error.details.problems.map((p: { path: string }) => p.path)).toEqual([
      'customerId',
      'via',
    ]);
  });

  it('accepts the plain form without script and counts drop-off per question', async () => {
    await post(env.app, secret(), CSAT, { url: '/api/v1/surveys' });
    const links: string[] = [];
    for (const c of ['cus_1', 'cus_2', 'cus_3']) {
      const inv = await post(
        env.app,
        env.project.writeKey,
        { customerId: c },
        { url: '/api/v1/surveys/csat_support/invitations' },
      );
      links.push(new URL(inv.body.url).pathname);
    }
    const form = await env.app.inject({
      method: 'POST',
      url: links[0]!,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'q1=2&q2=Troppa+attesa',
    });
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('Grazie');
    await post(env.app, null, { answers: { q1: 1 } }, { url: `${links[1]}/answers` });
    const drop = (await get('/api/v1/surveys/csat_support/dropoff')).json();
    expect(drop).toEqual({
      started: 2,
      completed: 1,
      questions: [
        { id: 'q1', answered: 2, stoppedHere: 1 },
        { id: 'q2', answered: 1, stoppedHere: 0 },
      ],
    });
  });

  it('takes widget answers with a public key, once per person', async () => {
    await post(
      env.app,
      secret(),
      {
        id: 'nps_app',
        name: { it: 'App', en: 'App' },
        questions: [
          { id: 'q1', type: 'nps', text: { it: 'Ci consiglierebbe?', en: 'Would you recommend us?' } },
        ],
        widget: { on: 'event', name: 'Checkout Completed' },
      },
      { url: '/api/v1/surveys' },
    );
    const view = await get('/api/v1/surveys/nps_app/widget?language=en', env.project.publicKey);
    expect(view.headers['access-control-allow-origin']).toBe('*');
    expect(view.json()).toMatchObject({
      language: 'en',
      trigger: { on: 'event', name: 'Checkout Completed' },
    });
    for (const score of [9, 10])
      expect(
        (
          await post(
            env.app,
            env.project.publicKey,
            { anonymousId: 'a1', answers: { q1: score }, complete: true },
            { url: '/api/v1/surveys/nps_app/widget' },
          )
        ).status,
      ).toBe(200);
    const responses = await env.store.listRecords(env.project.projectId, 'survey_response');
    expect(responses).toHaveLength(1);
    expect(responses[0]).toMatchObject({ anonymousId: 'a1', score: 10, metric: 'nps' });
    // A survey without a widget trigger takes no answers from a browser key.
    await post(env.app, secret(), CSAT, { url: '/api/v1/surveys' });
    const other = await post(
      env.app,
      env.project.publicKey,
      { anonymousId: 'a1', answers: { q1: 1 } },
      { url: '/api/v1/surveys/csat_support/widget' },
    );
    expect(other.body.error.code).toBe('SURVEY_NOT_FOUND');
    const inv = await env.store.listRecords(env.project.projectId, 'survey_invitation');
    expect(inv[0]).toMatchObject({ via: 'widget', completedAt: '2026-03-02T10:00:00.000Z' });
  });
});
