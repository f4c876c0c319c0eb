/**
 * @module store/duckdb/store
 * The embedded store: one DuckDB file per deployment. Writes go through one connection, one at a
 * time, each in a transaction that is committed (WAL flushed) before the caller is answered.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance, type DuckDBValue } from '@duckdb/node-api';
import { duckdbDialect } from '../../engine/dialects/duckdb.ts';
import { type Change, ChangeLog, Memo } from '../../engine/memo.ts';
import type { MemoCells } from '../../engine/run.ts';
import { PolsoError, type RecordError, recordError } from '../../errors.ts';
import type { ColumnBatch } from '../../ingest/columns.ts';
import { fieldsOf, KINDS, RECORD_KINDS, type RecordKind } from '../../model/kinds.ts';
import { describeProblem } from '../../model/messages.ts';
import { recordFromRow, toIso } from '../../model/rows.ts';
import type { SurveyState } from '../../surveys/state.ts';
import type { Clock } from '../../util/clock.ts';
import {
  type ApiKeyRow,
  type CustomerScore,
  type DashboardUser,
  DEFAULT_PROJECT_CONFIG,
  type ImportSpec,
  type IngestOptions,
  type IngestResult,
  type KeyScope,
  type ModelFit,
  type ProgressFn,
  type Project,
  type ProjectConfig,
  type RecentQuery,
  type Role,
  type SessionRow,
  type Store,
  type StoredScore,
} from '../store.ts';
import { MemoFile } from './memo-file.ts';
import * as merge from './merge-sql.ts';
import { HASH_CANARY, ident, MIGRATIONS } from './schema.ts';
import { DuckDbSurveyState } from './surveys.ts';
import {
  contentHash,
  fileAdapter,
  idKey,
  jsonAdapter,
  NDJSON_FILE,
  type SourceAdapter,
  stagingQuery,
  unusableColumns,
} from './validate-sql.ts';

type Params = Record<string, DuckDBValue>;

/** Binds only the named parameters the statement uses (DuckDB rejects unused ones). */
function bindUsed(sql: string, params: Params): Params {
  const used: Params = {};
  for (const name of Object.keys(params))
    if (new RegExp(`\\$${name}\\b`).test(sql)) used[name] = params[name]!;
  return used;
}

/** A file to import: how to count its rows and how to read them (in file order, or numbered). */
interface FileSource {
  /** SQL counting the file's records exactly. */
  count: string;
  /** An upper bound of the number of records, cheaply (CSV: lines minus the header). */
  lineBound?: () => Promise<number>;
  adapter(positional: boolean): SourceAdapter;
}

/** A batch waiting for the next group commit. */
interface PendingIngest {
  project: Project;
  batch: ReadonlyMap<RecordKind, ColumnBatch>;
  opts: IngestOptions;
  resolve: (r: IngestResult) => void;
  reject: (e: unknown) => void;
}

/** Most batches staged in one transaction. */
const MAX_GROUP = 64;

/** Options of the DuckDB store. */
export interface DuckDbStoreOptions {
  /** Data directory; the database is `DIR/polso.duckdb`. `:memory:` for an in-memory store. */
  dataDir: string;
  clock: Clock;
  /** DuckDB memory limit, e.g. '4GB'. */
  memoryLimit?: string;
  threads?: number;
  /** Read connections for metric queries run side by side (default 2). */
  readers?: number;
  /** Metric answers kept between queries, in cells (one metric's value for one group and period; default 250,000, about 130 MB; 0: none). */
  memoCells?: number;
}

/**
 * Kinds whose writes can change metric values of periods before their records' instants: a
 * customer's traits apply to all its records, and a customer's loss is the end of its last
 * subscription, undone by a later one.
 */
const RETROACTIVE = new Set<RecordKind>(['customer', 'subscription']);

export class DuckDbStore implements Store {
  readonly ready: Promise<void>;
  private instance!: DuckDBInstance;
  private writer!: DuckDBConnection;
  private reader!: DuckDBConnection;
  /** Idle read connections for `select`, and the callers waiting for one. */
  private idle: DuckDBConnection[] = [];
  private waiting: ((conn: DuckDBConnection) => void)[] = [];
  private waitingBackground: ((conn: DuckDBConnection) => void)[] = [];
  private pool: DuckDBConnection[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private pending: PendingIngest[] = [];
  private flushQueued = false;
  /** Kinds whose raw temp table exists on the writer connection. */
  private readonly rawTables = new Set<RecordKind>();
  private readonly clock: Clock;
  readonly surveys: SurveyState;
  /** Every committed write to records, models or settings, per project. */
  readonly changes = new ChangeLog();
  readonly memo: Memo<MemoCells>;
  /** The write log, and the memo's cells kept in the file (see `memo-file`). */
  private readonly memoFile = new MemoFile<MemoCells>(this.changes);
  private readonly keepsMemo: boolean;

  constructor(private readonly options: DuckDbStoreOptions) {
    this.clock = options.clock;
    const cells = options.memoCells ?? 250_000;
    this.keepsMemo = options.dataDir !== ':memory:' && cells > 0;
    this.memo = new Memo(this.changes, cells, this.keepsMemo ? this.memoFile.touched : undefined);
    this.ready = this.open();
    this.surveys = new DuckDbSurveyState(
      {
        write: (fn) => this.ready.then(() => this.write(fn)),
        rows: (sql, p) => this.ready.then(() => this.rows(sql, p)),
      },
      () => this.clock.now(),
    );
  }

  /** Path of the database file for a data directory. */
  static file(dataDir: string): string {
    return join(dataDir, 'polso.duckdb');
  }

  private async open(): Promise<void> {
    const { dataDir } = this.options;
    let path = ':memory:';
    if (dataDir !== ':memory:') {
      if (!existsSync(dataDir)) mkdirSync(dataDir, { recursive: true });
      path = DuckDbStore.file(dataDir);
    }
    const config: Record<string, string> = {};
    if (this.options.memoryLimit) config.memory_limit = this.options.memoryLimit;
    if (this.options.threads) config.threads = String(this.options.threads);
    try {
      this.instance = await DuckDBInstance.create(path, config);
    } catch (error) {
      const message = (error as Error).message;
      if (/lock/i.test(message)) throw new PolsoError('POLSO_STORE_LOCKED', `${message}`);
      throw error;
    }
    this.writer = await this.instance.connect();
    this.reader = await this.instance.connect();
    for (let i = 0; i < (this.options.readers ?? 2); i++) this.pool.push(await this.instance.connect());
    this.idle = [...this.pool];
    for (const conn of [this.writer, this.reader, ...this.pool]) await conn.run(`SET TimeZone = 'UTC'`);
    // Checkpoint after 128 MB of WAL rather than 16 MB: steady ingestion pauses less often, and every
    // commit is still durable in the WAL.
    await this.writer.run(`SET checkpoint_threshold = '128MB'`);
    await this.migrate();
    await this.checkHashes();
    await this.transaction((conn) =>
      this.memoFile.open(conn, { write: (fn) => this.write(fn) }, this.keepsMemo ? this.memo : undefined),
    );
  }

  private async migrate(): Promise<void> {
    await this.writer.run(
      `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMPTZ)`,
    );
    const done = await this.writer.runAndReadAll(`SELECT version FROM schema_migrations`);
    const applied = new Set(done.getRowObjectsJS().map((r) => Number(r.version)));
    for (const m of MIGRATIONS) {
      if (applied.has(m.version)) continue;
      await this.transaction(async (conn) => {
        for (const sql of m.statements()) await conn.run(sql);
        await conn.run(`INSERT INTO schema_migrations VALUES ($v, $n, $t::TIMESTAMPTZ)`, {
          v: m.version,
          n: m.name,
          t: this.clock.now().toISOString(),
        });
      });
    }
  }

  /**
   * Record keys and content hashes use DuckDB's `hash()`. If a DuckDB upgrade changed it, the canary
   * differs: every table is re-keyed (in one transaction) before any write, so duplicates are still
   * recognised.
   */
  private async checkHashes(): Promise<void> {
    const [now] = (
      await this.writer.runAndReadAll(`SELECT hash($c)::VARCHAR AS h`, { c: HASH_CANARY })
    ).getRowObjectsJS();
    const [stored] = (
      await this.writer.runAndReadAll(`SELECT value FROM settings WHERE name = 'hash_canary'`)
    ).getRowObjectsJS();
    if (stored?.value === now?.h) return;
    await this.transaction(async (conn) => {
      for (const kind of RECORD_KINDS) {
        const spec = KINDS[kind];
        const content =
          spec.lifecycle === 'state' ? `, _hash = ${contentHash(spec, (f) => ident(f.column))}` : '';
        await conn.run(`UPDATE ${ident(spec.table)} SET _key = ${idKey('project_id', 'id')}${content}`);
      }
      await conn.run(`INSERT OR REPLACE INTO settings VALUES ('hash_canary', $h)`, { h: String(now?.h) });
    });
  }

  /** Runs `fn` on the writer connection inside a transaction, after every earlier write. */
  private write<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.exclusive(() => this.transaction(fn));
  }

  /**
   * A write that changes what metrics read: `changed` says what, from the write's result. The
   * changes are logged in the write's transaction and recorded once it has committed.
   */
  private async changing<T>(
    changed: (result: T) => Change[],
    fn: (conn: DuckDBConnection) => Promise<T>,
  ): Promise<T> {
    let logged: Change[] = [];
    const result = await this.write(async (conn) => {
      const r = await fn(conn);
      logged = await this.memoFile.log(conn, changed(r));
      return r;
    });
    for (const change of logged) this.changes.record(change);
    return result;
  }

  /** Runs `fn` with the writer connection to itself, after every earlier write (no transaction). */
  private exclusive<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    const run = this.queue.then(() => fn(this.writer));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async transaction<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    await this.writer.run('BEGIN TRANSACTION');
    try {
      const result = await fn(this.writer);
      await this.writer.run('COMMIT');
      return result;
    } catch (error) {
      await this.writer.run('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  private async rows(sql: string, params: Params = {}, conn: DuckDBConnection = this.reader) {
    const reader = await conn.runAndReadAll(sql, bindUsed(sql, params));
    return reader.getRowObjectsJS();
  }

  // ---- projects and keys -------------------------------------------------------------------

  async createProject(name: string, config: Partial<ProjectConfig> = {}): Promise<Project> {
    const project: Project = {
      id: `prj_${randomUUID().replaceAll('-', '').slice(0, 20)}`,
      name,
      config: { ...DEFAULT_PROJECT_CONFIG, ...config },
      createdAt: this.clock.now().toISOString(),
    };
    await this.write((conn) =>
      conn.run(`INSERT INTO projects VALUES ($id, $name, $config::JSON, $at::TIMESTAMPTZ)`, {
        id: project.id,
        name,
        config: JSON.stringify(project.config),
        at: project.createdAt,
      }),
    );
    return project;
  }

  async getProject(id: string): Promise<Project | null> {
    const [row] = await this.rows(`SELECT * FROM projects WHERE id = $id`, { id });
    return row ? toProject(row) : null;
  }

  async listProjects(): Promise<Project[]> {
    return (await this.rows(`SELECT * FROM projects ORDER BY created_at`)).map(toProject);
  }

  async updateProjectConfig(id: string, patch: Partial<ProjectConfig>): Promise<Project> {
    const project = await this.getProject(id);
    if (!project) throw new PolsoError('POLSO_NOT_FOUND', `No project ${id}`);
    project.config = { ...project.config, ...patch };
    await this.changing(
      () => [{ projectId: id, tables: null, since: Number.NEGATIVE_INFINITY }],
      (conn) =>
        conn.run(`UPDATE projects SET config = $config::JSON WHERE id = $id`, {
          id,
          config: JSON.stringify(project.config),
        }),
    );
    return project;
  }

  async addKey(projectId: string, scope: KeyScope, name: string, tokenHash: string): Promise<ApiKeyRow> {
    const row: ApiKeyRow = {
      id: `key_${randomUUID().replaceAll('-', '').slice(0, 16)}`,
      projectId,
      scope,
      name,
      createdAt: this.clock.now().toISOString(),
      revokedAt: null,
    };
    await this.write((conn) =>
      conn.run(`INSERT INTO api_keys VALUES ($id, $p, $s, $n, $h, $at::TIMESTAMPTZ, NULL)`, {
        id: row.id,
        p: projectId,
        s: scope,
        n: name,
        h: tokenHash,
        at: row.createdAt,
      }),
    );
    return row;
  }

  async findKeyByHash(tokenHash: string): Promise<ApiKeyRow | null> {
    const [row] = await this.rows(`SELECT * FROM api_keys WHERE token_hash = $h`, { h: tokenHash });
    return row ? toKey(row) : null;
  }

  async listKeys(projectId: string): Promise<ApiKeyRow[]> {
    return (
      await this.rows(`SELECT * FROM api_keys WHERE project_id = $p ORDER BY created_at`, { p: projectId })
    ).map(toKey);
  }

  async revokeKey(projectId: string, keyId: string): Promise<boolean> {
    return this.write(async (conn) => {
      const r = await conn.run(
        `UPDATE api_keys SET revoked_at = $at::TIMESTAMPTZ WHERE id = $id AND project_id = $p AND revoked_at IS NULL`,
        { id: keyId, p: projectId, at: this.clock.now().toISOString() },
      );
      return r.rowsChanged > 0;
    });
  }

  // ---- records -------------------------------------------------------------------------------

  /**
   * Queues a batch; batches that arrive while a write is running are staged together in the next
   * transaction (group commit), and each caller gets its own outcome once it is committed.
   */
  ingest(
    project: Project,
    batch: ReadonlyMap<RecordKind, ColumnBatch>,
    opts: IngestOptions = {},
  ): Promise<IngestResult> {
    return new Promise((resolve, reject) => {
      this.pending.push({ project, batch, opts, resolve, reject });
      if (!this.flushQueued) this.scheduleFlush();
    });
  }

  /** Runs the pending batches in one transaction and answers each caller once it is committed. */
  private scheduleFlush(): void {
    this.flushQueued = true;
    let taken: PendingIngest[] = [];
    this.write(async (conn) => {
      this.flushQueued = false;
      taken = this.pending.splice(0, MAX_GROUP);
      if (this.pending.length > 0) this.scheduleFlush();
      const staged = await this.stageGroups(conn, taken);
      return { ...staged, changes: await this.memoFile.log(conn, staged.changes) };
    }).then(
      ({ outcomes, changes }) => {
        for (const change of changes) this.changes.record(change);
        for (const [p, r] of outcomes) {
          r.rejected.sort((x, y) => x.index - y.index);
          p.resolve(r);
        }
      },
      (error) => {
        for (const p of taken) p.reject(error);
      },
    );
  }

  private async stageGroups(
    conn: DuckDBConnection,
    taken: PendingIngest[],
  ): Promise<{ outcomes: Map<PendingIngest, IngestResult>; changes: Change[] }> {
    const groups = new Map<string, PendingIngest[]>();
    const changes: Change[] = [];
    for (const p of taken) {
      const key = `${p.project.id}|${[...(p.opts.patch ?? [])].sort().join(',')}`;
      groups.set(key, [...(groups.get(key) ?? []), p]);
    }
    const outcomes = new Map<PendingIngest, IngestResult>();
    for (const group of groups.values()) {
      const results = group.map(() => emptyResult());
      const { project, opts } = group[0]!;
      for (const kind of RECORD_KINDS) {
        const parts = group.map((p) => p.batch.get(kind));
        if (!parts.some((c) => c && c.index.length > 0)) continue;
        const spec = KINDS[kind];
        const names = fieldsOf(spec).map((f) => f.name);
        const table = await this.loadRaw(conn, kind, names, parts);
        const params = { ...this.baseParams(project), tz: null };
        const adapter = fileAdapter(spec, table, names, {}, false);
        await this.stage(conn, kind, adapter, params);
        const since = await this.stagedSince(conn, kind, params);
        const perRequest = await this.mergeStaged(conn, kind, adapter, params, {
          rejectedLimit: Number.MAX_SAFE_INTEGER,
          patch: opts.patch?.has(kind) ?? false,
        });
        let written = 0;
        for (const [req, r] of perRequest) {
          addResult(results[req]!, r);
          written += r.accepted + r.updated;
        }
        if (written > 0) changes.push({ projectId: project.id, tables: [spec.table], since });
      }
      for (const [i, p] of group.entries()) outcomes.set(p, results[i]!);
    }
    return { outcomes, changes };
  }

  /**
   * The earliest instant of the valid staged records and of the stored versions they replace (epoch ms):
   * no period ending before it can see the write. Minus infinity for retroactive kinds.
   */
  private async stagedSince(conn: DuckDBConnection, kind: RecordKind, params: Params): Promise<number> {
    const spec = KINDS[kind];
    const instants = fieldsOf(spec)
      .filter((f) => f.type === 'timestamp')
      .map((f) => ident(f.column));
    if (RETROACTIVE.has(kind) || instants.length === 0) return Number.NEGATIVE_INFINITY;
    // least() skips nulls; a record without any instant leaves the minimum unknown (null).
    const earliest = instants.length > 1 ? `least(${instants.join(', ')})` : instants[0]!;
    const stored =
      spec.lifecycle === 'state'
        ? `UNION ALL SELECT ${earliest} FROM ${ident(spec.table)}
           WHERE project_id = $project AND _key IN (SELECT _key FROM stg WHERE errs IS NULL)`
        : '';
    const sql = `SELECT epoch_ms(min(t)) AS since, count(*) FILTER (WHERE t IS NULL) AS unknown
      FROM (SELECT ${earliest} AS t FROM stg WHERE errs IS NULL ${stored})`;
    const [row] = await this.rows(sql, params, conn);
    return row?.since === null || row?.since === undefined || Number(row.unknown) > 0
      ? Number.NEGATIVE_INFINITY
      : Number(row.since);
  }

  /**
   * Loads column batches into the connection's raw table for a kind with DuckDB's appender (the
   * cheapest way in from JavaScript), numbering rows `request × REQUEST_STRIDE + position`.
   */
  private async loadRaw(
    conn: DuckDBConnection,
    kind: RecordKind,
    names: string[],
    parts: (ColumnBatch | undefined)[],
  ): Promise<string> {
    const table = `raw_${kind}`;
    if (!this.rawTables.has(kind)) {
      const cols = names.map((n) => `${ident(n)} VARCHAR`).join(', ');
      await conn.run(`CREATE OR REPLACE TEMP TABLE ${table} (idx BIGINT, ${cols})`);
      this.rawTables.add(kind);
    }
    await conn.run(`DELETE FROM ${table}`);
    const appender = await conn.createAppender(table, 'main', 'temp');
    try {
      parts.forEach((batch, req) => {
        if (!batch) return;
        const columns = names.map((n) => batch.columns[n]!);
        batch.index.forEach((position, row) => {
          appender.appendBigInt(BigInt(req * merge.REQUEST_STRIDE + position));
          for (const column of columns) {
            const v = column[row];
            if (v === null || v === undefined) appender.appendNull();
            else appender.appendVarchar(v);
          }
          appender.endRow();
        });
      });
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
    return table;
  }

  async importFile(project: Project, spec: ImportSpec, progress?: ProgressFn): Promise<IngestResult> {
    if (!existsSync(spec.path)) throw new PolsoError('POLSO_FILE_NOT_FOUND', `No file at ${spec.path}`);
    const source = await this.fileSource(spec);
    const params = { ...this.baseParams(project), path: spec.path, tz: spec.timezone ?? null };
    const limit = spec.rejectedLimit ?? 1000;
    progress?.(0);
    const change = {
      projectId: project.id,
      tables: [KINDS[spec.kind].table],
      since: Number.NEGATIVE_INFINITY,
    };
    let logged: Change[] = [];
    let result: IngestResult;
    try {
      result = await this.exclusive(async (conn) => {
        // An import commits in several transactions: it is logged before the first.
        logged = await this.memoFile.log(conn, [change]);
        return KINDS[spec.kind].lifecycle === 'fact'
          ? this.importFacts(conn, spec.kind, source, params, limit, progress)
          : this.importStates(conn, spec.kind, source, params, limit, progress);
      });
    } catch (error) {
      // A failed import may have committed some of its transactions before failing.
      for (const c of logged) this.changes.record(c);
      throw error;
    }
    if (result.accepted + result.updated > 0) for (const c of logged) this.changes.record(c);
    progress?.(100);
    return result;
  }

  /**
   * Facts, the bulk of large imports, take the fast path: valid rows stream from the file straight
   * into the table (in file order), then the few duplicates — the same id earlier in the file or
   * already stored — are deleted, keeping the first. Rejected rows are located in a second pass only
   * when the row count says there are any.
   */
  private async importFacts(
    conn: DuckDBConnection,
    kind: RecordKind,
    source: FileSource,
    params: Params,
    limit: number,
    progress?: ProgressFn,
  ): Promise<IngestResult> {
    const spec = KINDS[kind];
    const run = (sql: string) => conn.run(sql, bindUsed(sql, { ...params, limit }));
    // A CSV's line count bounds its rows from above and costs no DuckDB time (counted while DuckDB
    // inserts); only when it exceeds the rows inserted is the file counted exactly.
    const bound = source.lineBound ? source.lineBound() : Promise.resolve(null);
    const { inserted, duplicates } = await this.watch(conn, progress, 5, 95, () =>
      this.transaction(async () => {
        const ins = await run(merge.insertValidFacts(spec, stagingQuery(spec, source.adapter(true))));
        const [before] = await this.rows(merge.factsBefore(spec), params, conn);
        const del = await run(merge.deleteDuplicateFacts(spec, before?.earlier === true));
        return { inserted: ins.rowsChanged, duplicates: del.rowsChanged };
      }),
    );
    const upper = await bound;
    const total =
      upper !== null && upper <= inserted
        ? inserted
        : Number((await this.rows(source.count, params, conn))[0]?.n ?? 0);
    const rejectedCount = total - inserted;
    const rejected = rejectedCount > 0 ? await this.locateRejected(conn, kind, source, params, limit) : [];
    return { accepted: inserted - duplicates, updated: 0, duplicates, outdated: 0, rejected, rejectedCount };
  }

  /** The first `limit` problems of a file, with their positions (a numbered pass over the file). */
  private async locateRejected(
    conn: DuckDBConnection,
    kind: RecordKind,
    source: FileSource,
    params: Params,
    limit: number,
  ) {
    const staging = stagingQuery(KINDS[kind], source.adapter(false));
    const sql = `SELECT idx, e.field AS field, e.code AS code
      FROM (SELECT idx, unnest(errs) AS e FROM (${staging}) WHERE errs IS NOT NULL) ORDER BY idx LIMIT $limit`;
    return (await this.rows(sql, { ...params, limit }, conn)).map((r) => problemOf(kind, r, Number(r.idx)));
  }

  /** States are compared with what is stored, through a staging table in file order. */
  private async importStates(
    conn: DuckDBConnection,
    kind: RecordKind,
    source: FileSource,
    params: Params,
    limit: number,
    progress?: ProgressFn,
  ): Promise<IngestResult> {
    const adapter = source.adapter(true);
    const options = { rejectedLimit: limit, patch: false };
    // Staging is temporary and connection-local, so it runs before the transaction: its row ids
    // then start at 0 and are the file positions.
    try {
      await this.watch(conn, progress, 0, 60, () => this.stage(conn, kind, adapter, params));
      // Rows carry their positions, so the merge may write them in any order (in parallel).
      await conn.run('SET preserve_insertion_order = false');
      const outcome = await this.watch(conn, progress, 60, 100, () =>
        this.transaction((c) => this.mergeStaged(c, kind, adapter, params, options)),
      ).finally(() => conn.run('SET preserve_insertion_order = true'));
      return outcome.get(0) ?? emptyResult();
    } finally {
      for (const sql of merge.DROP_TEMP) await conn.run(sql);
    }
  }

  /**
   * How to read a file: NDJSON line by line as JSON records, CSV and Parquet by column; in file order
   * (positions are row ids) or numbered (an `idx` column, for locating problems).
   */
  private async fileSource(spec: ImportSpec): Promise<FileSource> {
    const kindSpec = KINDS[spec.kind];
    const numbered = (from: string) => `(SELECT row_number() OVER () - 1 AS idx, * FROM ${from})`;
    if (spec.format === 'ndjson') {
      if (Object.keys(spec.mapping).length > 0)
        throw new PolsoError(
          'POLSO_BAD_OPTION',
          '--map applies to CSV and Parquet; NDJSON records use field names',
        );
      return {
        count: `SELECT count(*) AS n FROM ${NDJSON_FILE}`,
        adapter: (positional) =>
          jsonAdapter(kindSpec, positional ? NDJSON_FILE : numbered(NDJSON_FILE), positional),
      };
    }
    const from =
      spec.format === 'csv' ? `read_csv($path, header = true, all_varchar = true)` : `read_parquet($path)`;
    const described = await this.rows(`DESCRIBE SELECT * FROM ${from}`, { path: spec.path }).catch(
      (e: Error) => {
        throw new PolsoError('POLSO_BAD_OPTION', `Cannot read ${spec.path} as ${spec.format}: ${e.message}`);
      },
    );
    const columns = described.map((r) => String(r.column_name));
    const bad = unusableColumns(kindSpec, columns, spec.mapping);
    if (bad.length > 0)
      throw new PolsoError(
        'POLSO_BAD_OPTION',
        `Columns ${bad.join(', ')} match no field of ${spec.kind}; map them with --map field=column or remove them`,
      );
    for (const [field, column] of Object.entries(spec.mapping)) {
      if (!fieldsOf(kindSpec).some((fl) => fl.name === field))
        throw new PolsoError('POLSO_BAD_OPTION', `--map ${field}=…: ${spec.kind} has no field ${field}`);
      if (!columns.includes(column))
        throw new PolsoError('POLSO_BAD_OPTION', `--map …=${column}: the file has no column ${column}`);
    }
    return {
      count: `SELECT count(*) AS n FROM ${from}`,
      ...(spec.format === 'csv' ? { lineBound: async () => (await countLines(spec.path)) - 1 } : {}),
      adapter: (positional) =>
        fileAdapter(kindSpec, positional ? from : numbered(from), columns, spec.mapping, positional),
    };
  }

  private baseParams(project: Project): Params {
    return {
      project: project.id,
      currency: project.config.currency,
      rates: JSON.stringify(project.config.fxRates),
      now: this.clock.now().toISOString(),
      limit: 0,
    };
  }

  /** Reports DuckDB's progress of the running statement, scaled into [from, to], while `fn` runs. */
  private async watch<T>(
    conn: DuckDBConnection,
    progress: ProgressFn | undefined,
    from: number,
    to: number,
    fn: () => Promise<T>,
  ): Promise<T> {
    if (!progress) return fn();
    const timer = setInterval(() => {
      const pct = conn.progress.percentage;
      if (pct >= 0) progress(Math.round(from + ((to - from) * pct) / 100));
    }, 500);
    try {
      return await fn();
    } finally {
      clearInterval(timer);
      progress(to);
    }
  }

  /** Validates and types one kind's rows into the connection's staging table `stg`. */
  private async stage(conn: DuckDBConnection, kind: RecordKind, adapter: SourceAdapter, params: Params) {
    const sql = `CREATE OR REPLACE TEMP TABLE stg AS ${stagingQuery(KINDS[kind], adapter)}`;
    await conn.run(sql, bindUsed(sql, params));
  }

  /**
   * Merges the staging table inside the caller's transaction; returns the outcome of each request
   * (`idx // REQUEST_STRIDE`, or the only one of a file) with positions relative to it.
   */
  private async mergeStaged(
    conn: DuckDBConnection,
    kind: RecordKind,
    adapter: SourceAdapter,
    params: Params,
    { rejectedLimit, patch }: { rejectedLimit: number; patch: boolean },
  ): Promise<Map<number, IngestResult>> {
    const spec = KINDS[kind];
    const run = async (sql: string) => conn.run(sql, bindUsed(sql, { ...params, limit: rejectedLimit }));
    if (patch) for (const sql of merge.patchRows(spec)) await run(sql);
    await run(merge.decisions(spec, adapter.positional));
    if (spec.lifecycle === 'state') await run(merge.deleteReplaced(spec, adapter.positional));
    await run(merge.insertRows(spec, adapter.positional));
    const out = new Map<number, IngestResult>();
    for (const row of await this.rows(merge.counts(adapter.positional), {}, conn)) {
      out.set(Number(row.req), {
        accepted: Number(row.accepted),
        updated: Number(row.updated),
        duplicates: Number(row.duplicates),
        outdated: Number(row.outdated),
        rejected: [],
        rejectedCount: Number(row.rejected),
      });
    }
    const anyRejected = [...out.values()].some((r) => r.rejectedCount > 0);
    const rejected = anyRejected
      ? await this.rows(merge.rejected(adapter.positional), { limit: rejectedLimit }, conn)
      : [];
    for (const r of rejected) {
      const idx = Number(r.idx);
      const request = adapter.positional ? 0 : Math.floor(idx / merge.REQUEST_STRIDE);
      out
        .get(request)
        ?.rejected.push(problemOf(kind, r, adapter.positional ? idx : idx % merge.REQUEST_STRIDE));
    }
    return out;
  }

  async alias(projectId: string, anonymousId: string, customerId: string): Promise<number> {
    const tables = RECORD_KINDS.filter((k) => KINDS[k].person).map((k) => KINDS[k].table);
    const aliased = () => [{ projectId, tables, since: Number.NEGATIVE_INFINITY }];
    return this.changing(aliased, async (conn) => {
      await conn.run(
        `INSERT INTO identities VALUES ($p, $a, $c, $now::TIMESTAMPTZ)
         ON CONFLICT (project_id, anonymous_id) DO UPDATE SET customer_id = excluded.customer_id`,
        { p: projectId, a: anonymousId, c: customerId, now: this.clock.now().toISOString() },
      );
      let changed = 0;
      for (const kind of RECORD_KINDS) {
        const spec = KINDS[kind];
        if (!spec.person) continue;
        const r = await conn.run(
          `UPDATE ${ident(spec.table)} SET customer_id = $c
           WHERE project_id = $p AND anonymous_id = $a AND customer_id IS NULL`,
          { p: projectId, a: anonymousId, c: customerId },
        );
        changed += r.rowsChanged;
      }
      return changed;
    });
  }

  async eraseCustomer(projectId: string, customerId: string): Promise<Record<string, number>> {
    const changed = () => [{ projectId, tables: null, since: Number.NEGATIVE_INFINITY }];
    return this.changing(changed, async (conn) => {
      const deleted: Record<string, number> = {};
      const anon = `SELECT anonymous_id FROM identities WHERE project_id = $p AND customer_id = $c`;
      for (const kind of RECORD_KINDS) {
        const spec = KINDS[kind];
        const where =
          kind === 'customer'
            ? 'id = $c'
            : spec.person
              ? `(customer_id = $c OR anonymous_id IN (${anon}))`
              : null;
        if (!where) continue;
        const r = await conn.run(`DELETE FROM ${ident(spec.table)} WHERE project_id = $p AND ${where}`, {
          p: projectId,
          c: customerId,
        });
        deleted[kind] = r.rowsChanged;
      }
      const ids = await conn.run(`DELETE FROM identities WHERE project_id = $p AND customer_id = $c`, {
        p: projectId,
        c: customerId,
      });
      deleted.identities = ids.rowsChanged;
      const scores = await conn.run(
        `DELETE FROM customer_scores WHERE project_id = $p AND customer_id = $c`,
        {
          p: projectId,
          c: customerId,
        },
      );
      deleted.scores = scores.rowsChanged;
      return deleted;
    });
  }

  async saveModelFit(projectId: string, fit: ModelFit, scores: readonly CustomerScore[]): Promise<void> {
    const changed = () => [{ projectId, tables: ['customer_scores'], since: Number.NEGATIVE_INFINITY }];
    await this.changing(changed, async (conn) => {
      const at = fit.fittedAt.toISOString();
      await conn.run(
        // A refit at the same instant (a fixed clock) replaces the fit it repeats.
        `INSERT OR REPLACE INTO model_fits VALUES ($p, $m, $v, $t::TIMESTAMPTZ, $n, $params::JSON, $quality::JSON)`,
        {
          p: projectId,
          m: fit.model,
          v: fit.version,
          t: at,
          n: fit.customers,
          params: JSON.stringify(fit.params),
          quality: JSON.stringify(fit.quality ?? null),
        },
      );
      await conn.run(
        `CREATE OR REPLACE TEMP TABLE staged_scores (customer_id VARCHAR, model VARCHAR, value DOUBLE, details VARCHAR)`,
      );
      const appender = await conn.createAppender('staged_scores', 'main', 'temp');
      try {
        for (const s of scores) {
          appender.appendVarchar(s.customerId);
          appender.appendVarchar(s.name);
          if (s.value === null || !Number.isFinite(s.value)) appender.appendNull();
          else appender.appendDouble(s.value);
          if (s.details === undefined) appender.appendNull();
          else appender.appendVarchar(JSON.stringify(s.details));
          appender.endRow();
        }
        appender.flushSync();
      } finally {
        appender.closeSync();
      }
      const names = fit.scoreNames.map((_, i) => `$n${i}`).join(', ');
      const nameParams = Object.fromEntries(fit.scoreNames.map((n, i) => [`n${i}`, n]));
      await conn.run(`DELETE FROM customer_scores WHERE project_id = $p AND model IN (${names})`, {
        p: projectId,
        ...nameParams,
      });
      await conn.run(
        `INSERT INTO customer_scores
           SELECT $p, customer_id, model, $v, $t::TIMESTAMPTZ, value, details::JSON FROM staged_scores`,
        { p: projectId, v: fit.version, t: at },
      );
      await conn.run(`DROP TABLE staged_scores`);
    });
  }

  async customerScores(projectId: string, customerId: string): Promise<StoredScore[]> {
    const rows = await this.rows(
      `SELECT model, version, strftime(fitted_at AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ') AS fitted_at, value,
              CAST(details AS VARCHAR) AS details
         FROM customer_scores WHERE project_id = $p AND customer_id = $c ORDER BY model`,
      { p: projectId, c: customerId },
    );
    return rows.map((r) => ({
      model: String(r.model),
      version: String(r.version),
      fittedAt: String(r.fitted_at),
      value: r.value === null ? null : Number(r.value),
      details: r.details === null ? null : JSON.parse(String(r.details)),
    }));
  }

  async listRecords(
    projectId: string,
    kind: RecordKind,
    opts: { limit?: number; id?: string } = {},
  ): Promise<Record<string, unknown>[]> {
    const spec = KINDS[kind];
    const rows = await this.rows(
      `SELECT * EXCLUDE (_key, _hash) FROM ${ident(spec.table)}
       WHERE project_id = $p ${opts.id !== undefined ? 'AND id = $id' : ''} ORDER BY ts DESC, id LIMIT $limit`,
      { p: projectId, id: opts.id ?? null, limit: opts.limit ?? 100 },
    );
    return rows.map((r) => recordFromRow(kind, r));
  }

  async count(projectId: string, kind: RecordKind): Promise<number> {
    const [row] = await this.rows(
      `SELECT count(*) AS n FROM ${ident(KINDS[kind].table)} WHERE project_id = $p`,
      {
        p: projectId,
      },
    );
    return Number(row?.n ?? 0);
  }

  async searchCustomers(projectId: string, text: string, limit: number): Promise<Record<string, unknown>[]> {
    const rows = await this.rows(
      `SELECT * EXCLUDE (_key, _hash) FROM customers
       WHERE project_id = $p AND (contains(lower(id), $t) OR contains(lower(coalesce(name, '')), $t)
         OR contains(lower(coalesce(email, '')), $t))
       ORDER BY name NULLS LAST, id LIMIT $limit`,
      { p: projectId, t: text.toLowerCase(), limit },
    );
    return rows.map((r) => recordFromRow('customer', r));
  }

  async customerRecords(
    projectId: string,
    customerId: string,
    limit: number,
  ): Promise<Partial<Record<RecordKind, Record<string, unknown>[]>>> {
    const out: Partial<Record<RecordKind, Record<string, unknown>[]>> = {};
    for (const kind of RECORD_KINDS) {
      const spec = KINDS[kind];
      const owner = kind === 'customer' ? 'id' : spec.person ? 'customer_id' : null;
      if (!owner) continue;
      const rows = await this.rows(
        `SELECT * EXCLUDE (_key, _hash) FROM ${ident(spec.table)}
         WHERE project_id = $p AND ${owner} = $c ORDER BY ts DESC, id LIMIT $limit`,
        { p: projectId, c: customerId, limit },
      );
      out[kind] = rows.map((r) => recordFromRow(kind, r));
    }
    return out;
  }

  // ---- dashboard users and sessions ----------------------------------------------------------

  async addUser(projectId: string, email: string, role: Role, passwordHash: string): Promise<DashboardUser> {
    const user: DashboardUser = {
      id: `usr_${randomUUID().replaceAll('-', '').slice(0, 16)}`,
      projectId,
      email,
      role,
      createdAt: this.clock.now().toISOString(),
    };
    await this.write(async (conn) => {
      const taken = await conn.runAndReadAll(`SELECT 1 FROM dashboard_users WHERE email = $e`, { e: email });
      if (taken.currentRowCount > 0)
        throw new PolsoError('POLSO_USER_EXISTS', `A user with e-mail ${email} already exists`);
      await conn.run(`INSERT INTO dashboard_users VALUES ($id, $p, $e, $r, $h, $at::TIMESTAMPTZ)`, {
        id: user.id,
        p: projectId,
        e: email,
        r: role,
        h: passwordHash,
        at: user.createdAt,
      });
    });
    return user;
  }

  async findUserByEmail(email: string): Promise<(DashboardUser & { passwordHash: string }) | null> {
    const [row] = await this.rows(`SELECT * FROM dashboard_users WHERE email = $e`, { e: email });
    return row ? { ...toUser(row), passwordHash: String(row.password_hash) } : null;
  }

  async findUserById(id: string): Promise<DashboardUser | null> {
    const [row] = await this.rows(`SELECT * FROM dashboard_users WHERE id = $id`, { id });
    return row ? toUser(row) : null;
  }

  async addSession(tokenHash: string, session: SessionRow): Promise<void> {
    await this.write(async (conn) => {
      // Expired sessions are dropped as new ones open, so the table stays as small as the live ones.
      await conn.run(`DELETE FROM dashboard_sessions WHERE expires_at <= $now::TIMESTAMPTZ`, {
        now: this.clock.now().toISOString(),
      });
      await conn.run(
        `INSERT INTO dashboard_sessions VALUES ($h, $p, $u, $r, $csrf, $at::TIMESTAMPTZ, $exp::TIMESTAMPTZ)`,
        {
          h: tokenHash,
          p: session.projectId,
          u: session.userId,
          r: session.role,
          csrf: session.csrfToken,
          at: this.clock.now().toISOString(),
          exp: session.expiresAt,
        },
      );
    });
  }

  async findSession(tokenHash: string, now: Date): Promise<SessionRow | null> {
    const [row] = await this.rows(
      `SELECT * FROM dashboard_sessions WHERE token_hash = $h AND expires_at > $now::TIMESTAMPTZ`,
      { h: tokenHash, now: now.toISOString() },
    );
    if (!row) return null;
    return {
      projectId: String(row.project_id),
      userId: row.user_id == null ? null : String(row.user_id),
      role: String(row.role) as Role,
      csrfToken: String(row.csrf_token),
      expiresAt: toIso(row.expires_at),
    };
  }

  async deleteSession(tokenHash: string): Promise<void> {
    await this.write((conn) =>
      conn.run(`DELETE FROM dashboard_sessions WHERE token_hash = $h`, { h: tokenHash }),
    );
  }

  readonly dialect = duckdbDialect;

  /** Runs a metric query on a free read connection (several run side by side; see `Store.select`). */
  async select(
    sql: string,
    params: Record<string, string | number | boolean | null>,
    options: { background?: boolean } = {},
  ) {
    await this.ready;
    // Background queries leave one connection free for the others (when there are several).
    const reserved = this.pool.length > 1 ? 1 : 0;
    const free = options.background ? this.idle.length > reserved : this.idle.length > 0;
    const conn = free
      ? this.idle.pop()!
      : await new Promise<DuckDBConnection>((resolve) =>
          (options.background ? this.waitingBackground : this.waiting).push(resolve),
        );
    try {
      return await this.rows(sql, params as Params, conn);
    } finally {
      const next =
        this.waiting.shift() ?? (this.idle.length >= reserved ? this.waitingBackground.shift() : undefined);
      if (next) next(conn);
      else this.idle.push(conn);
    }
  }

  async saveRecentQueries(projectId: string, queries: readonly RecentQuery[]): Promise<void> {
    await this.write(async (conn) => {
      await conn.run(`DELETE FROM recent_queries WHERE project_id = $p`, { p: projectId });
      for (const q of queries)
        await conn.run(`INSERT OR REPLACE INTO recent_queries VALUES ($p, $b, $at::TIMESTAMPTZ)`, {
          p: projectId,
          b: q.body,
          at: q.askedAt.toISOString(),
        });
    });
  }

  async recentQueries(): Promise<(RecentQuery & { projectId: string })[]> {
    const rows = await this.rows(`SELECT * FROM recent_queries ORDER BY asked_at, body`);
    return rows.map((r) => ({
      projectId: String(r.project_id),
      body: String(r.body),
      askedAt: new Date(toIso(r.asked_at)),
    }));
  }

  /** Runs a read-only SQL query (tests and benchmarks compare against hand-written SQL). */
  async sql(sql: string, params: Params = {}): Promise<Record<string, unknown>[]> {
    return this.rows(sql, params);
  }

  async close(): Promise<void> {
    await this.ready.catch(() => undefined);
    await this.memoFile.close();
    await this.queue;
    if (this.writer) {
      await this.writer.run('CHECKPOINT').catch(() => undefined);
      this.writer.closeSync();
      this.reader.closeSync();
      for (const conn of this.pool) conn.closeSync();
      this.instance.closeSync();
    }
  }
}

/** A problem row (`field`, `code`) as the record error reported at `index`. */
function problemOf(kind: RecordKind, row: Record<string, unknown>, index: number): RecordError {
  const field = row.field === null ? null : String(row.field);
  const code = String(row.code) as RecordError['code'];
  return recordError(index, field, code, describeProblem(kind, field, code));
}

/** Lines of a file (newlines, plus a last line without one), streamed. */
async function countLines(path: string): Promise<number> {
  let lines = 0;
  let last = 10;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
    if (chunk.length > 0) last = chunk[chunk.length - 1]!;
  }
  return last === 10 ? lines : lines + 1;
}

function emptyResult(): IngestResult {
  return { accepted: 0, updated: 0, duplicates: 0, outdated: 0, rejected: [], rejectedCount: 0 };
}

function addResult(into: IngestResult, r: IngestResult): void {
  into.accepted += r.accepted;
  into.updated += r.updated;
  into.duplicates += r.duplicates;
  into.outdated += r.outdated;
  into.rejected.push(...r.rejected);
  into.rejectedCount += r.rejectedCount;
}

function toProject(row: Record<string, unknown>): Project {
  return {
    id: String(row.id),
    name: String(row.name),
    config: { ...DEFAULT_PROJECT_CONFIG, ...JSON.parse(String(row.config)) },
    createdAt: toIso(row.created_at),
  };
}

function toKey(row: Record<string, unknown>): ApiKeyRow {
  return {
    id: String(row.id),
    projectId: String(row.project_id),
    scope: String(row.scope) as KeyScope,
    name: String(row.name),
    createdAt: toIso(row.created_at),
    revokedAt: row.revoked_at == null ? null : toIso(row.revoked_at),
  };
}

function toUser(row: Record<string, unknown>): DashboardUser {
  return {
    id: String(row.id),
    projectId: String(row.project_id),
    email: String(row.email),
    role: String(row.role) as Role,
    createdAt: toIso(row.created_at),
  };
}
