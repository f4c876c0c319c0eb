/**
 * @module record-table
 * Records as a plain table (every value rendered as text), in a scrolling region that keyboard users
 * can focus: the drill-down and the customer 360 view both show records this way.
 */
import type { Row } from './api.ts';
import { formatDate, formatNumber, type Lang } from './format.ts';

/** A record's value as text: timestamps in the reader's format, amounts as numbers, objects as JSON. */
export function cellText(key: string, value: unknown, lang: Lang): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string' && (key === 'timestamp' || key.endsWith('At')))
    return formatDate(value, lang, true);
  if (key === 'amount' || key === 'mrr') return formatNumber(Number(value), lang, 2);
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export function RecordTable({
  rows,
  columns,
  caption,
  lang,
}: {
  rows: Row[];
  columns: string[];
  caption: string;
  lang: Lang;
}) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region takes focus so keyboard users can scroll it
    <section className="scroll" aria-label={caption} tabIndex={0}>
      <table className="records">
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th scope="col" key={c}>
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={String(r.id)}>
              {columns.map((c) => (
                <td key={c}>{cellText(c, r[c], lang)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
