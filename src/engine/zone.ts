/**
 * @module engine/zone
 * A time zone's UTC offsets over a window of instants, read from the platform's own time-zone data
 * (ICU through `Intl`). With them a dialect turns an instant into local time by adding an offset
 * instead of looking the zone up for every row — the costliest part of a monthly count over millions
 * of records. Instants outside the window still go through the engine's own zone lookup, so the
 * window only decides speed, never the answer.
 */

/** The offsets of a zone over `[start, end)`: `spans[i].offset` holds for instants before `spans[i].until` (and from the previous span's end). Epoch milliseconds; offsets in milliseconds. */
export interface ZoneOffsets {
  readonly start: number;
  readonly end: number;
  readonly spans: readonly { readonly until: number; readonly offset: number }[];
}

const HOUR = 3_600_000;
const formatters = new Map<string, Intl.DateTimeFormat>();
const years = new Map<string, { at: number; offset: number }[]>();

/** The offset (local − UTC, milliseconds) of zone `tz` at instant `t` (epoch ms, whole seconds). */
export function offsetAt(tz: string, t: number): number {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(tz, f);
  }
  const p = Object.fromEntries(f.formatToParts(t).map((x) => [x.type, Number(x.value)]));
  const local = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
  return local - Math.floor(t / 1000) * 1000;
}

/**
 * The offset changes of a year (UTC): each instant from which a new offset holds. Sampled hourly
 * (zones change at most a few times a year, months apart) and narrowed to the second.
 */
function changesOf(tz: string, year: number): { at: number; offset: number }[] {
  const key = `${tz}|${year}`;
  const cached = years.get(key);
  if (cached) return cached;
  const changes: { at: number; offset: number }[] = [];
  const end = Date.UTC(year + 1, 0, 1);
  let t = Date.UTC(year, 0, 1);
  let offset = offsetAt(tz, t);
  for (; t < end; t += HOUR) {
    const next = offsetAt(tz, t + HOUR);
    if (next === offset) continue;
    let [lo, hi] = [t, t + HOUR]; // offset at lo is the old one, at hi the new one
    while (hi - lo > 1000) {
      const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
      if (offsetAt(tz, mid) === offset) lo = mid;
      else hi = mid;
    }
    changes.push({ at: hi, offset: next });
    offset = next;
  }
  years.set(key, changes);
  return changes;
}

/** The offsets of zone `tz` from `start` to `end` (epoch ms), whole UTC years around them. */
export function zoneOffsets(tz: string, start: number, end: number): ZoneOffsets {
  const first = new Date(start).getUTCFullYear();
  const last = new Date(end).getUTCFullYear();
  const from = Date.UTC(first, 0, 1);
  const to = Date.UTC(last + 1, 0, 1);
  const spans: { until: number; offset: number }[] = [];
  let offset = offsetAt(tz, from);
  for (let y = first; y <= last; y++)
    for (const c of changesOf(tz, y)) {
      spans.push({ until: c.at, offset });
      offset = c.offset;
    }
  spans.push({ until: to, offset });
  return { start: from, end: to, spans };
}
