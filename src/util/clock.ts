/**
 * @module util/clock
 * Time comes from an injected clock so tests can fix it.
 */

export interface Clock {
  now(): Date;
}

/** The real clock. */
export const systemClock: Clock = { now: () => new Date() };

/** A clock fixed at `iso` (tests). */
export function fixedClock(iso: string): Clock {
  const at = new Date(iso);
  return { now: () => new Date(at) };
}
