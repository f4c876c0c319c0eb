/**
 * @module surveys/state
 * The working state of surveys that is not a record: definitions and their versions, invitations with
 * their link-token hashes, scheduled jobs, the outbox, opt-outs and webhooks. The store implements it
 * (`store/duckdb/surveys.ts`); what is measured is published as `survey_invitation` and
 * `survey_response` records through ingestion.
 */
import type { RecordKind } from '../model/kinds.ts';
import type { SurveyDefinition } from './definition.ts';

/** One stored version of a definition. */
export interface StoredSurvey {
  id: string;
  version: number;
  definition: SurveyDefinition;
  createdAt: string;
}

/** An answer: a score, a choice id, choice ids, or a text. */
export type Answer = number | string | string[];

/** An invitation's working state. */
export interface Invite {
  projectId: string;
  id: string;
  surveyId: string;
  version: number;
  customerId: string;
  via: 'link' | 'email' | 'sms' | 'widget';
  language: string;
  subjectType: string | null;
  subjectId: string | null;
  triggeredAt: string | null;
  createdAt: string;
  sentAt: string | null;
  deliveredAt: string | null;
  openedAt: string | null;
  startedAt: string | null;
  completedAt: string | null;
  remindedAt: string | null;
  answers: Record<string, Answer>;
}

/** Funnel and answer fields an update may set. */
export type InvitePatch = Partial<
  Pick<Invite, 'sentAt' | 'deliveredAt' | 'openedAt' | 'startedAt' | 'completedAt' | 'remindedAt' | 'answers'>
>;

/** A scheduled job: an invitation to create (`invite`) or a reminder to send (`remind`). */
export interface Job {
  projectId: string;
  id: string;
  kind: 'invite' | 'remind';
  surveyId: string;
  dueAt: string;
  payload: JobPayload;
}

export interface JobPayload {
  customerId: string;
  via: 'link' | 'email' | 'sms';
  subjectType?: string;
  subjectId?: string;
  triggeredAt?: string;
  inviteId?: string;
}

/** A message waiting to go out (or gone: then its payload is cleared). */
export interface OutboxMessage {
  projectId: string;
  id: string;
  inviteId: string;
  /** `webhook`: a completed response for a webhook (`recipient` is its URL). */
  channel: 'email' | 'sms' | 'webhook';
  recipient: string;
  /** Stable across retries: a receiver recognises a message it already has. */
  messageId: string;
  payload: { subject?: string; text: string; html?: string; unsubscribeUrl?: string; hookId?: string };
  attempts: number;
}

/** What a trigger looks for: records of `kind` whose field `at` lies in [from, to], matching `where`. */
export interface TriggerScan {
  kind: RecordKind;
  at: string;
  where: Readonly<Record<string, readonly (string | number | boolean)[]>>;
  /** Jobs of this trigger have ids `jobPrefix + record id`. */
  jobPrefix: string;
  from: string;
  to: string;
}

/** A record that fires a trigger: its id, customer and trigger time. */
export interface TriggerHit {
  recordId: string;
  customerId: string;
  at: string;
}

/** Drop-off per question (see {@link SurveyState.dropoff}). */
export interface Dropoff {
  started: number;
  completed: number;
  questions: { id: string; answered: number; stoppedHere: number }[];
}

export interface Webhook {
  id: string;
  url: string;
  secret: string;
}

/** Storage of the survey state; every method is scoped to one project. */
export interface SurveyState {
  /** Stores a new version of a survey (1 for a new id) and returns it. */
  saveDefinition(projectId: string, id: string, definition: SurveyDefinition): Promise<StoredSurvey>;
  /** A version of a survey; the latest without `version`. */
  getDefinition(projectId: string, id: string, version?: number): Promise<StoredSurvey | null>;
  /** The latest version of every survey of a project. */
  listDefinitions(projectId: string): Promise<StoredSurvey[]>;
  /** Projects that have at least one survey (the scheduler's work list). */
  projectsWithSurveys(): Promise<string[]>;

  /**
   * Creates an invitation with its first token hash and, in the same transaction, its first message;
   * false when the id exists (nothing changes), so a job run twice invites once.
   */
  createInvite(invite: Invite, tokenHash: string, message?: OutboxMessage): Promise<boolean>;
  addToken(projectId: string, inviteId: string, tokenHash: string): Promise<void>;
  inviteByToken(tokenHash: string): Promise<Invite | null>;
  getInvite(projectId: string, id: string): Promise<Invite | null>;
  updateInvite(projectId: string, id: string, patch: InvitePatch): Promise<void>;
  /** When the customer was last asked (any survey, any route), if ever. */
  lastAsked(projectId: string, customerId: string): Promise<string | null>;

  /** Schedules jobs; ids already known are left as they are. Returns how many are new. */
  addJobs(jobs: readonly Job[]): Promise<number>;
  dueJobs(projectId: string, now: string, limit: number): Promise<Job[]>;
  /** Closes a job (`done` or `skipped`, with why), or moves it to a later time (`pending`). */
  settleJob(
    projectId: string,
    id: string,
    status: 'done' | 'skipped' | 'pending',
    outcome: string,
    dueAt?: string,
  ): Promise<void>;
  /** Records matching a trigger whose time lies in [from, to] and that have no job yet. */
  triggerHits(projectId: string, scan: TriggerScan): Promise<TriggerHit[]>;
  /** Whether the customer has an event with this name and/or feature (journey eligibility). */
  hasEvent(
    projectId: string,
    customerId: string,
    match: { name?: string; feature?: string },
  ): Promise<boolean>;
  /** Invitations sent at least `hours` before `now`, not completed and not reminded. */
  reminderCandidates(projectId: string, surveyId: string, sentBefore: string): Promise<Invite[]>;

  /**
   * Drop-off per question of a survey (questions in order): how many started invitations answered
   * each, and how many stopped there (answered it last and never completed).
   */
  dropoff(projectId: string, surveyId: string, questionIds: readonly string[]): Promise<Dropoff>;

  /** Queues a message; an id already queued is left as it is. */
  enqueue(message: OutboxMessage): Promise<void>;
  /** Takes pending messages for sending (marked `sending`, attempts + 1). */
  claimOutbox(projectId: string, limit: number): Promise<OutboxMessage[]>;
  /** Sent: the payload (which holds a link token) is cleared. */
  markSent(projectId: string, id: string, at: string): Promise<void>;
  /** Not sent: back to pending while attempts remain, else failed. */
  markFailed(projectId: string, id: string, error: string, retry: boolean): Promise<void>;
  /** After a crash, messages left `sending` go back to pending (same Message-ID). */
  recoverOutbox(): Promise<number>;
  outboxStatus(
    projectId: string,
    inviteId: string,
  ): Promise<{ status: string; attempts: number; messageId: string }[]>;

  optOut(projectId: string, customerId: string, at: string): Promise<void>;
  isOptedOut(projectId: string, customerId: string): Promise<boolean>;

  addWebhook(projectId: string, hook: Webhook, at: string): Promise<void>;
  listWebhooks(projectId: string): Promise<Webhook[]>;
}
