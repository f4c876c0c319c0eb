/**
 * @module model/project-config
 * Validation of a project's settings (reporting currency, time zone, exchange rates, conversions).
 */
import { PolsoError } from '../errors.ts';
import type { ProjectConfig } from '../store/store.ts';

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
      default:
        problems.push(`${key}: unknown setting`);
    }
  }
  if (problems.length > 0) throw new PolsoError('POLSO_BAD_REQUEST', problems.join('; '), { problems });
  return out;
}
