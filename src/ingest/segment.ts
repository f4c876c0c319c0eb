/**
 * @module ingest/segment
 * Segment-compatible intake: maps `identify`, `track`, `page`, `screen`, `group` and `alias` messages
 * (https://segment.com/docs/connections/spec/) to Polso records. `messageId` becomes the record id of
 * every event, so a retried message is stored once; `sentAt` corrects the client's clock skew.
 */
import { recordError } from '../errors.ts';
import { CUSTOMER_TRAIT_FIELDS } from '../model/kinds.ts';
import type { ParsedItem } from './batch.ts';

type Json = Record<string, unknown>;

/** Result of mapping a list of messages: records to ingest, and identity links to apply. */
export interface SegmentPlan {
  items: ParsedItem[];
  aliases: { index: number; anonymousId: string; customerId: string }[];
  /** Subscription ids whose cancellation must be completed from the stored subscription. */
  subscriptionsToComplete: { index: number; id: string }[];
}

const ORDER_COMPLETED = new Set(['order completed', 'checkout completed']);
const ORDER_REFUNDED = new Set(['order refunded']);
const SUB_STARTED = new Set(['subscription started', 'subscription created', 'trial started']);
const SUB_ENDED = new Set(['subscription cancelled', 'subscription canceled', 'subscription ended']);

const obj = (v: unknown): Json =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};
const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;

/**
 * Event time of a message: `timestamp` shifted by the client's clock skew (`receivedAt - sentAt`),
 * as Segment does; without `sentAt` the timestamp is taken as is, without either, the arrival time.
 */
export function correctedTimestamp(msg: Json, batchSentAt: unknown, receivedAt: Date): string {
  const ts = Date.parse(String(msg.timestamp ?? msg.originalTimestamp ?? ''));
  const sent = Date.parse(String(msg.sentAt ?? batchSentAt ?? ''));
  if (Number.isNaN(ts)) return receivedAt.toISOString();
  if (Number.isNaN(sent)) return new Date(ts).toISOString();
  return new Date(ts + (receivedAt.getTime() - sent)).toISOString();
}

function person(msg: Json): Json {
  const out: Json = {};
  const userId = str(msg.userId);
  const anonymousId = str(msg.anonymousId);
  if (userId) out.customerId = userId;
  if (anonymousId) out.anonymousId = anonymousId;
  return out;
}

function withoutKeys(source: Json, keys: readonly string[]): Json | undefined {
  const rest = Object.fromEntries(Object.entries(source).filter(([k]) => !keys.includes(k)));
  return Object.keys(rest).length > 0 ? rest : undefined;
}

const CUSTOMER_TRAITS = CUSTOMER_TRAIT_FIELDS;

function customerFromTraits(id: string, timestamp: string, traits: Json, context: Json): Json {
  const rec: Json = { type: 'customer', id, timestamp };
  for (const t of CUSTOMER_TRAITS) if (str(traits[t])) rec[t] = str(traits[t]);
  const address = obj(traits.address);
  if (!rec.country && str(address.country) && String(address.country).length === 2)
    rec.country = address.country;
  if (!rec.language && str(context.locale)) rec.language = String(context.locale).slice(0, 35);
  if (!rec.timeZone && str(context.timezone)) rec.timeZone = context.timezone;
  if (!rec.name && (str(traits.firstName) || str(traits.lastName)))
    rec.name = [traits.firstName, traits.lastName].filter(Boolean).join(' ');
  if (str(traits.createdAt)) rec.acquiredAt = traits.createdAt;
  const rest = withoutKeys(traits, [...CUSTOMER_TRAITS, 'createdAt']);
  if (rest) rec.traits = rest;
  return rec;
}

function trackRecord(msg: Json, timestamp: string, project: { currency: string }): Json {
  const event = String(msg.event ?? '');
  const lower = event.toLowerCase();
  const props = obj(msg.properties);
  const who = person(msg);
  const messageId = str(msg.messageId);
  if (ORDER_COMPLETED.has(lower) || ORDER_REFUNDED.has(lower)) {
    const orderId = str(props.order_id) ?? str(props.orderId) ?? messageId;
    const products = Array.isArray(props.products) ? props.products : undefined;
    const fromProducts = products?.reduce(
      (sum: number, p) => sum + Number(obj(p).price ?? 0) * Number(obj(p).quantity ?? 1),
      0,
    );
    const refunded = ORDER_REFUNDED.has(lower);
    return {
      type: 'order',
      id: refunded ? `${orderId}:refund` : orderId,
      timestamp,
      ...who,
      amount: props.total ?? props.revenue ?? props.value ?? fromProducts,
      currency: str(props.currency)?.toUpperCase() ?? project.currency,
      status: refunded ? 'refunded' : 'completed',
      ...(products ? { items: products } : {}),
    };
  }
  if (SUB_STARTED.has(lower) || SUB_ENDED.has(lower)) {
    const id = str(props.subscription_id) ?? str(props.subscriptionId);
    const ended = SUB_ENDED.has(lower);
    return {
      type: 'subscription',
      id: id ?? `${who.customerId ?? who.anonymousId}:${str(props.plan) ?? 'default'}`,
      timestamp,
      ...who,
      plan: str(props.plan) ?? str(props.plan_name),
      mrr: props.mrr ?? props.amount,
      startedAt: ended ? props.started_at : (props.started_at ?? timestamp),
      ...(ended ? { endedAt: props.ended_at ?? timestamp } : {}),
    };
  }
  return eventRecord(msg, timestamp, event, props);
}

function eventRecord(msg: Json, timestamp: string, name: string, props: Json, page?: string): Json {
  const context = obj(msg.context);
  const sessionId = str(props.session_id) ?? str(props.sessionId) ?? str(context.sessionId);
  const rest = withoutKeys(props, ['feature', 'session_id', 'sessionId']) ?? {};
  if (str(context.channel)) rest.channel = context.channel;
  return {
    type: 'event',
    id: str(msg.messageId),
    timestamp,
    ...person(msg),
    name: name || 'Unnamed Event',
    ...(page ? { page } : {}),
    ...(str(props.feature) ? { feature: str(props.feature) } : {}),
    ...(sessionId ? { sessionId } : {}),
    ...(Object.keys(rest).length > 0 ? { properties: rest } : {}),
  };
}

/**
 * Maps Segment messages to records. `forcedType` is the endpoint's type (`/v1/track` → track);
 * in a `/v1/batch` each message carries its own.
 */
export function mapSegment(
  messages: readonly unknown[],
  opts: {
    forcedType?: string;
    batchSentAt?: unknown;
    receivedAt: Date;
    currency: string;
    /** Map commerce events to orders and subscriptions (false for browser keys: they stay events). */
    typed: boolean;
  },
): SegmentPlan {
  const plan: SegmentPlan = { items: [], aliases: [], subscriptionsToComplete: [] };
  for (const [index, raw] of messages.entries()) mapOne(plan, raw, index, opts);
  accumulateCustomerPatches(plan.items);
  return plan;
}

/**
 * Several identify/group calls for one user in a batch: each becomes the user's profile so far
 * (earlier fields kept, traits merged), so the last one — which wins — carries all of them.
 */
function accumulateCustomerPatches(items: ParsedItem[]): void {
  const sofar = new Map<string, Json>();
  for (const item of items) {
    if (!('value' in item)) continue;
    const rec = item.value as Json;
    if (rec.type !== 'customer') continue;
    const id = String(rec.id);
    const prev = sofar.get(id);
    const merged = prev ? { ...prev, ...rec, traits: { ...obj(prev.traits), ...obj(rec.traits) } } : rec;
    if (merged.traits && Object.keys(obj(merged.traits)).length === 0) delete merged.traits;
    sofar.set(id, merged);
    (item as { value: unknown }).value = merged;
  }
}

function mapOne(
  plan: SegmentPlan,
  raw: unknown,
  index: number,
  opts: Parameters<typeof mapSegment>[1],
): void {
  {
    const msg = obj(raw);
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      plan.items.push({ index, error: recordError(index, null, 'RECORD_NOT_OBJECT') });
      return;
    }
    const type = String(opts.forcedType ?? msg.type ?? '');
    const timestamp = correctedTimestamp(msg, opts.batchSentAt, opts.receivedAt);
    const userId = str(msg.userId);
    const reject = (field: string, message: string): void => {
      plan.items.push({ index, error: recordError(index, field, 'RECORD_MISSING_FIELD', message) });
    };
    if (!str(msg.messageId) && ['track', 'page', 'screen'].includes(type)) {
      reject('messageId', 'messageId: required (it is the idempotency key)');
      return;
    }
    switch (type) {
      case 'identify':
        if (!userId) {
          reject('userId', 'userId: identify needs a userId to update a customer');
          return;
        }
        plan.items.push({
          index,
          value: customerFromTraits(userId, timestamp, obj(msg.traits), obj(msg.context)),
        });
        return;
      case 'group':
        if (!userId) {
          reject('userId', 'userId: group needs a userId to set the account of');
          return;
        }
        if (!str(msg.groupId)) {
          reject('groupId', 'groupId: required');
          return;
        }
        plan.items.push({
          index,
          value: { type: 'customer', id: userId, timestamp, accountId: str(msg.groupId) },
        });
        return;
      case 'alias': {
        const previousId = str(msg.previousId);
        if (!previousId || !userId) {
          reject('previousId', 'alias needs previousId and userId');
          return;
        }
        plan.aliases.push({ index, anonymousId: previousId, customerId: userId });
        return;
      }
      case 'track': {
        if (!str(msg.event)) {
          reject('event', 'event: track needs an event name');
          return;
        }
        const rec = opts.typed
          ? trackRecord(msg, timestamp, { currency: opts.currency })
          : eventRecord(msg, timestamp, String(msg.event), obj(msg.properties));
        if (rec.type === 'subscription' && rec.plan === undefined)
          plan.subscriptionsToComplete.push({ index, id: String(rec.id) });
        plan.items.push({ index, value: rec });
        return;
      }
      case 'page':
      case 'screen': {
        const props = obj(msg.properties);
        const page =
          str(props.path) ?? str(msg.name) ?? str(obj(obj(msg.context).page).path) ?? str(props.url);
        const name = type === 'page' ? 'Page Viewed' : 'Screen Viewed';
        plan.items.push({ index, value: eventRecord(msg, timestamp, name, props, page) });
        return;
      }
      default:
        plan.items.push({
          index,
          error: recordError(
            index,
            'type',
            'RECORD_UNSUPPORTED_MESSAGE',
            `type: unsupported Segment message "${type}"`,
          ),
        });
    }
  }
}
