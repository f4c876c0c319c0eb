/**
 * @module model/project-config
 * Validation of a project's settings (reporting currency, time zone, exchange rates, conversions).
 */
import { PolsoError } from '../errors.ts';
import type { ProjectConfig } from '../store/store.ts';

/** The components of the customer health score, with their default weights. */
export const HEALTH_COMPONENTS = {
  usage: 0.25,
  adoption: 0.15,
  feedback: 0.2,
  support: 0.15,
  payment: 0.1,
  recency: 0.15,
} as const;
export type HealthComponent = keyof typeof HEALTH_COMPONENTS;

/** Weekdays of the opening-hours calendar, Monday first (ISO day numbers 1–7). */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** Opening hours in the project's time zone: per weekday a list of [open, close) "HH:MM" pairs, and holidays. */
export interface BusinessHours {
  days: Partial<Record<Weekday, [string, string][]>>;
  /** Local dates (YYYY-MM-DD) when the business is closed. */
  holidays: string[];
}

/** Monday to Friday, 09:00–18:00, no holidays. */
export const DEFAULT_BUSINESS_HOURS: BusinessHours = {
  days: Object.fromEntries(WEEKDAYS.slice(0, 5).map((d) => [d, [['09:00', '18:00']]])),
  holidays: [],
};

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/;
const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));

/** Problems of a business-hours calendar, each with its path (empty when valid). */
function businessHoursProblems(value: unknown): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return ['businessHours: must be {"days": {"mon": [["09:00", "18:00"]], …}, "holidays": ["2026-12-25"]}'];
  const problems: string[] = [];
  const { days, holidays, ...rest } = value as Record<string, unknown>;
  for (const key of Object.keys(rest)) problems.push(`businessHours.${key}: unknown setting`);
  if (days === null || typeof days !== 'object' || Array.isArray(days))
    problems.push('businessHours.days: must map weekdays (mon…sun) to lists of ["HH:MM", "HH:MM"]');
  else
    for (const [day, spans] of Object.entries(days)) {
      if (!(WEEKDAYS as readonly string[]).includes(day)) {
        problems.push(`businessHours.days.${day}: not a weekday (mon…sun)`);
        continue;
      }
      if (!Array.isArray(spans)) {
        problems.push(`businessHours.days.${day}: must be a list of ["HH:MM", "HH:MM"]`);
        continue;
      }
      spans.forEach((span, i) => {
        const ok =
          Array.isArray(span) &&
          span.length === 2 &&
          span.every((x) => typeof x === 'string' && HHMM.test(x)) &&
          minutesOf(span[0]) < minutesOf(span[1]);
        if (!ok)
          problems.push(`businessHours.days.${day}[${i}]: must be ["HH:MM", "HH:MM"] with open before close`);
      });
    }
  if (
    holidays !== undefined &&
    (!Array.isArray(holidays) ||
      !holidays.every((h) => typeof h === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(h)))
  )
    problems.push('businessHours.holidays: must be a list of dates YYYY-MM-DD');
  return problems;
}

/**
 * The calendar as rows the engine joins: ISO weekday with open and close in seconds from local
 * midnight, and holidays as YYYYMMDD numbers.
 */
export function calendarRows(hours: BusinessHours) {
  return {
    spans: WEEKDAYS.flatMap((day, i) =>
      (hours.days[day] ?? []).map(([open, close]) => ({
        dow: i + 1,
        open: minutesOf(open) * 60,
        close: minutesOf(close) * 60,
      })),
    ),
    holidays: hours.holidays.map((h) => ({ day: Number(h.replaceAll('-', '')) })),
  };
}

/** True when `tz` is an IANA time zone this runtime knows. */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks a partial configuration and reports every problem at once.
 * @example parseConfigPatch({ currency: 'EUR', fxRates: { USD: 0.92 } })
 */
export function parseConfigPatch(input: Record<string, unknown>): Partial<ProjectConfig> {
  const problems: string[] = [];
  const out: Partial<ProjectConfig> = {};
  for (const [key, value] of Object.entries(input)) {
    switch (key) {
      case 'currency':
        if (typeof value === 'string' && /^[A-Z]{3}$/.test(value)) out.currency = value;
        else problems.push('currency: must be a 3-letter ISO 4217 code in capitals');
        break;
      case 'timezone':
        if (typeof value === 'string' && isTimeZone(value)) out.timezone = value;
        else problems.push('timezone: must be an IANA time zone such as Europe/Rome');
        break;
      case 'fxRates': {
        const ok =
          value !== null &&
          typeof value === 'object' &&
          Object.entries(value).every(
            ([c, r]) => /^[A-Z]{3}$/.test(c) && typeof r === 'number' && Number.isFinite(r) && r > 0,
          );
        if (ok) out.fxRates = value as Record<string, number>;
        else problems.push('fxRates: must map 3-letter codes to positive numbers');
        break;
      }
      case 'conversionEvents':
        if (
          Array.isArray(value) &&
          value.every((v) => typeof v === 'string' && v.length > 0 && v.length <= 256)
        )
          out.conversionEvents = value;
        else problems.push('conversionEvents: must be a list of event names');
        break;
      case 'businessHours': {
        const found = businessHoursProblems(value);
        problems.push(...found);
        if (found.length === 0) {
          const v = value as Partial<BusinessHours>;
          out.businessHours = { days: v.days ?? {}, holidays: v.holidays ?? [] };
        }
        break;
      }
      case 'healthWeights': {
        // { default?: {usage: 0.3, …}, <segment>: {…} }: weights ≥ 0 of known components, not all zero.
        const sets = value !== null && typeof value === 'object' && !Array.isArray(value) ? value : null;
        const bad = (path: string, why: string) => problems.push(`healthWeights.${path}: ${why}`);
        if (!sets) bad('', 'must map "default" or a segment to weights');
        for (const [set, weights] of Object.entries(sets ?? {})) {
          if (weights === null || typeof weights !== 'object' || Array.isArray(weights)) {
            bad(set, 'must map components to weights');
            continue;
          }
          for (const [c, w] of Object.entries(weights))
            if (!(c in HEALTH_COMPONENTS))
              bad(`${set}.${c}`, `unknown component (known: ${Object.keys(HEALTH_COMPONENTS).join(', ')})`);
            else if (typeof w !== 'number' || !Number.isFinite(w) || w < 0 || w > 100)
              bad(`${set}.${c}`, 'must be a number from 0 to 100');
          // A segment's set is completed from `default`, then from the built-in weights, as the engine does.
          const base = set === 'default' ? {} : ((sets as Record<string, object>).default ?? {});
          const full: Record<string, number> = {
            ...HEALTH_COMPONENTS,
            ...(base as Record<string, number>),
            ...(weights as Record<string, number>),
          };
          if (Object.values(full).every((w) => w === 0)) bad(set, 'weights cannot all be zero');
        }
        if (sets) out.healthWeights = sets as Record<string, Partial<Record<HealthComponent, number>>>;
        break;
      }
      default:
        problems.push(`${key}: unknown setting`);
    }
  }
  if (problems.length > 0) throw new PolsoError('POLSO_BAD_REQUEST', problems.join('; '), { problems });
  return out;
}
