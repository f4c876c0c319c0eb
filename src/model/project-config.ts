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
          const full: Record<string, number> = {
            ...HEALTH_COMPONENTS,
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
