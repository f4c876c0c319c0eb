/**
 * @module model/kinds
 * The record model: one declarative schema per record kind. Everything else — the stored
 * columns, the validation run at ingestion, the documentation in `docs/records.md` — is derived
 * from these definitions, so a field is named and constrained in exactly one place.
 */

/** Value types a field can carry. `json` is a free-form object, `list` a list of strings. */
export type FieldType = 'string' | 'text' | 'integer' | 'number' | 'boolean' | 'timestamp' | 'json' | 'list';

/** One field of a record kind, as written in the API (camelCase) and stored (snake_case column). */
export interface FieldSpec {
  readonly name: string;
  readonly column: string;
  readonly type: FieldType;
  readonly required?: boolean;
  readonly values?: readonly string[];
  readonly min?: number;
  readonly max?: number;
  /** Maximum length for strings (characters). Defaults: 256 for `string`, 10,000 for `text`. */
  readonly maxLength?: number;
  /** Value stored when the field is absent. */
  readonly default?: string | number | boolean;
  readonly doc: string;
}

/** `state` records change over time (a known id with new content replaces); `fact` records never do. */
export type Lifecycle = 'state' | 'fact';

export interface KindSpec {
  readonly kind: RecordKind;
  readonly table: string;
  readonly lifecycle: Lifecycle;
  /** Whether a person is involved: then `customerId` or `anonymousId` is required. */
  readonly person: boolean;
  readonly fields: readonly FieldSpec[];
  readonly doc: string;
  readonly example: Record<string, unknown>;
}

export const RECORD_KINDS = [
  'customer',
  'contact',
  'survey_response',
  'survey_invitation',
  'order',
  'subscription',
  'event',
  'social',
  'cost',
  'task',
] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];

export const CHANNELS = ['voice', 'chat', 'email', 'sms', 'social', 'video', 'webform', 'other'] as const;

const f = (
  name: string,
  type: FieldType,
  doc: string,
  extra: Partial<Omit<FieldSpec, 'name' | 'type' | 'doc'>> = {},
): FieldSpec => ({ name, column: extra.column ?? snake(name), type, doc, ...extra });

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

const seconds = (name: string, doc: string) => f(name, 'number', doc, { min: 0, max: 31_536_000 });

/** Fields every record has. `timestamp` is stored in column `ts`. */
export const COMMON_FIELDS: readonly FieldSpec[] = [
  f('id', 'string', 'Unique per project and kind; the idempotency key.', { required: true }),
  f('timestamp', 'timestamp', 'Event time, ISO 8601 with offset.', { required: true, column: 'ts' }),
];

/** Fields of records that involve a person (one of the two is required). */
export const PERSON_FIELDS: readonly FieldSpec[] = [
  f('customerId', 'string', 'Known customer id (the `id` of a `customer` record).'),
  f('anonymousId', 'string', 'Anonymous identity (device, cookie, social handle) until an alias links it.'),
];

/** Fields of state records. */
export const STATE_FIELDS: readonly FieldSpec[] = [
  f(
    'updatedAt',
    'timestamp',
    'When this version of the state was true; the later one wins. Defaults to arrival.',
  ),
];

const SURVEY_METRICS = ['nps', 'csat', 'ces', 'rating', 'choice', 'text'] as const;

export const KINDS: Readonly<Record<RecordKind, KindSpec>> = {
  customer: {
    kind: 'customer',
    table: 'customers',
    lifecycle: 'state',
    person: false,
    doc: 'A person or business the project serves. Its `id` is the customer id other records refer to.',
    fields: [
      f('traits', 'json', 'Free-form traits; the well-known ones are also stored as columns.'),
      f('name', 'string', 'Display name (also accepted as `traits.name`).'),
      f('email', 'string', 'Email address.', { maxLength: 320 }),
      f('phone', 'string', 'Phone number, E.164 preferred.', { maxLength: 32 }),
      f('segment', 'string', 'Segment (e.g. smb, enterprise, consumer).'),
      f('plan', 'string', 'Current plan.'),
      f('country', 'string', 'ISO 3166-1 alpha-2 country code.', { maxLength: 2 }),
      f('language', 'string', 'Preferred language (BCP 47, e.g. it, en).', { maxLength: 35 }),
      f('timeZone', 'string', 'IANA time zone (e.g. Europe/Rome), for quiet hours and local-time reports.', {
        maxLength: 64,
      }),
      f('accountId', 'string', 'B2B account the customer belongs to (Segment `group`).'),
      f('acquiredAt', 'timestamp', 'When the customer was acquired.'),
      f('churnedAt', 'timestamp', 'When the customer was lost, if known.'),
    ],
    example: {
      type: 'customer',
      id: 'cus_1042',
      timestamp: '2026-03-02T10:15:00+01:00',
      name: 'Giulia Rossi',
      email: 'giulia.rossi@example.it',
      segment: 'smb',
      plan: 'pro',
      country: 'IT',
      language: 'it',
      timeZone: 'Europe/Rome',
      acquiredAt: '2025-11-20T09:00:00+01:00',
      traits: { company: 'Ferramenta Rossi srl', employees: 12 },
    },
  },
  contact: {
    kind: 'contact',
    table: 'contacts',
    lifecycle: 'state',
    person: true,
    doc: 'One conversation or call on one channel, with its timings. `timestamp` is its creation.',
    fields: [
      f('channel', 'string', 'Channel of the contact.', { required: true, values: CHANNELS }),
      f('direction', 'string', 'Who opened it.', { values: ['inbound', 'outbound'], default: 'inbound' }),
      f('reason', 'string', 'Contact reason (one, for FCR by reason).'),
      f('tags', 'list', 'Labels.'),
      f('touchpoint', 'string', 'Journey touchpoint (e.g. delivery, billing).'),
      f('agentId', 'string', 'Agent who handled it.'),
      f('teamId', 'string', 'Team that handled it.'),
      f('firstResponseAt', 'timestamp', 'First public, human reply (bots and private notes do not count).'),
      f('firstResolvedAt', 'timestamp', 'First time it was resolved.'),
      f('resolvedAt', 'timestamp', 'Final resolution (after any reopening).'),
      f('reopenCount', 'integer', 'Times it was reopened after a resolution.', {
        min: 0,
        max: 10_000,
        default: 0,
      }),
      seconds('talkSeconds', 'Talk time (voice, video) or active handling time.'),
      seconds('holdSeconds', 'Hold time.'),
      seconds('conferenceSeconds', 'Conference time.'),
      seconds('wrapUpSeconds', 'After-contact work.'),
      seconds('waitSeconds', 'Queue wait before an answer (or before abandoning).'),
      f('abandoned', 'boolean', 'The customer left the queue before an answer.', { default: false }),
      f('resolvedOnFirstContact', 'boolean', 'Explicit first-contact-resolution flag (agent or survey).'),
    ],
    example: {
      type: 'contact',
      id: 'tkt_88123',
      timestamp: '2026-03-02T10:20:00+01:00',
      customerId: 'cus_1042',
      channel: 'chat',
      reason: 'billing',
      agentId: 'agt_7',
      teamId: 'support_it',
      firstResponseAt: '2026-03-02T10:21:10+01:00',
      resolvedAt: '2026-03-02T10:34:00+01:00',
      firstResolvedAt: '2026-03-02T10:34:00+01:00',
      talkSeconds: 610,
      waitSeconds: 70,
    },
  },
  survey_response: {
    kind: 'survey_response',
    table: 'survey_responses',
    lifecycle: 'state',
    person: true,
    doc: 'The answer to one question. A multi-question submission shares one `responseId`.',
    fields: [
      f('surveyId', 'string', 'Survey.', { required: true }),
      f('questionId', 'string', 'Question within the survey.', { required: true }),
      f('metric', 'string', 'What the question measures.', { required: true, values: SURVEY_METRICS }),
      f('score', 'number', 'Numeric answer on the question scale; absent when the question was skipped.'),
      f('scaleMin', 'integer', 'Lowest point of the scale (defaults: nps 0, csat/ces/rating 1).', {
        min: -100,
        max: 100,
      }),
      f('scaleMax', 'integer', 'Highest point of the scale (defaults: nps 10, csat 5, ces 7, rating 5).', {
        min: -100,
        max: 100,
      }),
      f('direction', 'string', 'For CES: which end of the scale is easy (default higher_is_easier).', {
        values: ['higher_is_easier', 'lower_is_easier'],
      }),
      f('value', 'text', 'Answer of a choice or text question (choices joined by newline).'),
      f('comment', 'text', 'Open comment.'),
      f('language', 'string', 'Language the survey was answered in.', { maxLength: 35 }),
      f('touchpoint', 'string', 'Touchpoint the survey measures (e.g. after_chat, delivery).'),
      f('channel', 'string', 'Channel of the interaction being rated.', { values: CHANNELS }),
      f('responseId', 'string', 'One submission of a multi-question survey.'),
      f('invitationId', 'string', 'Invitation that led to the answer.'),
      f('subjectType', 'string', 'What is rated (contact, order, feature…).'),
      f('subjectId', 'string', 'Id of what is rated.'),
    ],
    example: {
      type: 'survey_response',
      id: 'rsp_5501:q1',
      timestamp: '2026-03-02T11:40:00+01:00',
      customerId: 'cus_1042',
      surveyId: 'csat_after_chat',
      questionId: 'q1',
      metric: 'csat',
      score: 4,
      scaleMin: 1,
      scaleMax: 5,
      comment: 'Veloce e gentile',
      touchpoint: 'support',
      channel: 'chat',
      responseId: 'rsp_5501',
      subjectType: 'contact',
      subjectId: 'tkt_88123',
    },
  },
  survey_invitation: {
    kind: 'survey_invitation',
    table: 'survey_invitations',
    lifecycle: 'state',
    person: true,
    doc: 'An invitation to answer a survey, with its funnel timestamps as they become known.',
    fields: [
      f('surveyId', 'string', 'Survey.', { required: true }),
      f('via', 'string', 'Delivery route.', { required: true, values: ['link', 'email', 'sms', 'widget'] }),
      f('touchpoint', 'string', 'Touchpoint the survey measures.'),
      f('subjectType', 'string', 'What is rated.'),
      f('subjectId', 'string', 'Id of what is rated.'),
      f('sentAt', 'timestamp', 'Sent.'),
      f('deliveredAt', 'timestamp', 'Delivered.'),
      f('openedAt', 'timestamp', 'Opened.'),
      f('startedAt', 'timestamp', 'First answer given.'),
      f('completedAt', 'timestamp', 'All answers given.'),
    ],
    example: {
      type: 'survey_invitation',
      id: 'inv_331',
      timestamp: '2026-03-02T11:34:00+01:00',
      customerId: 'cus_1042',
      surveyId: 'csat_after_chat',
      via: 'email',
      subjectType: 'contact',
      subjectId: 'tkt_88123',
      sentAt: '2026-03-02T11:34:00+01:00',
      deliveredAt: '2026-03-02T11:34:02+01:00',
      openedAt: '2026-03-02T11:39:30+01:00',
    },
  },
  order: {
    kind: 'order',
    table: 'orders',
    lifecycle: 'fact',
    person: true,
    doc: 'A purchase (or a refund, with status `refunded`). Amounts in another currency are converted with the project rate.',
    fields: [
      f('amount', 'number', 'Order total, in `currency`.', { required: true, min: 0, max: 1e12 }),
      f(
        'currency',
        'string',
        'ISO 4217 code; must be the reporting currency or have a rate in the project.',
        {
          required: true,
          maxLength: 3,
        },
      ),
      f('status', 'string', 'completed or refunded.', {
        values: ['completed', 'refunded'],
        default: 'completed',
      }),
      f('items', 'json', 'Line items (free-form list or object).'),
      f('channel', 'string', 'Sales channel (web, store, app…).'),
    ],
    example: {
      type: 'order',
      id: 'ord_2026_00017',
      timestamp: '2026-03-03T18:02:00+01:00',
      customerId: 'cus_1042',
      amount: 129.9,
      currency: 'EUR',
      items: [{ sku: 'TRAP-18V', quantity: 1, price: 129.9 }],
    },
  },
  subscription: {
    kind: 'subscription',
    table: 'subscriptions',
    lifecycle: 'state',
    person: true,
    doc: 'A subscription with its plan and monthly recurring revenue; `endedAt` when it ends.',
    fields: [
      f('plan', 'string', 'Plan.', { required: true }),
      f('mrr', 'number', 'Monthly recurring revenue, in the reporting currency.', { min: 0, max: 1e12 }),
      f('startedAt', 'timestamp', 'Start.', { required: true }),
      f('endedAt', 'timestamp', 'End (cancellation effective date).'),
    ],
    example: {
      type: 'subscription',
      id: 'sub_77',
      timestamp: '2025-11-20T09:00:00+01:00',
      customerId: 'cus_1042',
      plan: 'pro',
      mrr: 49,
      startedAt: '2025-11-20T09:00:00+01:00',
    },
  },
  event: {
    kind: 'event',
    table: 'events',
    lifecycle: 'fact',
    person: true,
    doc: 'Product and web usage: a named event, a page view (with `page`), a feature use (with `feature`).',
    fields: [
      f('name', 'string', 'Event name (e.g. "Report Exported", "Page Viewed").', { required: true }),
      f('page', 'string', 'Page path or name, for page views.', { maxLength: 2048 }),
      f('feature', 'string', 'Feature used.'),
      f('sessionId', 'string', 'Session (visit) id.'),
      f('properties', 'json', 'Other properties.'),
    ],
    example: {
      type: 'event',
      id: 'evt_9f1c',
      timestamp: '2026-03-04T09:12:44+01:00',
      customerId: 'cus_1042',
      name: 'Report Exported',
      feature: 'reports',
      sessionId: 's_4410',
      properties: { format: 'pdf' },
    },
  },
  social: {
    kind: 'social',
    table: 'social',
    lifecycle: 'fact',
    person: true,
    doc: 'An interaction on social media (like, share, comment, mention, poll vote).',
    fields: [
      f('platform', 'string', 'Platform (instagram, facebook, linkedin, x, tiktok…).', { required: true }),
      f('kind', 'string', 'Interaction kind.', {
        required: true,
        values: ['like', 'share', 'comment', 'mention', 'poll_vote'],
      }),
      f('postId', 'string', 'Post interacted with.'),
      f('text', 'text', 'Text of a comment or mention.'),
    ],
    example: {
      type: 'social',
      id: 'ig_17890011',
      timestamp: '2026-03-05T20:01:00+01:00',
      anonymousId: 'ig:@giulia.r',
      platform: 'instagram',
      kind: 'comment',
      postId: 'post_311',
      text: 'Servizio clienti top!',
    },
  },
  cost: {
    kind: 'cost',
    table: 'costs',
    lifecycle: 'fact',
    person: false,
    doc: 'Acquisition spend over a period (marketing, sales), for CAC.',
    fields: [
      f('amount', 'number', 'Spend, in `currency`.', { required: true, min: 0, max: 1e12 }),
      f('currency', 'string', 'ISO 4217 code (reporting currency or one with a project rate).', {
        required: true,
        maxLength: 3,
      }),
      f('category', 'string', 'marketing, sales or other.', {
        values: ['marketing', 'sales', 'other'],
        default: 'marketing',
      }),
      f('periodStart', 'timestamp', 'Start of the period the spend covers (default: timestamp).'),
      f('periodEnd', 'timestamp', 'End of the period (exclusive).'),
    ],
    example: {
      type: 'cost',
      id: 'ads_2026_03',
      timestamp: '2026-03-01T00:00:00+01:00',
      amount: 4200,
      currency: 'EUR',
      category: 'marketing',
      periodStart: '2026-03-01T00:00:00+01:00',
      periodEnd: '2026-04-01T00:00:00+02:00',
    },
  },
  task: {
    kind: 'task',
    table: 'tasks',
    lifecycle: 'fact',
    person: true,
    doc: 'One attempt at a usability task.',
    fields: [
      f('taskId', 'string', 'Task.', { required: true }),
      f('success', 'boolean', 'Whether the task was completed.', { required: true }),
      seconds('durationSeconds', 'Time on task.'),
    ],
    example: {
      type: 'task',
      id: 'ut_12_p3_t1',
      timestamp: '2026-02-10T15:00:00+01:00',
      customerId: 'cus_1042',
      taskId: 'checkout',
      success: true,
      durationSeconds: 95,
    },
  },
};

/** All fields of a kind, in stored order: common, person, state, then the kind's own. */
export function fieldsOf(spec: KindSpec): readonly FieldSpec[] {
  return [
    ...COMMON_FIELDS,
    ...(spec.person ? PERSON_FIELDS : []),
    ...(spec.lifecycle === 'state' ? STATE_FIELDS : []),
    ...spec.fields,
  ];
}

/** Type guard for a record kind name. */
export function isRecordKind(value: unknown): value is RecordKind {
  return typeof value === 'string' && (RECORD_KINDS as readonly string[]).includes(value);
}

/** Default survey scales per metric (the catalogue's conventions). */
export const SCALE_DEFAULTS: Readonly<Record<string, { min: number; max: number }>> = {
  nps: { min: 0, max: 10 },
  csat: { min: 1, max: 5 },
  ces: { min: 1, max: 7 },
  rating: { min: 1, max: 5 },
};

/** Maximum length of a string field (characters). */
export function maxLengthOf(field: FieldSpec): number {
  return field.maxLength ?? (field.type === 'text' ? 10_000 : 256);
}

/** Kinds of JSON value, as `typeof` sees them (with arrays apart). */
export type JsonKind = 'string' | 'number' | 'boolean' | 'object' | 'array';

/** JSON values each field type accepts (a list may also be one string). */
export const JSON_KINDS: Readonly<Record<FieldType, readonly JsonKind[]>> = {
  string: ['string'],
  text: ['string'],
  integer: ['number'],
  number: ['number'],
  boolean: ['boolean'],
  timestamp: ['string'],
  json: ['object', 'array'],
  list: ['array', 'string'],
};

export function jsonKindOf(value: unknown): JsonKind | null {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return 'array';
  const t = typeof value;
  return t === 'string' || t === 'number' || t === 'boolean' || t === 'object' ? t : null;
}

/** Customer fields that are also traits (a Segment `identify` sends them inside `traits`). */
export const CUSTOMER_TRAIT_FIELDS = [
  'name',
  'email',
  'phone',
  'segment',
  'plan',
  'country',
  'language',
  'timeZone',
] as const;
