/**
 * @module format
 * Numbers, durations and dates in the reader's language through `Intl` (`12,5%` in Italian, `12.5%` in
 * English). Pure functions: the end-to-end tests format the query API's values with them and compare.
 */

export type Lang = 'it' | 'en';
export type Unit = 'percent' | 'nps' | 'score' | 'seconds' | 'count' | 'points' | 'currency' | 'ratio';

const locale = (lang: Lang) => (lang === 'it' ? 'it-IT' : 'en-GB');

/** A number with at most `digits` decimals. */
export function formatNumber(value: number, lang: Lang, digits = 0): string {
  return new Intl.NumberFormat(locale(lang), { maximumFractionDigits: digits }).format(value);
}

/** A duration in seconds as `45 s`, `7 min 35 s` or `2 h 5 min`. */
export function formatDuration(seconds: number, lang: Lang): string {
  const s = Math.round(seconds);
  if (Math.abs(s) < 60) return `${formatNumber(s, lang)} s`;
  if (Math.abs(s) < 3600) return `${Math.trunc(s / 60)} min ${Math.abs(s % 60)} s`;
  const h = Math.trunc(s / 3600);
  return `${formatNumber(h, lang)} h ${Math.abs(Math.round((s % 3600) / 60))} min`;
}

/**
 * A metric's value in its unit; `null` (no records) is a dash.
 * @example formatValue(12.5, 'percent', 'it') // '12,5%'
 */
export function formatValue(value: number | null | undefined, unit: Unit, lang: Lang): string {
  if (value === null || value === undefined) return '–';
  switch (unit) {
    case 'percent':
      return new Intl.NumberFormat(locale(lang), { style: 'percent', maximumFractionDigits: 1 }).format(
        value / 100,
      );
    case 'nps':
      return formatNumber(value, lang, 1);
    case 'score':
      return formatNumber(value, lang, 2);
    case 'seconds':
      return formatDuration(value, lang);
    case 'count':
    case 'points':
      return formatNumber(value, lang, 1);
    // In the project's reporting currency, which the catalogue does not name: two decimals.
    case 'currency':
    case 'ratio':
      return formatNumber(value, lang, 2);
  }
}

/** A difference with its sign (`+3,2`), in points for percentages. */
export function formatDelta(delta: number, unit: Unit, lang: Lang): string {
  const sign = delta > 0 ? '+' : delta < 0 ? '−' : '±';
  const abs = Math.abs(delta);
  const body =
    unit === 'seconds'
      ? formatDuration(abs, lang)
      : unit === 'percent'
        ? `${formatNumber(abs, lang, 1)} pt`
        : formatNumber(abs, lang, unit === 'score' ? 2 : 1);
  return `${sign}${body}`;
}

/** A calendar date (`YYYY-MM-DD` or an ISO instant) in the reader's format. */
export function formatDate(value: string, lang: Lang, withTime = false): string {
  const date = value.length === 10 ? new Date(`${value}T12:00:00Z`) : new Date(value);
  return new Intl.DateTimeFormat(locale(lang), {
    dateStyle: 'medium',
    ...(withTime ? { timeStyle: 'short' } : {}),
    ...(value.length === 10 ? { timeZone: 'UTC' } : {}),
  }).format(date);
}
