/**
 * @module engine/export
 * CSV export of a query result: one line per row, for each metric its value, n and interval (and the
 * comparison when asked). Cells that a spreadsheet would run as a formula are neutralised.
 */
import type { QueryPlan } from './plan.ts';
import type { QueryResult } from './run.ts';

/** Quotes a CSV cell and defuses formula injection (=, +, -, @, tab, CR at the start). */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let s = typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r;]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function toCsv(plan: QueryPlan, result: QueryResult): string {
  const header = [...plan.groupBy, ...(plan.grain ? ['period'] : [])];
  const cols: string[] = [...header];
  for (const m of plan.metrics) {
    cols.push(m.def.id, `${m.def.id}_n`, `${m.def.id}_ci_low`, `${m.def.id}_ci_high`);
    if (plan.compare) cols.push(`${m.def.id}_previous`, `${m.def.id}_delta`, `${m.def.id}_p`);
  }
  const lines = [cols.map(csvCell).join(',')];
  for (const row of result.rows) {
    const cells: unknown[] = header.map((h) => row[h]);
    for (const m of plan.metrics) {
      const v = row[m.def.id] as {
        value: number | null;
        n: number;
        ci?: [number, number] | null;
        previous?: { value: number | null };
        delta?: number | null;
        p?: number | null;
      };
      cells.push(v.value, v.n, v.ci?.[0] ?? null, v.ci?.[1] ?? null);
      if (plan.compare) cells.push(v.previous?.value ?? null, v.delta ?? null, v.p ?? null);
    }
    lines.push(cells.map(csvCell).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}
