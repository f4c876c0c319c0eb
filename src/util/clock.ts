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

/** A clock that stands still until moved (tests of schedulers: no sleeping). */
export interface ManualClock extends Clock {
  advance(ms: number): void;
  set(iso: string): void;
}

/** A {@link ManualClock} starting at `iso`. */
export function manualClock(iso: string): ManualClock {
  let at = new Date(iso).getTime();
  return {
    now: () => new Date(at),
    advance: (ms) => {
      at += ms;
    },
    set: (next) => {
      at = new Date(next).getTime();
    },
  };
}
