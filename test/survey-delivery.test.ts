/**
 * Triggers, the contact policy and delivery, against a real DuckDB file, a real SMTP server on
 * localhost and a local SMS webhook. Time moves only when the test moves the manual clock.
 */
import { createHmac } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../src/server/app.ts';
import { type CreatedProject, createProjectWithKeys } from '../src/service/operations.ts';
import { DuckDbStore } from '../src/store/duckdb/store.ts';
import { smtpSender, webhookSms } from '../src/surveys/delivery.ts';
import { sampled } from '../src/surveys/policy.ts';
import { SurveyScheduler } from '../src/surveys/scheduler.ts';
import { SurveyService } from '../src/surveys/service.ts';
import { type ManualClock, manualClock } from '../src/util/clock.ts';
import { post, tempDir } from './helpers.ts';
import { type SmtpSink, startSmtp } from './smtp.ts';

const HOUR = 3_600_000;

const CSAT = {
  id: 'csat_chat',
  name: { it: 'Assistenza', en: 'Support' },
  touchpoint: 'support',
  questions: [
    {
      id: 'q1',
      type: 'csat',
      text: { it: 'Quanto è soddisfatto della chat?', en: 'How satisfied were you with the chat?' },
    },
  ],
  triggers: [
    { record: 'contact', at: 'resolvedAt', where: { channel: ['chat'] }, delayMinutes: 60, via: 'email' },
  ],
  reminderHours: 48,
};

const NPS = {
  id: 'nps_order',
  name: { it: 'Ordine', en: 'Order' },
  questions: [{ id: 'q1', type: 'nps', text: { it: 'Ci consiglierebbe?', en: 'Would you recommend us?' } }],
  triggers: [{ record: 'order', delayMinutes: 60 * 24 * 7, via: 'email' }],
};

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

/** A local HTTP endpoint that keeps what it receives (SMS webhook, response webhooks); it answers 503 to the first `failFirst` requests. */
async function sink(failFirst = 0): Promise<{ url: string; got: Received[]; server: Server }> {
  const got: Received[] = [];
  let failures = failFirst;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      got.push({ headers: req.headers, body });
      if (failures-- > 0) res.writeHead(503).end();
      else res.writeHead(200).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got, server };
}

describe('survey triggers, contact policy and delivery', () => {
  let dir: string;
  let smtp: SmtpSink;
  let sms: Awaited<ReturnType<typeof sink>>;
  let clock: ManualClock;
  let world: Awaited<ReturnType<typeof open>>;
  let project: CreatedProject;

  /** Opens the data directory as a server process would: store, service, scheduler, app. */
  async function open() {
    const store = new DuckDbStore({ dataDir: dir, clock, threads: 2 });
    await store.ready;
    const email = smtpSender(
      { host: '127.0.0.1', port: smtp.port, secure: false, ignoreTLS: true },
      'Polso <sondaggi@polso.test>',
    );
    const service = new SurveyService({
      store,
      clock,
      baseUrl: () => 'http://polso.test',
      delivery: { email, sms: webhookSms(sms.url), messageDomain: 'polso.test' },
    });
    const scheduler = new SurveyScheduler({ store, clock, service });
    const app = createApp({ store, clock, surveys: service });
    return {
      store,
      service,
      scheduler,
      app,
      async close() {
        await scheduler.stop();
        await service.settled();
        email.close?.();
        await app.close();
        await store.close();
      },
    };
  }

  const records = (list: unknown[]) => post(world.app, project.writeKey, list);
  const define = (def: unknown) => post(world.app, project.secretKey, def, { url: '/api/v1/surveys' });
  const customer = (id: string, extra: Record<string, unknown> = {}) => ({
    type: 'customer',
    id,
    timestamp: '2026-01-01T00:00:00Z',
    email: `${id}@example.it`,
    phone: '+39 333 000 0000',
    language: 'it',
    timeZone: 'Europe/Rome',
    ...extra,
  });
  const contact = (id: string, customerId: string, resolvedAt: string, channel = 'chat') => ({
    type: 'contact',
    id,
    timestamp: resolvedAt,
    customerId,
    channel,
    resolvedAt,
  });
  const invitations = () => world.store.listRecords(project.projectId, 'survey_invitation', { limit: 1000 });

  beforeEach(async () => {
    dir = tempDir();
    smtp = await startSmtp();
    sms = await sink();
    clock = manualClock('2026-03-02T09:00:00Z'); // 10:00 in Rome
    world = await open();
    const store = world.store;
    project = await createProjectWithKeys(store, { name: 'Test' });
  });

  afterEach(async () => {
    await world.close();
    await smtp.close();
    sms.server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends a triggered CSAT by email after its delay, once, with a stable Message-ID and an unsubscribe link', async () => {
    expect((await define(CSAT)).status).toBe(201);
    await records([
      customer('cus_1'),
      contact('tkt_1', 'cus_1', '2026-03-02T09:05:00Z'),
      contact('tkt_2', 'cus_1', '2026-03-02T09:06:00Z', 'voice'),
    ]);
    clock.advance(10 * 60_000);
    const first = await world.scheduler.tick();
    expect(first).toMatchObject({ scheduled: 1, invited: 0, sent: 0 });
    clock.advance(HOUR);
    expect(await world.scheduler.tick()).toMatchObject({ scheduled: 0, invited: 1, sent: 1 });
    expect(await world.scheduler.tick()).toMatchObject({ scheduled: 0, invited: 0, sent: 0 });

    expect(smtp.messages).toHaveLength(1);
    const mail = smtp.messages[0]!;
    expect(mail.to).toEqual(['cus_1@example.it']);
    expect(mail.subject).toBe('Assistenza');
    expect(mail.messageId).toMatch(/^<inv_[A-Za-z0-9_-]+@polso\.test>$/);
    expect(mail.unsubscribe).toMatch(/^<http:\/\/polso\.test\/s\/[A-Za-z0-9_-]+\/unsubscribe>/);
    expect(mail.raw).toContain('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    expect(mail.text).toContain('Quanto è soddisfatto della chat?');
    expect(mail.text).toMatch(/5: http:\/\/polso\.test\/s\/[A-Za-z0-9_-]+\?score=5/);

    const [inv] = await invitations();
    expect(inv).toMatchObject({
      customerId: 'cus_1',
      surveyId: 'csat_chat',
      via: 'email',
      touchpoint: 'support',
      subjectType: 'contact',
      subjectId: 'tkt_1',
      sentAt: '2026-03-02T10:10:00.000Z',
      deliveredAt: '2026-03-02T10:10:00.000Z',
    });

    // The funnel and the response rate by send time and delay, through the query API.
    const query = async (body: Record<string, unknown>) =>
      (
        await post(
          world.app,
          project.secretKey,
          { from: '2026-03-01', to: '2026-03-04', ...body },
          { url: '/api/v1/query' },
        )
      ).body.rows;
    const [funnel] = await query({ metrics: ['survey_funnel'], groupBy: ['survey', 'via', 'touchpoint'] });
    expect(funnel).toMatchObject({
      survey: 'csat_chat',
      via: 'email',
      touchpoint: 'support',
      survey_funnel: { n: 1, steps: { sent: 1, delivered: 1, opened: 0, started: 0, completed: 0 } },
    });
    const [rate] = await query({
      metrics: ['survey_response_rate'],
      groupBy: ['sent_hour', 'sent_weekday', 'send_delay'],
    });
    // Sent 10:10 UTC = 11:10 in Rome, a Monday; 65 minutes after the contact was resolved.
    expect(rate).toMatchObject({
      sent_hour: 11,
      sent_weekday: 1,
      send_delay: 'h001-006',
      survey_response_rate: { value: 0, n: 1 },
    });
  });

  it('throttles across surveys: one invitation per person in 30 days', async () => {
    await define(CSAT);
    await define(NPS);
    await records([
      customer('cus_1'),
      customer('cus_2'),
      contact('tkt_1', 'cus_1', '2026-03-02T09:00:00Z'),
      {
        type: 'order',
        id: 'o_1',
        timestamp: '2026-02-23T09:00:00Z',
        customerId: 'cus_1',
        amount: 10,
        currency: 'EUR',
      },
      {
        type: 'order',
        id: 'o_2',
        timestamp: '2026-02-23T09:00:00Z',
        customerId: 'cus_2',
        amount: 10,
        currency: 'EUR',
      },
    ]);
    clock.advance(2 * HOUR);
    const report = await world.scheduler.tick();
    expect(report.invited).toBe(2); // cus_1's order NPS ran first (older), cus_2's NPS
    expect(report.skipped).toEqual({ throttled: 1 }); // cus_1's CSAT
    // 31 days later cus_1 may be asked again.
    await records([contact('tkt_9', 'cus_1', '2026-04-02T09:00:00Z')]);
    clock.set('2026-04-02T11:00:00Z');
    expect((await world.scheduler.tick()).invited).toBe(1);
  });

  it('samples each customer the same way at every trigger', async () => {
    await define({ ...CSAT, sampleRate: 0.5, reminderHours: undefined });
    const ids = Array.from({ length: 10 }, (_, i) => `cus_${i}`);
    await records([
      ...ids.map((c) => customer(c)),
      ...ids.map((c) => contact(`t1_${c}`, c, '2026-03-02T09:00:00Z')),
    ]);
    clock.advance(2 * HOUR);
    await world.scheduler.tick();
    const asked = new Set((await invitations()).map((i) => String(i.customerId)));
    const expected = ids.filter((c) => sampled('csat_chat', c, 0.5));
    expect([...asked].sort()).toEqual(expected.sort());
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(10);
    // A month later, new contacts: the same customers are in the sample.
    await records(ids.map((c) => contact(`t2_${c}`, c, '2026-04-10T09:00:00Z')));
    clock.set('2026-04-10T11:00:00Z');
    const report = await world.scheduler.tick();
    expect(report.invited).toBe(expected.length);
    expect(report.skipped.not_sampled).toBe(10 - expected.length);
  });

  it('waits for the end of quiet hours in the customer time zone', async () => {
    await define(CSAT);
    await records([
      customer('cus_rome'),
      customer('cus_ny', { timeZone: 'America/New_York' }),
      contact('tkt_r', 'cus_rome', '2026-03-02T20:30:00Z'), // 21:30 in Rome, due 22:30
      contact('tkt_n', 'cus_ny', '2026-03-02T20:30:00Z'), // 15:30 in New York
    ]);
    clock.set('2026-03-02T21:31:00Z');
    const night = await world.scheduler.tick();
    expect(night).toMatchObject({ invited: 1, deferred: 1, sent: 1 });
    expect(smtp.messages.map((m) => m.to[0])).toEqual(['cus_ny@example.it']);
    clock.set('2026-03-03T07:59:00Z'); // 08:59 in Rome
    expect((await world.scheduler.tick()).invited).toBe(0);
    clock.set('2026-03-03T08:00:00Z'); // 09:00 in Rome
    expect((await world.scheduler.tick()).invited).toBe(1);
    expect(smtp.messages.map((m) => m.to[0])).toEqual(['cus_ny@example.it', 'cus_rome@example.it']);
  });

  it('honours an opt-out from the unsubscribe link (a GET only asks)', async () => {
    await define(CSAT);
    await records([customer('cus_1'), contact('tkt_1', 'cus_1', '2026-03-02T09:00:00Z')]);
    clock.advance(2 * HOUR);
    await world.scheduler.tick();
    const link = /<([^>]+)>/.exec(smtp.messages[0]!.unsubscribe)![1]!;
    const path = new URL(link).pathname;
    const ask = await world.app.inject({ method: 'GET', url: path });
    expect(ask.body).toContain('Sì, non inviatemi più sondaggi');
    expect(await world.store.surveys.isOptedOut(project.projectId, 'cus_1')).toBe(false);
    const done = await world.app.inject({
      method: 'POST',
      url: path,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'List-Unsubscribe=One-Click',
    });
    expect(done.statusCode).toBe(200);
    await records([contact('tkt_2', 'cus_1', '2026-04-10T09:00:00Z')]);
    clock.set('2026-04-10T11:00:00Z');
    expect((await world.scheduler.tick()).skipped).toEqual({ opted_out: 1 });
    const direct = await post(
      world.app,
      project.writeKey,
      { customerId: 'cus_1', via: 'email' },
      { url: '/api/v1/surveys/csat_chat/invitations' },
    );
    expect(direct.status).toBe(409);
    expect(direct.body.error.code).toBe('SURVEY_OPTED_OUT');
  });

  it('neither loses nor repeats an invitation across a restart, and resends a half-sent message with its Message-ID', async () => {
    await define(CSAT);
    await records([customer('cus_1'), customer('cus_2'), contact('tkt_1', 'cus_1', '2026-03-02T09:00:00Z')]);
    await world.scheduler.tick(); // scheduled, not yet due
    await world.close();
    world = await open();
    clock.advance(2 * HOUR);
    expect(await world.scheduler.tick()).toMatchObject({ scheduled: 0, invited: 1, sent: 1 });
    await world.close();
    world = await open();
    expect(await world.scheduler.tick()).toMatchObject({ scheduled: 0, invited: 0, sent: 0 });
    expect(await invitations()).toHaveLength(1);

    // A crash between taking a message and marking it sent: after the restart it goes out again,
    // with the Message-ID it had, so the receiver can tell it is the same message.
    await records([contact('tkt_2', 'cus_2', '2026-03-02T11:00:00Z')]);
    const svc = world.service;
    svc.flushOutbox = async () => ({ sent: 0, failed: 0 }); // this process "dies" before sending
    clock.advance(2 * HOUR);
    expect((await world.scheduler.tick()).invited).toBe(1);
    const [claimed] = await world.store.surveys.claimOutbox(project.projectId, 10);
    expect(claimed?.recipient).toBe('cus_2@example.it');
    await world.close();
    world = await open();
    expect((await world.scheduler.tick()).sent).toBe(1);
    const toCus2 = smtp.messages.filter((m) => m.to[0] === 'cus_2@example.it');
    expect(toCus2).toHaveLength(1);
    expect(toCus2[0]!.messageId).toBe(claimed!.messageId);
    expect(await invitations()).toHaveLength(2);
  });

  it('retries a refused message with the same Message-ID, and reminds once', async () => {
    await define(CSAT);
    await records([customer('cus_1'), contact('tkt_1', 'cus_1', '2026-03-02T09:00:00Z')]);
    smtp.refuseNext(1);
    clock.advance(2 * HOUR);
    expect(await world.scheduler.tick()).toMatchObject({ invited: 1, sent: 0, failed: 1 });
    expect(smtp.messages).toHaveLength(0);
    expect(await world.scheduler.tick()).toMatchObject({ sent: 1 });
    const [inv] = await invitations();
    const status = await world.store.surveys.outboxStatus(project.projectId, String(inv!.id));
    expect(status).toEqual([{ status: 'sent', attempts: 2, messageId: smtp.messages[0]!.messageId }]);

    clock.advance(47 * HOUR);
    expect((await world.scheduler.tick()).reminders).toBe(0);
    clock.advance(2 * HOUR);
    expect(await world.scheduler.tick()).toMatchObject({ reminders: 1, sent: 1 });
    clock.advance(72 * HOUR);
    expect((await world.scheduler.tick()).reminders).toBe(0);
    expect(smtp.messages.map((m) => m.subject)).toEqual(['Assistenza', 'Promemoria: Assistenza']);
    expect(smtp.messages[1]!.messageId).not.toBe(smtp.messages[0]!.messageId);
  });

  it('sends SMS through the webhook provider and signs completed-response webhooks', async () => {
    await define({ ...CSAT, triggers: [{ ...CSAT.triggers[0], via: 'sms' }] });
    const hooks = await sink(1);
    const created = await post(world.app, project.secretKey, { url: hooks.url }, { url: '/api/v1/webhooks' });
    expect(created.status).toBe(201);
    await records([customer('cus_1'), contact('tkt_1', 'cus_1', '2026-03-02T09:00:00Z')]);
    clock.advance(2 * HOUR);
    expect((await world.scheduler.tick()).sent).toBe(1);
    expect(sms.got).toHaveLength(1);
    const smsBody = JSON.parse(sms.got[0]!.body);
    expect(smsBody.to).toBe('+39 333 000 0000');
    expect(sms.got[0]!.headers['idempotency-key']).toBe(smsBody.id);
    const url = /http:\/\/polso\.test(\/s\/[A-Za-z0-9_-]+)/.exec(smsBody.text)![1]!;

    await post(world.app, null, { answers: { q1: 4 }, complete: true }, { url: `${url}/answers` });
    await world.service.settled();
    expect(hooks.got).toHaveLength(1); // refused: it stays in the outbox
    await world.scheduler.tick();
    expect(hooks.got).toHaveLength(2);
    expect(hooks.got[1]!.headers['polso-event']).toBe(hooks.got[0]!.headers['polso-event']);
    const { body, headers } = hooks.got[1]!;
    const [t, v1] = String(headers['polso-signature'])
      .split(',')
      .map((p) => p.split('=')[1]);
    expect(v1).toBe(createHmac('sha256', created.body.secret).update(`${t}.${body}`).digest('hex'));
    expect(JSON.parse(body)).toMatchObject({
      type: 'survey.response.completed',
      surveyId: 'csat_chat',
      answers: { q1: 4 },
    });
    hooks.server.close();
  });
});
