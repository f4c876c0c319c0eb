/**
 * @module store/duckdb/validate-sql
 * Compiles the record model into one DuckDB query that validates and types a whole batch at once:
 * every row gets its typed columns and a list of `{field, code}` problems. The HTTP path (JSON text)
 * and the bulk path (CSV, NDJSON, Parquet read by DuckDB's own readers) share it, so a record is judged
 * by the same rules whichever way it arrives. User values stay in bound parameters or in the data;
 * only our own field names and enum values are written into the SQL text.
 */
import type { ErrorCode } from '../../errors.ts';
import {
  type FieldSpec,
  fieldsOf,
  JSON_KINDS,
  type JsonKind,
  type KindSpec,
  maxLengthOf,
  SCALE_DEFAULTS,
} from '../../model/kinds.ts';
import { columnType, derivedColumns, ident, lit } from './schema.ts';

/** How to read each field from the source relation. */
export interface SourceAdapter {
  /** FROM clause producing whatever `raw`/`json` read, and `idx` unless `positional`. */
  from: string;
  /** True when rows come in source order without `idx`: the staging table's row id is the position. */
  positional: boolean;
  /** VARCHAR expression of the field, NULL when absent or empty. */
  raw(field: FieldSpec): string;
  /** JSON type of the field (`VARCHAR`, `BIGINT`, …) when the source is typed JSON, else null. */
  jsonType(field: FieldSpec): string | null;
  /** JSON value expression for `json` fields. */
  json(field: FieldSpec): string;
  /** Expression listing unknown keys of the record (VARCHAR[]), or null when the source cannot have any. */
  unknownKeys: string | null;
  /** Expression true when the source row could not be parsed at all (then it is the only problem). */
  malformed?: string;
}

const OFFSET_RE = String.raw`\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?\s?(Z|z|[+-]\d{2}(:?\d{2})?)`;
const LOCAL_RE = String.raw`\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?`;

/** DuckDB's `json_type` names for the JSON kinds the model accepts. */
const DUCKDB_JSON_TYPES: Record<JsonKind, string[]> = {
  string: ['VARCHAR'],
  number: ['BIGINT', 'UBIGINT', 'DOUBLE'],
  boolean: ['BOOLEAN'],
  object: ['OBJECT'],
  array: ['ARRAY'],
};
const jsonTypes = (field: FieldSpec) => JSON_KINDS[field.type].flatMap((k) => DUCKDB_JSON_TYPES[k]);

const err = (field: string, code: ErrorCode) => `{'field': ${lit(field)}, 'code': ${lit(code)}}`;

/** Typed value of a field from its raw VARCHAR `r` (NULL when it does not parse). */
function typed(field: FieldSpec, r: string, src: SourceAdapter): string {
  switch (field.type) {
    case 'string':
    case 'text':
      return r;
    case 'integer':
      return `CASE WHEN TRY_CAST(${r} AS DOUBLE) = floor(TRY_CAST(${r} AS DOUBLE)) THEN TRY_CAST(TRY_CAST(${r} AS DOUBLE) AS BIGINT) END`;
    case 'number':
      return `CASE WHEN isfinite(TRY_CAST(${r} AS DOUBLE)) THEN TRY_CAST(${r} AS DOUBLE) END`;
    case 'boolean':
      return `CASE lower(${r}) WHEN 'true' THEN true WHEN 'false' THEN false WHEN '1' THEN true WHEN '0' THEN false END`;
    case 'timestamp':
      return `CASE WHEN regexp_full_match(${r}, ${lit(OFFSET_RE)}) THEN TRY_CAST(${r} AS TIMESTAMPTZ)
        WHEN $tz IS NOT NULL AND regexp_full_match(${r}, ${lit(LOCAL_RE)}) THEN timezone($tz, TRY_CAST(${r} AS TIMESTAMP)) END`;
    case 'json':
      return src.json(field);
    case 'list':
      return `CASE WHEN ${r} IS NULL THEN NULL WHEN json_valid(${r}) AND starts_with(${r}, '[')
        THEN TRY_CAST(${r}::JSON AS VARCHAR[]) ELSE string_split(${r}, '|') END`;
  }
}

/** Problems of one field (at most one), as a CASE returning a `{field, code}` struct or NULL. */
function fieldCheck(field: FieldSpec, r: string, t: string | null, c: string): string {
  const name = field.name;
  const whens: string[] = [];
  if (field.required) whens.push(`WHEN ${r} IS NULL THEN ${err(name, 'RECORD_MISSING_FIELD')}`);
  else whens.push(`WHEN ${r} IS NULL THEN NULL`);
  if (t)
    whens.push(
      `WHEN ${t} NOT IN (${jsonTypes(field).map(lit).join(', ')}) THEN ${err(name, 'RECORD_WRONG_TYPE')}`,
    );
  if (field.type === 'timestamp') whens.push(`WHEN ${c} IS NULL THEN ${err(name, 'RECORD_BAD_TIMESTAMP')}`);
  else if (field.type !== 'string' && field.type !== 'text')
    whens.push(`WHEN ${c} IS NULL THEN ${err(name, 'RECORD_WRONG_TYPE')}`);
  if (field.type === 'timestamp')
    whens.push(
      `WHEN ${c} < TIMESTAMPTZ '1900-01-01 00:00:00+00' OR ${c} >= TIMESTAMPTZ '2200-01-01 00:00:00+00' THEN ${err(name, 'RECORD_OUT_OF_RANGE')}`,
    );
  if (field.values)
    whens.push(
      `WHEN ${r} NOT IN (${field.values.map(lit).join(', ')}) THEN ${err(name, 'RECORD_INVALID_VALUE')}`,
    );
  if (field.min !== undefined)
    whens.push(`WHEN ${c} < ${field.min} THEN ${err(name, 'RECORD_OUT_OF_RANGE')}`);
  if (field.max !== undefined)
    whens.push(`WHEN ${c} > ${field.max} THEN ${err(name, 'RECORD_OUT_OF_RANGE')}`);
  if (field.type === 'string' || field.type === 'text')
    whens.push(`WHEN length(${r}) > ${maxLengthOf(field)} THEN ${err(name, 'RECORD_TOO_LONG')}`);
  if (field.type === 'json')
    whens.push(`WHEN length(${c}::VARCHAR) > 65536 THEN ${err(name, 'RECORD_TOO_LONG')}`);
  return `CASE ${whens.join(' ')} END`;
}

/** Free-form fields that collect a file's unmapped columns. */
const FREE_FORM = new Set(['traits', 'properties']);

const col = (field: FieldSpec) => `c_${field.column}`;

/** Checks that span fields, per kind; they reference typed `c_*` columns. */
function crossChecks(spec: KindSpec): string[] {
  const checks: string[] = [];
  if (spec.person)
    checks.push(
      `CASE WHEN c_customer_id IS NULL AND c_anonymous_id IS NULL THEN ${err('customerId', 'RECORD_NO_PERSON')} END`,
    );
  const after = (later: string, earlier: string, field: string) =>
    `CASE WHEN ${later} < ${earlier} THEN ${err(field, 'RECORD_INCONSISTENT')} END`;
  switch (spec.kind) {
    case 'contact':
      checks.push(
        after('c_first_response_at', 'c_ts', 'firstResponseAt'),
        after('c_first_resolved_at', 'c_ts', 'firstResolvedAt'),
        after('c_resolved_at', 'c_ts', 'resolvedAt'),
        after('c_resolved_at', 'c_first_resolved_at', 'resolvedAt'),
      );
      break;
    case 'subscription':
      checks.push(after('c_ended_at', 'c_started_at', 'endedAt'));
      break;
    case 'cost':
      checks.push(after('c_period_end', 'c_period_start', 'periodEnd'));
      checks.push(currencyCheck());
      break;
    case 'order':
      checks.push(currencyCheck());
      break;
    case 'survey_response':
      checks.push(
        `CASE WHEN c_metric = 'nps' AND (coalesce(c_scale_min, 0) <> 0 OR coalesce(c_scale_max, 10) <> 10)
           THEN ${err('scaleMax', 'RECORD_INCONSISTENT')}
         WHEN scale_min >= scale_max THEN ${err('scaleMin', 'RECORD_INCONSISTENT')} END`,
        `CASE WHEN c_score IS NOT NULL AND c_metric IN ('nps', 'csat', 'ces', 'rating')
             AND (c_score < scale_min OR c_score > scale_max) THEN ${err('score', 'RECORD_OUT_OF_RANGE')}
         WHEN c_metric = 'nps' AND c_score <> floor(c_score) THEN ${err('score', 'RECORD_INVALID_VALUE')} END`,
      );
      break;
  }
  return checks;
}

function currencyCheck(): string {
  return `CASE WHEN NOT regexp_full_match(c_currency, '[A-Za-z]{3}') THEN ${err('currency', 'RECORD_INVALID_VALUE')}
    WHEN fx_rate IS NULL THEN ${err('currency', 'RECORD_UNKNOWN_CURRENCY')} END`;
}

/** Extra computed columns of the inner query, per kind. */
function helperColumns(spec: KindSpec): string[] {
  if (spec.kind === 'survey_response') {
    const dflt = (bound: 'min' | 'max') =>
      `CASE c_metric ${Object.entries(SCALE_DEFAULTS)
        .map(([m, s]) => `WHEN ${lit(m)} THEN ${s[bound]}`)
        .join(' ')} END`;
    return [
      `coalesce(c_scale_min, ${dflt('min')}) AS scale_min`,
      `coalesce(c_scale_max, ${dflt('max')}) AS scale_max`,
    ];
  }
  if (spec.kind === 'order' || spec.kind === 'cost')
    return [
      `CASE WHEN upper(c_currency) = $currency THEN 1.0
        WHEN regexp_full_match(c_currency, '[A-Za-z]{3}')
        THEN TRY_CAST(json_extract_string($rates::JSON, '$.' || upper(c_currency)) AS DOUBLE) END AS fx_rate`,
    ];
  return [];
}

/** Stored value of each column: the typed value with defaults and normalisation applied. */
function storedValue(spec: KindSpec, field: FieldSpec): string {
  const c = col(field);
  if (spec.kind === 'survey_response' && field.name === 'scaleMin')
    return "CASE WHEN c_metric IN ('nps','csat','ces','rating') THEN scale_min END";
  if (spec.kind === 'survey_response' && field.name === 'scaleMax')
    return "CASE WHEN c_metric IN ('nps','csat','ces','rating') THEN scale_max END";
  if (spec.kind === 'survey_response' && field.name === 'direction')
    return `CASE WHEN c_metric = 'ces' THEN coalesce(c_direction, 'higher_is_easier') END`;
  if (field.name === 'currency') return `upper(${c})`;
  if (field.default !== undefined) {
    const d = typeof field.default === 'string' ? lit(field.default) : String(field.default);
    return `coalesce(${c}, ${d})`;
  }
  return `${c}::${columnType(field)}`;
}

/**
 * The staging query: one row per source row with `idx`, `errs` (NULL when the row is valid, else the
 * list of problems) and every stored column, plus
 * `_key` (hash of project and id) and, for states, `_hash` (hash of the content; facts are compared
 * by id alone).
 * Parameters: `$project`, `$currency`, `$rates` (JSON text), `$tz` (or NULL).
 */
export function stagingQuery(spec: KindSpec, src: SourceAdapter): string {
  const fields = fieldsOf(spec);
  const inner = fields.flatMap((fl) => {
    const r = src.raw(fl);
    return [`${r} AS r_${fl.column}`, `${typed(fl, `r_${fl.column}`, src)} AS ${col(fl)}`];
  });
  const types = fields
    .map((fl) => src.jsonType(fl))
    .map((t, i) => (t ? `${t} AS t_${fields[i]!.column}` : null));
  const checks = [
    ...(src.unknownKeys
      ? [
          `CASE WHEN len(unknown_keys) > 0 THEN {'field': unknown_keys[1], 'code': 'RECORD_UNKNOWN_FIELD'} END`,
        ]
      : []),
    ...fields.map((fl) =>
      fieldCheck(fl, `r_${fl.column}`, src.jsonType(fl) ? `t_${fl.column}` : null, col(fl)),
    ),
    ...crossChecks(spec),
  ];
  const stored = fields.map((fl) => `${storedValue(spec, fl)} AS ${ident(fl.column)}`);
  const derived = derivedColumns(spec).map(([n]) =>
    n === 'amount_reporting'
      ? `CAST(c_amount * fx_rate AS DECIMAL(18,4)) AS amount_reporting`
      : `NULL AS ${ident(n)}`,
  );
  return `
WITH typed AS (
  SELECT ${src.positional ? '' : 'idx, '}${[...inner, ...types.filter((t): t is string => t !== null), ...(src.unknownKeys ? [`${src.unknownKeys} AS unknown_keys`] : []), ...(src.malformed ? [`${src.malformed} AS malformed_row`] : [])].join(',\n    ')}
  FROM ${src.from}
), helped AS (
  SELECT *, ${['true AS _ok', ...helperColumns(spec)].join(', ')} FROM typed
), checked AS (
  SELECT *, ${checks.map((c, i) => `${c} AS chk_${i}`).join(',\n    ')} FROM helped
)
SELECT ${src.positional ? '' : 'idx,'}
  CASE ${src.malformed ? `WHEN malformed_row THEN [{'field': NULL::VARCHAR, 'code': 'RECORD_MALFORMED_LINE'}]` : ''}
    WHEN ${checks.map((_, i) => `chk_${i} IS NULL`).join(' AND ')} THEN NULL
    ELSE list_filter([${checks.map((_, i) => `chk_${i}`).join(', ')}], e -> e IS NOT NULL) END AS errs,
  $project AS project_id,
  ${idKey('$project', 'c_id')} AS _key,
  ${[...stored, ...derived].join(',\n  ')},
  -- over the stored values (defaults applied), as the store recomputes it when it re-keys or patches
  ${spec.lifecycle === 'state' ? contentHash(spec, (fl) => ident(fl.column)) : '0::UBIGINT'} AS _hash
FROM checked`;
}

/**
 * An NDJSON file read line by line as text, so that a malformed line rejects only that record
 * (`rec` is NULL there). JSON text cannot contain a raw U+0001, so no line is split.
 */
export const NDJSON_FILE = `(SELECT CASE WHEN json_valid(line) THEN line::JSON END AS rec,
    CASE WHEN json_valid(line) THEN json_type(line::JSON) <> 'OBJECT' ELSE true END AS malformed
  FROM read_csv($path, header = false, columns = {'line': 'VARCHAR'}, delim = '\x01', quote = '', escape = '',
    auto_detect = false, strict_mode = false)
  WHERE trim(line) <> '')`;

/**
 * 64-bit key of a record id within a project. DuckDB's `hash()` is fast but not promised stable
 * across versions, so the store keeps a canary and re-keys every table when it changes
 * (`DuckDbStore.checkHashes`).
 */
export function idKey(project: string, id: string): string {
  return `hash(${project} || '/' || ${id})`;
}

/**
 * 64-bit hash of a record's content, over the columns `ref` names. `updatedAt` is left out (it says
 * when, not what), and so is a customer's `timestamp`: the same profile sent again is a duplicate.
 */
export function contentHash(spec: KindSpec, ref: (field: FieldSpec) => string): string {
  const hashed = fieldsOf(spec).filter(
    (fl) => fl.name !== 'updatedAt' && !(spec.kind === 'customer' && fl.name === 'timestamp'),
  );
  return `hash(struct_pack(${hashed.map((fl) => `${ident(fl.column)} := ${ref(fl)}`).join(', ')}))`;
}

/** Adapter for JSON records in column `rec` of `from` (an NDJSON file), with JSON type checks in SQL. */
export function jsonAdapter(spec: KindSpec, from: string, positional = true): SourceAdapter {
  const known = ['type', ...fieldsOf(spec).map((fl) => fl.name)];
  const traitFallback = spec.kind === 'customer';
  const path = (fl: FieldSpec) => lit(`$.${fl.name}`);
  const tpath = (fl: FieldSpec) => lit(`$.traits.${fl.name}`);
  const isTrait = (fl: FieldSpec) =>
    traitFallback &&
    fl.type === 'string' &&
    !['id', 'customerId', 'anonymousId', 'accountId'].includes(fl.name);
  return {
    from,
    positional,
    malformed: 'malformed',
    raw: (fl) =>
      isTrait(fl)
        ? `nullif(coalesce(json_extract_string(rec, ${path(fl)}), json_extract_string(rec, ${tpath(fl)})), '')`
        : `nullif(json_extract_string(rec, ${path(fl)}), '')`,
    jsonType: (fl) =>
      isTrait(fl)
        ? `coalesce(nullif(json_type(rec, ${path(fl)}), 'NULL'), nullif(json_type(rec, ${tpath(fl)}), 'NULL'))`
        : `nullif(json_type(rec, ${path(fl)}), 'NULL')`,
    json: (fl) =>
      `CASE WHEN json_type(rec, ${path(fl)}) IN ('OBJECT', 'ARRAY') THEN json_extract(rec, ${path(fl)}) END`,
    unknownKeys: `list_filter(json_keys(rec), k -> NOT list_contains([${known.map(lit).join(', ')}], k))`,
  };
}

/**
 * Adapter for a file read by DuckDB: `columns` are the file's column names, `mapping` maps a field
 * name to a column. Columns that map to no field go into the kind's free-form JSON field.
 */
export function fileAdapter(
  spec: KindSpec,
  relation: string,
  columns: string[],
  mapping: Record<string, string>,
  positional = true,
): SourceAdapter {
  const fields = fieldsOf(spec);
  const byField = new Map<string, string>();
  for (const fl of fields) {
    const mapped = mapping[fl.name];
    if (mapped !== undefined) byField.set(fl.name, mapped);
    else if (columns.includes(fl.name)) byField.set(fl.name, fl.name);
    else if (columns.includes(fl.column)) byField.set(fl.name, fl.column);
  }
  const used = new Set(byField.values());
  const extra = columns.filter((c) => !used.has(c) && c !== 'type');
  const source = (fl: FieldSpec) => byField.get(fl.name);
  return {
    from: relation,
    positional,
    raw: (fl) => {
      const c = source(fl);
      return c === undefined ? 'NULL::VARCHAR' : `nullif(CAST(${ident(c)} AS VARCHAR), '')`;
    },
    jsonType: () => null,
    json: (fl) => {
      const c = source(fl);
      const own = c === undefined ? 'NULL::JSON' : `TRY_CAST(${ident(c)} AS JSON)`;
      if (extra.length === 0 || !FREE_FORM.has(fl.name)) return own;
      const obj = `json_object(${extra.map((e) => `${lit(e)}, ${ident(e)}`).join(', ')})`;
      return c === undefined ? obj : `json_merge_patch(${obj}, coalesce(${own}, '{}'::JSON))`;
    },
    unknownKeys: null,
  };
}

/** Columns of a file that no field takes and that the kind has no free-form field to keep. */
export function unusableColumns(
  spec: KindSpec,
  columns: string[],
  mapping: Record<string, string>,
): string[] {
  if (spec.fields.some((fl) => FREE_FORM.has(fl.name))) return [];
  const taken = new Set<string>(['type']);
  for (const fl of fieldsOf(spec)) {
    taken.add(mapping[fl.name] ?? fl.name);
    taken.add(fl.column);
  }
  return columns.filter((c) => !taken.has(c));
}
