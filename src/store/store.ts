/**
 * @module store/store
 * The boundary between Polso and its storage engine. Ingestion, keys and (later) metrics talk to a
 * {@link Store}; the DuckDB implementation lives in `store/duckdb/`, and a second engine implements the
 * same interface without touching the callers.
 */

import type { ChangeLog } from '../engine/memo.ts';
import type { SqlExecutor } from '../engine/run.ts';
import type { RecordError } from '../errors.ts';
import type { ColumnBatch } from '../ingest/columns.ts';
import type { RecordKind } from '../model/kinds.ts';
import type { BusinessHours, HealthComponent } from '../model/project-config.ts';
import type { SurveyState } from '../surveys/state.ts';

/** Per-project settings that ingestion and metrics read. */
export interface ProjectConfig {
  /** Reporting currency (ISO 4217). */
  currency: string;
  /** IANA time zone for reports (default Europe/Rome). */
  timezone: string;
  /** Rates to the reporting currency: 1 unit of the key currency = rate units of `currency`. */
  fxRates: Record<string, number>;
  /** Event names that count as conversions. */
  conversionEvents: string[];
  /**
   * Health score weights: `default` and per segment, each a partial set of component weights
   * (missing components keep their default weight; weights are normalised to sum to 1).
   */
  healthWeights?: Record<string, Partial<Record<HealthComponent, number>>>;
  /** Opening hours for business-hours durations (default Monday–Friday 09:00–18:00). */
  businessHours?: BusinessHours;
}

export const DEFAULT_PROJECT_CONFIG: ProjectConfig = {
  currency: 'EUR',
  timezone: 'Europe/Rome',
  fxRates: {},
  conversionEvents: ['Order Completed', 'Signed Up', 'Form Submitted'],
};

export interface Project {
  id: string;
  name: string;
  config: ProjectConfig;
  createdAt: string;
}

/** `public`: browser-safe (events, identify, widget answers); `write`: every record kind; `secret`: read and administer. */
export type KeyScope = 'public' | 'write' | 'secret';

export interface ApiKeyRow {
  id: string;
  projectId: string;
  scope: KeyScope;
  name: string;
  createdAt: string;
  revokedAt: string | null;
}

/** Dashboard roles: `viewer` reads, `editor` may also change views and surveys, `admin` also manages users. */
export type Role = 'viewer' | 'editor' | 'admin';

export const ROLES: readonly Role[] = ['viewer', 'editor', 'admin'];

/** A person who signs in to the dashboard of one project. */
export interface DashboardUser {
  id: string;
  projectId: string;
  email: string;
  role: Role;
  createdAt: string;
}

/** A signed-in browser: stored by the hash of its cookie token, with its CSRF token. */
export interface SessionRow {
  projectId: string;
  /** Null for a session opened with the project's secret key (first run, before any user exists). */
  userId: string | null;
  role: Role;
  csrfToken: string;
  expiresAt: string;
}

/** Outcome of one ingestion: counts, and every rejected record with its position, field and reason. */
export interface IngestResult {
  /** Valid records that are new, or new content for a known state. */
  accepted: number;
  /** Of the accepted, those that replaced a stored state. */
  updated: number;
  /** Records already stored (same fact id, or identical state). */
  duplicates: number;
  /** States older (by `updatedAt`) than the stored version, hence not applied. */
  outdated: number;
  /** Rejected records; for bulk imports only the first `rejectedLimit` problems are listed. */
  rejected: RecordError[];
  /** Number of rejected records (may exceed `rejected.length` for bulk imports). */
  rejectedCount: number;
}

export interface IngestOptions {
  /** Kinds whose records update only the fields they carry (Segment `identify`), instead of replacing. */
  patch?: ReadonlySet<RecordKind>;
}

/** One fit of a customer model, as stored. */
export interface ModelFit {
  /** Model name (clv, churn_risk…) and version of the code that fitted it. */
  model: string;
  version: string;
  fittedAt: Date;
  customers: number;
  params: unknown;
  quality?: unknown;
  /** Score names this fit writes (their previous values are replaced). */
  scoreNames: readonly string[];
}

/** One per-customer value of a fit: `name` is the score (clv, p_alive, churn_risk…). */
export interface CustomerScore {
  customerId: string;
  name: string;
  value: number | null;
  details?: unknown;
}

/** A stored per-customer score. */
export interface StoredScore {
  model: string;
  version: string;
  fittedAt: string;
  value: number | null;
  details: unknown;
}

export type FileFormat = 'csv' | 'ndjson' | 'parquet';

export interface ImportSpec {
  path: string;
  format: FileFormat;
  kind: RecordKind;
  /** Field name → column name in the file. Unmapped columns with a field's name map to it. */
  mapping: Record<string, string>;
  /** Time zone for timestamps that carry no offset. */
  timezone?: string;
  /** How many problems to list (the count is always complete). */
  rejectedLimit?: number;
}

/** Progress of a long operation, 0–100. */
export type ProgressFn = (percent: number) => void;

/** The store as an executor of queries nobody waits for (see `Store.select`). */
export function inBackground(store: Store): SqlExecutor {
  return {
    dialect: store.dialect,
    memo: store.memo,
    select: (sql, params) => store.select(sql, params, { background: true }),
  };
}

export interface Store extends SqlExecutor {
  /** Opens and migrates; resolves once writes can be acknowledged. */
  readonly ready: Promise<void>;
  /**
   * Runs a metric query. A `background` one (a prefetch, the warmer) waits while the others need the
   * engine: it never takes the last free connection, and every free connection goes to them first.
   */
  select(
    sql: string,
    params: Record<string, string | number | boolean | null>,
    options?: { background?: boolean },
  ): Promise<Record<string, unknown>[]>;
  /** Every committed write, per project (the metric memo and the query warmer follow it). */
  readonly changes: ChangeLog;
  createProject(name: string, config?: Partial<ProjectConfig>): Promise<Project>;
  getProject(id: string): Promise<Project | null>;
  listProjects(): Promise<Project[]>;
  updateProjectConfig(id: string, patch: Partial<ProjectConfig>): Promise<Project>;
  /** Stores a key by the SHA-256 hash of its token. */
  addKey(projectId: string, scope: KeyScope, name: string, tokenHash: string): Promise<ApiKeyRow>;
  findKeyByHash(tokenHash: string): Promise<ApiKeyRow | null>;
  listKeys(projectId: string): Promise<ApiKeyRow[]>;
  revokeKey(projectId: string, keyId: string): Promise<boolean>;
  /** Validates and stores records grouped by kind, in one transaction. Committed before it resolves. */
  ingest(
    project: Project,
    batch: ReadonlyMap<RecordKind, ColumnBatch>,
    opts?: IngestOptions,
  ): Promise<IngestResult>;
  /** Bulk import of a file through the engine's own readers. */
  importFile(project: Project, spec: ImportSpec, progress?: ProgressFn): Promise<IngestResult>;
  /** Links an anonymous identity to a customer; earlier records of it now count for the customer. */
  alias(projectId: string, anonymousId: string, customerId: string): Promise<number>;
  /** Removes every record of a customer (and of the anonymous ids linked to it). */
  eraseCustomer(projectId: string, customerId: string): Promise<Record<string, number>>;
  /** Stores a model fit and replaces the per-customer scores of the score names it produces. */
  saveModelFit(projectId: string, fit: ModelFit, scores: readonly CustomerScore[]): Promise<void>;
  /** The latest stored scores of one customer (one row per score name). */
  customerScores(projectId: string, customerId: string): Promise<StoredScore[]>;
  /** Stored records of one kind (newest first), for inspection and tests. */
  listRecords(
    projectId: string,
    kind: RecordKind,
    opts?: { limit?: number; id?: string },
  ): Promise<Record<string, unknown>[]>;
  count(projectId: string, kind: RecordKind): Promise<number>;
  /** Survey definitions, invitations, scheduler, outbox, opt-outs and webhooks. */
  readonly surveys: SurveyState;
  /** Customers whose id, name or email contains `text` (case-insensitive), by name. */
  searchCustomers(projectId: string, text: string, limit: number): Promise<Record<string, unknown>[]>;
  /** A customer's newest records of every kind that involves a person (at most `limit` a kind). */
  customerRecords(
    projectId: string,
    customerId: string,
    limit: number,
  ): Promise<Partial<Record<RecordKind, Record<string, unknown>[]>>>;
  /** Adds a dashboard user; the e-mail address is unique across projects. */
  addUser(projectId: string, email: string, role: Role, passwordHash: string): Promise<DashboardUser>;
  findUserByEmail(email: string): Promise<(DashboardUser & { passwordHash: string }) | null>;
  findUserById(id: string): Promise<DashboardUser | null>;
  addSession(tokenHash: string, session: SessionRow): Promise<void>;
  /** The session of a token hash, if it has not expired at `now`. */
  findSession(tokenHash: string, now: Date): Promise<SessionRow | null>;
  deleteSession(tokenHash: string): Promise<void>;
  /** Replaces a project's remembered queries (JSON bodies, most recent last). */
  saveRecentQueries(projectId: string, queries: readonly RecentQuery[]): Promise<void>;
  /** Every project's remembered queries, oldest first. */
  recentQueries(): Promise<(RecentQuery & { projectId: string })[]>;
  close(): Promise<void>;
}

/** A query asked recently: its body as JSON text and when it was last asked. */
export interface RecentQuery {
  readonly body: string;
  readonly askedAt: Date;
}
