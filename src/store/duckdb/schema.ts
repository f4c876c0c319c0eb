/**
 * @module store/duckdb/schema
 * DuckDB column types and table DDL derived from the record model, and the versioned migrations.
 */
import {
  type FieldSpec,
  type FieldType,
  fieldsOf,
  KINDS,
  type KindSpec,
  RECORD_KINDS,
} from '../../model/kinds.ts';

/** Quotes an identifier of ours (never user input) for DuckDB. */
export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Quotes a string literal of ours (field names, enum values from the model) for DuckDB. */
export function lit(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

const MONEY_FIELDS = new Set(['amount', 'mrr']);

export function columnType(field: FieldSpec): string {
  if (MONEY_FIELDS.has(field.name)) return 'DECIMAL(18,4)';
  const types: Record<FieldType, string> = {
    string: 'VARCHAR',
    text: 'VARCHAR',
    integer: 'BIGINT',
    number: 'DOUBLE',
    boolean: 'BOOLEAN',
    timestamp: 'TIMESTAMPTZ',
    json: 'JSON',
    list: 'VARCHAR[]',
  };
  return types[field.type];
}

/** Columns Polso adds to every record table. `_key`/`_hash`: 64-bit hashes of the id and of the content. */
export const SYSTEM_COLUMNS = [
  ['project_id', 'VARCHAR NOT NULL'],
  ['_key', 'UBIGINT NOT NULL'],
  ['_hash', 'UBIGINT NOT NULL'],
  ['_ingested_at', 'TIMESTAMPTZ NOT NULL'],
] as const;

/** Derived columns per kind (computed at ingestion). */
export function derivedColumns(spec: KindSpec): [string, string][] {
  if (spec.kind === 'order' || spec.kind === 'cost') return [['amount_reporting', 'DECIMAL(18,4)']];
  return [];
}

export function tableDdl(spec: KindSpec): string {
  const cols = [
    ...SYSTEM_COLUMNS.map(([n, t]) => `${ident(n)} ${t}`),
    ...fieldsOf(spec).map((fl) => `${ident(fl.column)} ${columnType(fl)}${fl.required ? ' NOT NULL' : ''}`),
    ...derivedColumns(spec).map(([n, t]) => `${ident(n)} ${t}`),
  ];
  return `CREATE TABLE ${ident(spec.table)} (\n  ${cols.join(',\n  ')}\n)`;
}

/**
 * Versioned migrations. Each entry runs once, in order, in its own transaction. Migration 1 derives the
 * record tables from the model; `test/schema.test.ts` pins the DDL it produces, so changing a field
 * means adding a migration here rather than silently changing version 1.
 */
export const MIGRATIONS: readonly { version: number; name: string; statements: () => string[] }[] = [
  {
    version: 1,
    name: 'projects, keys, identities and record tables',
    statements: () => [
      `CREATE TABLE projects (id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, config JSON NOT NULL, created_at TIMESTAMPTZ NOT NULL)`,
      `CREATE TABLE api_keys (id VARCHAR PRIMARY KEY, project_id VARCHAR NOT NULL, scope VARCHAR NOT NULL, name VARCHAR NOT NULL,
         token_hash VARCHAR NOT NULL UNIQUE, created_at TIMESTAMPTZ NOT NULL, revoked_at TIMESTAMPTZ)`,
      `CREATE TABLE identities (project_id VARCHAR NOT NULL, anonymous_id VARCHAR NOT NULL, customer_id VARCHAR NOT NULL,
         created_at TIMESTAMPTZ NOT NULL, PRIMARY KEY (project_id, anonymous_id))`,
      ...RECORD_KINDS.map((k) => tableDdl(KINDS[k])),
    ],
  },
  {
    version: 2,
    name: 'settings of the store (hash canary)',
    statements: () => [`CREATE TABLE settings (name VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)`],
  },
  {
    version: 3,
    name: 'surveys: definitions, invitations and tokens, scheduler, outbox, opt-outs, webhooks',
    statements: () => [
      // Every edit is a new version; invitations pin the version they were made from.
      `CREATE TABLE survey_definitions (project_id VARCHAR NOT NULL, id VARCHAR NOT NULL, version INTEGER NOT NULL,
         definition JSON NOT NULL, created_at TIMESTAMPTZ NOT NULL, PRIMARY KEY (project_id, id, version))`,
      // The working state of an invitation; the `survey_invitation` record is its published view.
      `CREATE TABLE survey_invites (project_id VARCHAR NOT NULL, id VARCHAR NOT NULL, survey_id VARCHAR NOT NULL,
         version INTEGER NOT NULL, customer_id VARCHAR NOT NULL, via VARCHAR NOT NULL, language VARCHAR NOT NULL,
         subject_type VARCHAR, subject_id VARCHAR, triggered_at TIMESTAMPTZ, created_at TIMESTAMPTZ NOT NULL,
         sent_at TIMESTAMPTZ, delivered_at TIMESTAMPTZ, opened_at TIMESTAMPTZ, started_at TIMESTAMPTZ,
         completed_at TIMESTAMPTZ, reminded_at TIMESTAMPTZ, answers JSON NOT NULL, PRIMARY KEY (project_id, id))`,
      // Only SHA-256 hashes of link tokens are kept; a reminder gets a token of its own.
      `CREATE TABLE survey_tokens (token_hash VARCHAR PRIMARY KEY, project_id VARCHAR NOT NULL,
         invite_id VARCHAR NOT NULL, created_at TIMESTAMPTZ NOT NULL)`,
      // Job ids are derived from what caused them, so a trigger seen twice schedules once.
      `CREATE TABLE survey_jobs (project_id VARCHAR NOT NULL, id VARCHAR NOT NULL, kind VARCHAR NOT NULL,
         survey_id VARCHAR NOT NULL, due_at TIMESTAMPTZ NOT NULL, payload JSON NOT NULL, status VARCHAR NOT NULL,
         outcome VARCHAR, updated_at TIMESTAMPTZ NOT NULL, PRIMARY KEY (project_id, id))`,
      `CREATE TABLE survey_outbox (project_id VARCHAR NOT NULL, id VARCHAR NOT NULL, invite_id VARCHAR NOT NULL,
         channel VARCHAR NOT NULL, recipient VARCHAR NOT NULL, message_id VARCHAR NOT NULL, payload JSON,
         status VARCHAR NOT NULL, attempts INTEGER NOT NULL, last_error VARCHAR, created_at TIMESTAMPTZ NOT NULL,
         sent_at TIMESTAMPTZ, PRIMARY KEY (project_id, id))`,
      `CREATE TABLE survey_optouts (project_id VARCHAR NOT NULL, customer_id VARCHAR NOT NULL,
         opted_out_at TIMESTAMPTZ NOT NULL, PRIMARY KEY (project_id, customer_id))`,
      `CREATE TABLE survey_webhooks (project_id VARCHAR NOT NULL, id VARCHAR NOT NULL, url VARCHAR NOT NULL,
         secret VARCHAR NOT NULL, created_at TIMESTAMPTZ NOT NULL, PRIMARY KEY (project_id, id))`,
    ],
  },
  {
    version: 4,
    name: 'customer models: stored fits and per-customer scores',
    // Scores are a plain table keyed by (project, customer, model) so metrics and the customer 360 can
    // join them; a refit replaces a model's scores, while every fit stays in model_fits.
    statements: () => [
      `CREATE TABLE model_fits (project_id VARCHAR NOT NULL, model VARCHAR NOT NULL, version VARCHAR NOT NULL,
         fitted_at TIMESTAMPTZ NOT NULL, customers BIGINT NOT NULL, params JSON NOT NULL, quality JSON,
         PRIMARY KEY (project_id, model, fitted_at))`,
      // No primary key: a refit replaces a model's rows in one transaction (delete, then insert), and a
      // key index made inserting a million customers' scores ten times slower.
      `CREATE TABLE customer_scores (project_id VARCHAR NOT NULL, customer_id VARCHAR NOT NULL, model VARCHAR NOT NULL,
         version VARCHAR NOT NULL, fitted_at TIMESTAMPTZ NOT NULL, value DOUBLE, details JSON)`,
    ],
  },
  {
    version: 5,
    name: 'dashboard users (scrypt password hashes, roles) and sessions',
    statements: () => [
      `CREATE TABLE dashboard_users (id VARCHAR PRIMARY KEY, project_id VARCHAR NOT NULL, email VARCHAR NOT NULL UNIQUE,
         role VARCHAR NOT NULL, password_hash VARCHAR NOT NULL, created_at TIMESTAMPTZ NOT NULL)`,
      `CREATE TABLE dashboard_sessions (token_hash VARCHAR PRIMARY KEY, project_id VARCHAR NOT NULL, user_id VARCHAR,
         role VARCHAR NOT NULL, csrf_token VARCHAR NOT NULL, created_at TIMESTAMPTZ NOT NULL, expires_at TIMESTAMPTZ NOT NULL)`,
    ],
  },
  {
    version: 6,
    name: 'the queries asked recently, asked again at start so dashboards open on computed answers',
    statements: () => [
      `CREATE TABLE recent_queries (project_id VARCHAR NOT NULL, body VARCHAR NOT NULL, asked_at TIMESTAMPTZ NOT NULL,
         PRIMARY KEY (project_id, body))`,
    ],
  },
  {
    version: 7,
    name: 'the metric memo on disk: its cells, the write log they are checked against, their last check',
    statements: () => [
      `CREATE TABLE memo_changes (project_id VARCHAR NOT NULL, generation BIGINT NOT NULL, tables VARCHAR[],
         since DOUBLE NOT NULL)`,
      `CREATE TABLE memo_cells (project_id VARCHAR NOT NULL, key VARCHAR NOT NULL, tables VARCHAR[] NOT NULL,
         horizon DOUBLE NOT NULL, weight INTEGER NOT NULL, value VARCHAR NOT NULL, saved BIGINT NOT NULL)`,
      `CREATE TABLE memo_state (project_id VARCHAR PRIMARY KEY, generation BIGINT NOT NULL)`,
    ],
  },
];

/** The value whose hash tells whether DuckDB's `hash()` still gives the keys stored. */
export const HASH_CANARY = 'polso:hash-canary:1';
