/**
 * @module docs/records-doc
 * Renders `docs/records.md` from the record model, so the documentation cannot drift from the code
 * (`test/docs.test.ts` fails when the committed file is stale; `npm run docs` rewrites it).
 */
import { COMMON_FIELDS, type FieldSpec, fieldsOf, KINDS, maxLengthOf, RECORD_KINDS } from '../model/kinds.ts';

function constraint(f: FieldSpec): string {
  const parts: string[] = [];
  if (f.values) parts.push(`one of ${f.values.map((v) => `\`${v}\``).join(', ')}`);
  if (f.min !== undefined || f.max !== undefined) parts.push(`${f.min ?? '−∞'} … ${f.max ?? '∞'}`);
  if (f.type === 'string' || f.type === 'text') parts.push(`≤ ${maxLengthOf(f)} chars`);
  if (f.default !== undefined) parts.push(`default \`${f.default}\``);
  return parts.join('; ');
}

export function renderRecordsDoc(): string {
  const out: string[] = [
    '# Records',
    '',
    '<!-- Generated from src/model/kinds.ts by `npm run docs`; do not edit by hand. -->',
    '',
    'Everything Polso knows arrives as a record. Each record has a `type`, an `id` unique per project and type, and a',
    '`timestamp` (ISO 8601 with an offset: the time the thing happened). Records that involve a person carry',
    '`customerId` (a known customer) or `anonymousId` (a device, cookie or social handle until an `alias` links it).',
    '',
    '**States and facts.** *States* change over time: a record with a known id and different content replaces the',
    'stored one (last write wins, or the later `updatedAt` when given; an older `updatedAt` is reported as `outdated`);',
    'the identical record again is a duplicate. *Facts* never change: the first write wins and any later record with',
    'that id is a duplicate.',
    '',
    'Every field below is validated at ingestion, by the same rules whether the record arrives through',
    '`POST /api/v1/records`, the Segment-compatible API or `polso import`. A rejected record is reported with its',
    'position, the field and a stable code (see `src/errors.ts`); the valid rest of the batch is stored.',
    '',
    'Survey scales: NPS is asked on 0–10 only; CSAT defaults to 1–5, CES to 1–7 (`higher_is_easier`), rating to 1–5.',
    'A score outside its scale is rejected. A skipped question has no `score` and is not counted.',
    '',
  ];
  for (const kind of RECORD_KINDS) {
    const spec = KINDS[kind];
    out.push(
      `## \`${kind}\` (${spec.lifecycle})`,
      '',
      spec.doc,
      '',
      '| field | type | required | constraints | meaning |',
      '|---|---|---|---|---|',
    );
    const fields = fieldsOf(spec);
    for (const f of fields) {
      const required = f.required
        ? 'yes'
        : spec.person && (f.name === 'customerId' || f.name === 'anonymousId')
          ? 'one of the two'
          : '';
      out.push(`| \`${f.name}\` | ${f.type} | ${required} | ${constraint(f)} | ${f.doc} |`);
    }
    out.push('', 'Example:', '', '```json', JSON.stringify(spec.example, null, 2), '```', '');
  }
  out.push(`Fields common to all kinds: ${COMMON_FIELDS.map((f) => `\`${f.name}\``).join(', ')}.`, '');
  return out.join('\n');
}
