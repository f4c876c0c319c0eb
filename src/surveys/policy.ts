/**
 * @module surveys/policy
 * One contact policy per person across all surveys and channels: a recontact throttle, sampling fixed
 * per customer, quiet hours in the customer's time zone. Pure functions of their inputs, so the
 * scheduler's decisions can be tested without a store.
 */
import { createHash } from 'node:crypto';

/** The contact policy of a deployment. */
export interface ContactPolicy {
  /** No new invitation within this many days of the last one (any survey, any route). */
  throttleDays: number;
  /** Local hour (0–23) when quiet hours start. */
  quietStart: number;
  /** Local hour (0–23) when quiet hours end. */
  quietEnd: number;
}

export const DEFAULT_POLICY: ContactPolicy = { throttleDays: 30, quietStart: 21, quietEnd: 9 };

/**
 * Whether a customer is in a survey's sample. The draw is a hash of survey and customer, so the same
 * customer gets the same answer at every trigger (a fresh dice roll would ask everyone eventually).
 * @example sampled('nps_q', 'cus_1', 0.2) // the same value every time
 */
export function sampled(surveyId: string, customerId: string, rate: number): boolean {
  if (rate >= 1) return true;
  const h = createHash('sha256').update(`${surveyId}\u0000${customerId}`).digest();
  return h.readUInt32BE(0) / 2 ** 32 < rate;
}

/** Whether the last invitation (`lastAsked`) is recent enough to hold a new one back. */
export function throttled(lastAsked: string | null, now: Date, policy: ContactPolicy): boolean {
  if (!lastAsked) return false;
  return now.getTime() - new Date(lastAsked).getTime() < policy.throttleDays * 86_400_000;
}

/**
 * The end of the quiet hours `now` falls in, in time zone `tz`, or null when it is not quiet there.
 * @example quietUntil(new Date('2026-03-02T22:30:00Z'), 'Europe/Rome', DEFAULT_POLICY) // 2026-03-03T08:00:00Z
 */
export function quietUntil(now: Date, tz: string, policy: ContactPolicy): Date | null {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: tz,
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(now);
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  const minute = get('hour') * 60 + get('minute');
  const start = policy.quietStart * 60;
  const end = policy.quietEnd * 60;
  const quiet = start <= end ? minute >= start && minute < end : minute >= start || minute < end;
  if (!quiet) return null;
  const wait = (end - minute + 1440) % 1440;
  // Whole local minutes ahead; a daylight-saving change inside the wait shifts the end by its hour.
  return new Date(now.getTime() + wait * 60_000 - get('second') * 1000 - now.getUTCMilliseconds());
}
