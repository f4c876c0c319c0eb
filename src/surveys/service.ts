/**
 * @module surveys/service
 * Survey operations shared by the HTTP routes and the scheduler: define and version surveys, create
 * invitations with single-use link tokens (only their hashes are stored), take answers (partial ones as
 * the person goes; a second submission updates, never adds), send through the outbox, opt-outs and
 * signed webhooks. What is measured is published as `survey_invitation` and `survey_response` records
 * through the ordinary ingestion path, so the metric engine counts them like any other record.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { hashToken } from '../auth/keys.ts';
import { PolsoError } from '../errors.ts';
import { DEFAULT_LIMITS, ingestItems } from '../ingest/batch.ts';
import type { Project, Store } from '../store/store.ts';
import type { Clock } from '../util/clock.ts';
import { applies } from './condition.ts';
import {
  type DefinitionProblem,
  metricOf,
  parseDefinition,
  pickLanguage,
  type Question,
  type SurveyDefinition,
  scaleOf,
} from './definition.ts';
import type { Delivery } from './delivery.ts';
import { invitationEmail, invitationSms } from './render.ts';
import type { Answer, Invite, OutboxMessage, StoredSurvey } from './state.ts';

/** Options of the survey service (from the composition root). */
export interface SurveyServiceOptions {
  store: Store;
  clock: Clock;
  /** Public base URL of Polso, for links in messages (e.g. https://polso.example.it). */
  baseUrl: () => string;
  delivery: Delivery;
  /** Reports failures of background work (sending, webhooks). */
  log?: (message: string, error: unknown) => void;
}

/** A request for an invitation. */
export interface InviteRequest {
  customerId: string;
  via: 'link' | 'email' | 'sms';
  subjectType?: string;
  subjectId?: string;
  triggeredAt?: string;
}

const PERSON_PREFIX = 'anon:';
const ID = /^[A-Za-z0-9_-]{1,64}$/;
const VIAS = ['link', 'email', 'sms'] as const;

/** A fresh link token: 24 random bytes (192 bits), base64url. */
export function newLinkToken(): string {
  return randomBytes(24).toString('base64url');
}

/** A short stable id derived from parts (job → invitation, widget person → invitation). */
export function derivedId(prefix: string, ...parts: string[]): string {
  return prefix + createHash('sha256').update(parts.join('\u0000')).digest('base64url').slice(0, 22);
}

/** The person fields of a record for an invitation's person (anonymous widget visitors have no customer id). */
function person(invite: Invite): { customerId: string } | { anonymousId: string } {
  return invite.customerId.startsWith(PERSON_PREFIX)
    ? { anonymousId: invite.customerId.slice(PERSON_PREFIX.length) }
    : { customerId: invite.customerId };
}

/** The `survey_invitation` record of an invitation: its funnel as known now. */
export function invitationRecord(invite: Invite, def: SurveyDefinition): Record<string, unknown> {
  const rec: Record<string, unknown> = {
    type: 'survey_invitation',
    id: invite.id,
    // The triggering event's time, so the delay to sending can be measured (`send_delay`).
    timestamp: invite.triggeredAt ?? invite.createdAt,
    ...person(invite),
    surveyId: invite.surveyId,
    via: invite.via,
  };
  if (def.touchpoint) rec.touchpoint = def.touchpoint;
  if (invite.subjectType) rec.subjectType = invite.subjectType;
  if (invite.subjectId) rec.subjectId = invite.subjectId;
  for (const k of ['sentAt', 'deliveredAt', 'openedAt', 'startedAt', 'completedAt'] as const)
    if (invite[k]) rec[k] = invite[k];
  return rec;
}

/** The `survey_response` record of one answer; without an answer, the question counts as skipped. */
export function responseRecord(
  invite: Invite,
  def: SurveyDefinition,
  q: Question,
  answer: Answer | undefined,
  at: string,
) {
  const scale = scaleOf(q);
  const given = answer !== undefined;
  return {
    type: 'survey_response',
    id: `${invite.id}:${q.id}`,
    timestamp: at,
    ...person(invite),
    surveyId: invite.surveyId,
    questionId: q.id,
    metric: metricOf(q),
    ...(scale ? { scaleMin: scale.min, scaleMax: scale.max } : {}),
    ...(scale && given ? { score: answer as number } : {}),
    ...(q.type === 'ces' ? { direction: q.direction } : {}),
    ...(!scale && given ? { value: Array.isArray(answer) ? answer.join('\n') : String(answer) } : {}),
    language: invite.language,
    ...(def.touchpoint ? { touchpoint: def.touchpoint } : {}),
    responseId: invite.id,
    invitationId: invite.id,
    ...(invite.subjectType ? { subjectType: invite.subjectType } : {}),
    ...(invite.subjectId ? { subjectId: invite.subjectId } : {}),
  };
}

/**
 * Checks answers against a survey version: a score on the question's scale, a choice it has, a text
 * within its length; `null` clears an answer. Every problem is reported with its question id.
 */
export function parseAnswers(
  def: SurveyDefinition,
  input: unknown,
): { answers: Record<string, Answer | null>; problems: DefinitionProblem[] } {
  const problems: DefinitionProblem[] = [];
  const answers: Record<string, Answer | null> = {};
  if (input === null || typeof input !== 'object' || Array.isArray(input))
    return { answers, problems: [{ path: 'answers', message: 'must be an object of question id → answer' }] };
  for (const [id, value] of Object.entries(input)) {
    const path = `answers.${id}`;
    const q = def.questions.find((x) => x.id === id);
    if (!q) {
      problems.push({ path, message: 'no such question in this survey' });
      continue;
    }
    if (value === null || value === '') {
      answers[id] = null;
      continue;
    }
    const scale = scaleOf(q);
    if (scale) {
      if (typeof value === 'number' && Number.isInteger(value) && value >= scale.min && value <= scale.max)
        answers[id] = value;
      else problems.push({ path, message: `must be a whole number from ${scale.min} to ${scale.max}` });
    } else if (q.type === 'single_choice') {
      if (typeof value === 'string' && q.choices.some((c) => c.id === value)) answers[id] = value;
      else problems.push({ path, message: 'must be one of the choice ids' });
    } else if (q.type === 'multiple_choice') {
      const ids = Array.isArray(value) ? value : [value];
      if (ids.every((v) => typeof v === 'string' && q.choices.some((c) => c.id === v)))
        answers[id] = [...new Set(ids as string[])];
      else problems.push({ path, message: 'must be a list of choice ids' });
    } else if (q.type === 'text') {
      if (typeof value === 'string' && value.length <= q.maxLength) answers[id] = value;
      else problems.push({ path, message: `must be a text of at most ${q.maxLength} characters` });
    }
  }
  return { answers, problems };
}

/**
 * Answers posted by the page's plain HTML form (no script): every value is text, a checkbox question
 * may repeat. Scores become numbers; then {@link parseAnswers} checks them.
 */
export function formAnswers(
  def: SurveyDefinition,
  form: Readonly<Record<string, string[]>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const q of def.questions) {
    const values = form[q.id];
    if (!values || values.length === 0) continue;
    if (scaleOf(q)) out[q.id] = values[0] === '' ? null : Number(values[0]);
    else if (q.type === 'multiple_choice') out[q.id] = values;
    else out[q.id] = values[0];
  }
  return out;
}

/** The survey operations. */
export class SurveyService {
  private readonly inflight = new Set<Promise<unknown>>();
  /** Per-invitation queues: answers to one invitation are applied one after the other. */
  private readonly queues = new Map<string, Promise<unknown>>();
  constructor(readonly options: SurveyServiceOptions) {}

  private get store() {
    return this.options.store;
  }
  private now(): string {
    return this.options.clock.now().toISOString();
  }

  /** Runs background work (sending, webhooks) and keeps track of it; see {@link SurveyService.settled}. */
  private background(work: Promise<unknown>): void {
    const p = work.catch((e) => this.options.log?.('survey background work failed', e));
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  /** Resolves when the background work started so far has finished (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
  }

  // ---- definitions ------------------------------------------------------------------------------

  /**
   * Stores a definition: a new survey (`id` absent or unknown) or a new version of one. Past answers
   * stay tied to the version they were given on.
   */
  async define(project: Project, input: unknown, id?: string, mustExist = false): Promise<StoredSurvey> {
    const body = input !== null && typeof input === 'object' && !Array.isArray(input) ? { ...input } : input;
    let surveyId = id;
    const problems: DefinitionProblem[] = [];
    if (body && typeof body === 'object' && 'id' in body) {
      // The id may come in the body; beside an id in the path it must be the same.
      const own = (body as { id: unknown }).id;
      delete (body as { id?: unknown }).id;
      if (surveyId === undefined) surveyId = own as string;
      else if (own !== surveyId)
        problems.push({ path: 'id', message: `differs from the survey's id ${surveyId}` });
    }
    if (surveyId !== undefined && (typeof surveyId !== 'string' || !ID.test(surveyId)))
      problems.push({ path: 'id', message: 'must be 1–64 letters, digits, _ or -' });
    const parsed = parseDefinition(body);
    if (!parsed.ok) problems.push(...parsed.problems);
    if (problems.length > 0 || !parsed.ok)
      throw new PolsoError(
        'SURVEY_INVALID_DEFINITION',
        problems.map((p) => `${p.path || '(survey)'}: ${p.message}`).join('; '),
        { problems },
      );
    const finalId = surveyId ?? `srv_${randomBytes(9).toString('base64url').replace(/[-_]/g, 'x')}`;
    const existing = await this.store.surveys.getDefinition(project.id, finalId);
    if (mustExist && !existing) throw new PolsoError('SURVEY_NOT_FOUND', `No survey ${finalId}`);
    if (!mustExist && existing && id === undefined)
      throw new PolsoError(
        'SURVEY_INVALID_DEFINITION',
        `id: survey ${finalId} exists; PUT /api/v1/surveys/${finalId} adds a version`,
        {
          problems: [{ path: 'id', message: 'exists already' }],
        },
      );
    return this.store.surveys.saveDefinition(project.id, finalId, parsed.definition);
  }

  /** A survey (a given version, else the latest); 404 when unknown. */
  async get(project: Project, id: string, version?: number): Promise<StoredSurvey> {
    const found = await this.store.surveys.getDefinition(project.id, id, version);
    if (!found)
      throw new PolsoError('SURVEY_NOT_FOUND', `No survey ${id}${version ? ` version ${version}` : ''}`);
    return found;
  }

  // ---- invitations ------------------------------------------------------------------------------

  /** The customer record, if any. */
  async customer(project: Project, customerId: string): Promise<Record<string, unknown> | null> {
    const [rec] = await this.store.listRecords(project.id, 'customer', { id: customerId, limit: 1 });
    return rec ?? null;
  }

  /** Checks an invitation request body. */
  parseInviteRequest(body: Record<string, unknown>): InviteRequest {
    const problems: DefinitionProblem[] = [];
    const known = ['customerId', 'via', 'subjectType', 'subjectId'];
    for (const k of Object.keys(body))
      if (!known.includes(k)) problems.push({ path: k, message: 'unknown field' });
    if (typeof body.customerId !== 'string' || body.customerId.length === 0 || body.customerId.length > 256)
      problems.push({ path: 'customerId', message: 'required: the customer id' });
    const via = body.via ?? 'link';
    if (!VIAS.includes(via as InviteRequest['via']))
      problems.push({ path: 'via', message: 'must be "link", "email" or "sms"' });
    for (const k of ['subjectType', 'subjectId'])
      if (body[k] !== undefined && (typeof body[k] !== 'string' || (body[k] as string).length > 256))
        problems.push({ path: k, message: 'must be a text of at most 256 characters' });
    if (problems.length > 0)
      throw new PolsoError(
        'SURVEY_BAD_INVITATION',
        problems.map((p) => `${p.path}: ${p.message}`).join('; '),
        { problems },
      );
    return {
      customerId: body.customerId as string,
      via: via as InviteRequest['via'],
      ...(body.subjectType !== undefined ? { subjectType: body.subjectType as string } : {}),
      ...(body.subjectId !== undefined ? { subjectId: body.subjectId as string } : {}),
    };
  }

  /**
   * Creates an invitation (id given: at most once — a repeated id changes nothing and returns no
   * url). Email and SMS invitations are queued in the outbox with their message, in the same
   * transaction, and counted as sent once they are; a link invitation counts as sent and delivered
   * when it is handed out.
   */
  async createInvitation(
    project: Project,
    survey: StoredSurvey,
    req: InviteRequest,
    id = `inv_${randomBytes(12).toString('base64url')}`,
  ): Promise<{ invite: Invite; url: string | null }> {
    const customer = await this.customer(project, req.customerId);
    if (req.via !== 'link') {
      if (await this.store.surveys.isOptedOut(project.id, req.customerId))
        throw new PolsoError('SURVEY_OPTED_OUT', `Customer ${req.customerId} has opted out of surveys`);
      const address = req.via === 'email' ? customer?.email : customer?.phone;
      if (typeof address !== 'string' || address === '')
        throw new PolsoError(
          'SURVEY_NO_ADDRESS',
          `Customer ${req.customerId} has no ${req.via === 'email' ? 'email' : 'phone'} (send a customer record first)`,
        );
    }
    const now = this.now();
    const def = survey.definition;
    const invite: Invite = {
      projectId: project.id,
      id,
      surveyId: survey.id,
      version: survey.version,
      customerId: req.customerId,
      via: req.via,
      language: pickLanguage(def, customer?.language as string | undefined),
      subjectType: req.subjectType ?? null,
      subjectId: req.subjectId ?? null,
      triggeredAt: req.triggeredAt ?? null,
      createdAt: now,
      sentAt: req.via === 'link' ? now : null,
      deliveredAt: req.via === 'link' ? now : null,
      openedAt: null,
      startedAt: null,
      completedAt: null,
      remindedAt: null,
      answers: {},
    };
    const token = newLinkToken();
    const message = req.via === 'link' ? undefined : this.message(invite, def, customer!, token, false);
    const created = await this.store.surveys.createInvite(invite, hashToken(token), message);
    if (!created) {
      const existing = await this.store.surveys.getInvite(project.id, id);
      return { invite: existing ?? invite, url: null };
    }
    // An email or SMS invitation enters the funnel when it is sent (the outbox publishes it then).
    if (!message) await this.publish(project, [invitationRecord(invite, def)]);
    return { invite, url: this.linkUrl(token) };
  }

  /** Sends the outbox of a project in the background (after an invitation made through the API). */
  sendSoon(project: Project): void {
    this.background(this.flushOutbox(project));
  }

  /** The hosted page's URL for a token. */
  linkUrl(token: string): string {
    return `${this.options.baseUrl()}/s/${token}`;
  }

  private message(
    invite: Invite,
    def: SurveyDefinition,
    customer: Record<string, unknown>,
    token: string,
    reminder: boolean,
  ): OutboxMessage {
    const url = this.linkUrl(token);
    const unsubscribeUrl = `${url}/unsubscribe`;
    const id = `${invite.id}${reminder ? ':reminder' : ''}`;
    const messageId = `<${id.replace(':', '.')}@${this.options.delivery.messageDomain}>`;
    if (invite.via === 'sms')
      return {
        projectId: invite.projectId,
        id,
        inviteId: invite.id,
        channel: 'sms',
        recipient: String(customer.phone),
        messageId,
        payload: { text: invitationSms(def, invite.language, url, unsubscribeUrl) },
        attempts: 0,
      };
    const email = invitationEmail(def, invite.language, url, unsubscribeUrl, reminder);
    return {
      projectId: invite.projectId,
      id,
      inviteId: invite.id,
      channel: 'email',
      recipient: String(customer.email),
      messageId,
      payload: email,
      attempts: 0,
    };
  }

  /** Queues the one reminder of an invitation (a fresh token; the first one stays valid). */
  async remind(project: Project, invite: Invite, def: SurveyDefinition): Promise<void> {
    const customer = await this.customer(project, invite.customerId);
    const token = newLinkToken();
    await this.store.surveys.addToken(project.id, invite.id, hashToken(token));
    await this.store.surveys.enqueue(this.message(invite, def, customer ?? {}, token, true));
    await this.store.surveys.updateInvite(project.id, invite.id, { remindedAt: this.now() });
  }

  /**
   * Sends what the outbox holds for a project. A message is marked `sending` before it goes and `sent`
   * after; a failure puts it back (up to 5 attempts). The Message-ID never changes between attempts.
   */
  async flushOutbox(project: Project): Promise<{ sent: number; failed: number }> {
    let sent = 0;
    let failed = 0;
    // One claim per pass: a message that fails waits for the next pass instead of being retried at once.
    for (const m of await this.store.surveys.claimOutbox(project.id, 500)) {
      try {
        await this.deliver(m);
      } catch (error) {
        failed++;
        const retry = m.channel === 'webhook' || this.options.delivery[m.channel] !== undefined;
        await this.store.surveys.markFailed(project.id, m.id, (error as Error).message, retry);
        continue;
      }
      const at = this.now();
      await this.store.surveys.markSent(project.id, m.id, at);
      sent++;
      if (m.id !== m.inviteId) continue; // a reminder or a webhook: the funnel keeps the first send
      const invite = await this.store.surveys.getInvite(project.id, m.inviteId);
      if (!invite) continue;
      // Accepted by the server (SMTP) or the provider: the closest to "delivered" Polso can see.
      const patch = { sentAt: at, deliveredAt: at };
      await this.store.surveys.updateInvite(project.id, invite.id, patch);
      const survey = await this.get(project, invite.surveyId, invite.version);
      await this.publish(project, [invitationRecord({ ...invite, ...patch }, survey.definition)]);
    }
    return { sent, failed };
  }

  private async deliver(m: OutboxMessage): Promise<void> {
    const { email, sms } = this.options.delivery;
    if (m.channel === 'webhook') return this.post(m.projectId, m);
    if (m.channel === 'sms') {
      if (!sms) throw new Error('no SMS provider configured');
      return sms.send(m.recipient, m.payload.text, m.messageId);
    }
    if (!email) throw new Error('no email sender configured');
    await email.send({
      to: m.recipient,
      subject: m.payload.subject ?? '',
      text: m.payload.text,
      ...(m.payload.html ? { html: m.payload.html } : {}),
      messageId: m.messageId,
      ...(m.payload.unsubscribeUrl ? { unsubscribeUrl: m.payload.unsubscribeUrl } : {}),
    });
  }

  // ---- answering --------------------------------------------------------------------------------

  /** The invitation, project and survey version of a link token, or null for an unknown token. */
  async byToken(token: string): Promise<{ invite: Invite; project: Project; survey: StoredSurvey } | null> {
    if (token.length < 20 || token.length > 64) return null;
    const invite = await this.store.surveys.inviteByToken(hashToken(token));
    if (!invite) return null;
    const project = await this.store.getProject(invite.projectId);
    const survey = await this.store.surveys.getDefinition(invite.projectId, invite.surveyId, invite.version);
    return project && survey ? { invite, project, survey } : null;
  }

  /** The page was opened by a person (its script ran): the funnel's "opened" step. */
  async opened(project: Project, invite: Invite, survey: StoredSurvey): Promise<void> {
    if (invite.openedAt) return;
    const patch = { openedAt: this.now() };
    await this.store.surveys.updateInvite(project.id, invite.id, patch);
    await this.publish(project, [invitationRecord({ ...invite, ...patch }, survey.definition)]);
  }

  /**
   * Saves answers of an invitation: partial ones as the person goes, and `complete` at the end. Each
   * answer is one `survey_response` record with a stable id, so answering again replaces it — a second
   * submission updates, never counts twice. Answers to follow-ups that no longer apply are dropped.
   */
  answer(
    project: Project,
    invite: Invite,
    survey: StoredSurvey,
    input: unknown,
    complete: boolean,
  ): Promise<{ completed: boolean }> {
    // Saves of one page can overlap (an answer and the submit): each applies to the state the
    // previous one left, read again inside the queue.
    const key = `${project.id}\u0000${invite.id}`;
    const run = (this.queues.get(key) ?? Promise.resolve()).then(async () => {
      const current = (await this.store.surveys.getInvite(project.id, invite.id)) ?? invite;
      return this.applyAnswers(project, current, survey, input, complete);
    });
    const tail = run.catch(() => undefined);
    this.queues.set(key, tail);
    void tail.then(() => {
      if (this.queues.get(key) === tail) this.queues.delete(key);
    });
    return run;
  }

  private async applyAnswers(
    project: Project,
    invite: Invite,
    survey: StoredSurvey,
    input: unknown,
    complete: boolean,
  ): Promise<{ completed: boolean }> {
    const def = survey.definition;
    const { answers, problems } = parseAnswers(def, input);
    const merged: Record<string, Answer> = { ...invite.answers };
    for (const [id, a] of Object.entries(answers)) {
      if (a === null) delete merged[id];
      else merged[id] = a;
    }
    for (const q of def.questions) if (!applies(q.showIf, merged)) delete merged[q.id];
    if (complete)
      for (const q of def.questions)
        if (q.required && applies(q.showIf, merged) && merged[q.id] === undefined)
          problems.push({ path: `answers.${q.id}`, message: 'required' });
    if (problems.length > 0)
      throw new PolsoError('SURVEY_BAD_ANSWER', problems.map((p) => `${p.path}: ${p.message}`).join('; '), {
        problems,
      });
    const now = this.now();
    const answered = Object.keys(merged).length > 0;
    const updated: Invite = {
      ...invite,
      answers: merged,
      openedAt: invite.openedAt ?? now,
      startedAt: invite.startedAt ?? (answered ? now : null),
      completedAt: invite.completedAt ?? (complete ? now : null),
    };
    await this.store.surveys.updateInvite(project.id, invite.id, {
      answers: merged,
      openedAt: updated.openedAt,
      startedAt: updated.startedAt,
      completedAt: updated.completedAt,
    });
    const changed = def.questions.filter(
      (q) =>
        merged[q.id] !== undefined && JSON.stringify(merged[q.id]) !== JSON.stringify(invite.answers[q.id]),
    );
    await this.publish(project, [
      ...changed.map((q) => responseRecord(updated, def, q, merged[q.id]!, now)),
      invitationRecord(updated, def),
    ]);
    if (complete) await this.notify(project, updated, now);
    return { completed: updated.completedAt !== null };
  }

  /**
   * The widget's answers for a person (customer or anonymous visitor): one invitation per survey and
   * person (`via: widget`), created at the first answer, so answering again updates it.
   */
  async widgetAnswer(
    project: Project,
    survey: StoredSurvey,
    who: { customerId?: string; anonymousId?: string },
    language: string,
    input: unknown,
    complete: boolean,
  ): Promise<{ completed: boolean }> {
    const personId = who.customerId ?? `${PERSON_PREFIX}${who.anonymousId}`;
    const id = derivedId('wdg_', project.id, survey.id, personId);
    let invite = await this.store.surveys.getInvite(project.id, id);
    if (!invite) {
      const now = this.now();
      invite = {
        projectId: project.id,
        id,
        surveyId: survey.id,
        version: survey.version,
        customerId: personId,
        via: 'widget',
        language: pickLanguage(survey.definition, language),
        subjectType: null,
        subjectId: null,
        triggeredAt: null,
        createdAt: now,
        sentAt: now,
        deliveredAt: now,
        openedAt: now,
        startedAt: null,
        completedAt: null,
        remindedAt: null,
        answers: {},
      };
      // The token of a widget invitation is never shown: the public key and the person identify it.
      await this.store.surveys.createInvite(invite, hashToken(newLinkToken()));
      invite = (await this.store.surveys.getInvite(project.id, id))!;
    }
    const version = await this.get(project, survey.id, invite.version);
    return this.answer(project, invite, version, input, complete);
  }

  /** Records an opt-out (the unsubscribe link); no email or SMS invitation reaches the person after it. */
  async unsubscribe(project: Project, invite: Invite): Promise<void> {
    await this.store.surveys.optOut(project.id, invite.customerId, this.now());
  }

  // ---- webhooks ---------------------------------------------------------------------------------

  /** Registers a webhook for completed responses; returns its signing secret (shown once). */
  async addWebhook(project: Project, url: unknown): Promise<{ id: string; url: string; secret: string }> {
    let parsed: URL | null = null;
    try {
      parsed = typeof url === 'string' ? new URL(url) : null;
    } catch {
      parsed = null;
    }
    if (!parsed || !['http:', 'https:'].includes(parsed.protocol))
      throw new PolsoError('SURVEY_BAD_WEBHOOK', 'url: must be an http(s) URL');
    const hook = {
      id: `whk_${randomBytes(9).toString('base64url')}`,
      url: parsed.toString(),
      secret: `whsec_${randomBytes(24).toString('base64url')}`,
    };
    await this.store.surveys.addWebhook(project.id, hook, this.now());
    return hook;
  }

  /**
   * Queues a completed response for each webhook, in the outbox: a receiver that is down gets it on a
   * later pass (up to 5 attempts), and a restart loses nothing. Each completion (an update too) is
   * one event, with its own id.
   */
  private async notify(project: Project, invite: Invite, at: string): Promise<void> {
    const hooks = await this.store.surveys.listWebhooks(project.id);
    const event = `${invite.id}:${at}`;
    const body = JSON.stringify({
      type: 'survey.response.completed',
      id: event,
      projectId: project.id,
      invitationId: invite.id,
      surveyId: invite.surveyId,
      version: invite.version,
      ...person(invite),
      language: invite.language,
      subjectType: invite.subjectType,
      subjectId: invite.subjectId,
      completedAt: invite.completedAt,
      answers: invite.answers,
    });
    for (const h of hooks)
      await this.store.surveys.enqueue({
        projectId: project.id,
        id: `${event}:${h.id}`,
        inviteId: invite.id,
        channel: 'webhook',
        recipient: h.url,
        messageId: event,
        payload: { text: body, hookId: h.id },
        attempts: 0,
      });
    if (hooks.length > 0) this.sendSoon(project);
  }

  /**
   * POSTs an event to a webhook, signed: header `Polso-Signature: t=<unix>,v1=<hex>` where
   * v1 = HMAC-SHA256(secret, `<t>.<body>`); the timestamp lets a receiver refuse replays, and
   * `Polso-Event` (also `id` in the body) lets it recognise a retry.
   */
  private async post(projectId: string, m: OutboxMessage): Promise<void> {
    const hook = (await this.store.surveys.listWebhooks(projectId)).find((h) => h.id === m.payload.hookId);
    if (!hook) return; // removed since: nothing to send
    const t = Math.floor(this.options.clock.now().getTime() / 1000);
    const v1 = createHmac('sha256', hook.secret).update(`${t}.${m.payload.text}`).digest('hex');
    const res = await fetch(hook.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'polso-signature': `t=${t},v1=${v1}`,
        'polso-event': m.messageId,
      },
      body: m.payload.text,
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw new Error(`webhook ${hook.id} answered ${res.status}`);
  }

  // ---- records ----------------------------------------------------------------------------------

  /** Stores survey records through ingestion (the same validation as the API). */
  private async publish(project: Project, records: Record<string, unknown>[]): Promise<void> {
    const items = records.map((value, index) => ({ index, value }));
    const result = await ingestItems(this.store, project, 'write', items, DEFAULT_LIMITS);
    if (result.rejectedCount > 0)
      throw new Error(`survey records rejected: ${JSON.stringify(result.rejected)}`);
  }
}
