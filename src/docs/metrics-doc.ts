/**
 * @module docs/metrics-doc
 * Renders `docs/metrics.md` from the metric catalogue — every metric's names and descriptions in
 * Italian and English, formula, unit, direction, records, parameters and dimensions — so the
 * documentation cannot drift from the definitions (`npm run docs` rewrites it; a test fails when stale).
 */
import { catalogueView } from '../metrics/view.ts';

const cell = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ');

export function renderMetricsDoc(): string {
  const { metrics } = catalogueView();
  const out: string[] = [
    '# Metrics / Metriche',
    '',
    '<!-- Generated from src/metrics/catalogue.ts by `npm run docs`; do not edit by hand. -->',
    '',
    'Every metric Polso computes, defined once. Ask for any of them with `POST /api/v1/query` or',
    '`polso query`; `GET /api/v1/metrics` publishes the same catalogue. Conventions: ranges are half-open',
    '`[from, to)`, percentages are 0–100, durations are seconds, weeks start on Monday, periods are local to',
    "the query's time zone (the project's by default).",
    '',
    '| id | name (en) | nome (it) | unit | direction |',
    '|---|---|---|---|---|',
    ...metrics.map(
      (m) =>
        `| [\`${m.id}\`](#${m.id}) | ${cell(m.name.en)} | ${cell(m.name.it)} | ${m.unit} | ${m.direction.replaceAll('_', ' ')} |`,
    ),
  ];
  for (const m of metrics) {
    out.push(
      '',
      `## ${m.id}`,
      '',
      `**${m.name.en}** — ${m.description.en}`,
      '',
      `**${m.name.it}** — ${m.description.it}`,
      '',
      `- Formula: \`${m.formula}\``,
      `- Unit: ${m.unit}; ${m.direction.replaceAll('_', ' ')}; statistic: \`${m.statistic}\``,
      `- Records: \`${m.source}\` (fields: ${m.fields.map((f) => `\`${f}\``).join(', ') || '—'})`,
      `- Dimensions: ${m.dimensions.map((d) => `\`${d}\``).join(', ') || 'none (totals and time only)'}`,
    );
    if (m.params.length > 0) {
      out.push('- Parameters:');
      for (const p of m.params) {
        const range =
          p.type === 'number'
            ? ` (${p.min} … ${p.max})`
            : p.type === 'list'
              ? ` (${p.min}–${p.max} items separated by "${p.separator}")`
              : p.values
                ? ` (one of ${p.values.join(', ')})`
                : '';
        out.push(`  - \`${p.name}\` = \`${p.default}\`${range}: ${p.doc.en} / ${p.doc.it}`);
      }
    }
    out.push(`- Seeds: ${m.seeds.join(', ')}`);
  }
  return `${out.join('\n')}\n`;
}
