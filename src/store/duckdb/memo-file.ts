/**
 * @module store/duckdb/memo-file
 * The metric memo kept in the database file, so a restarted server answers from the cells it had
 * computed instead of from the raw records. Two tables make it safe:
 *
 * - `memo_changes`: every write, logged with its number in the same transaction as the write (or
 *   before a write that is not one transaction, such as a file import). A crash can therefore never
 *   leave a write unlogged.
 * - `memo_cells` and `memo_state`: the memo's entries, written a moment after they change, and per
 *   project the number of the last write they were checked against.
 *
 * On opening, every cell that a write logged after its check can affect is deleted, by the same rule
 * the memo applies in memory (`affects`); the rest go back into the memo.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { parse, stringify } from 'devalue';
import type { Change, ChangeLog, Memo } from '../../engine/memo.ts';

/** How long after a memo entry changes it is written to the file (changes within it are taken together). */
const FLUSH_DELAY_MS = 1000;

/** The writer side a memo file needs from its store: writes run one at a time, each in a transaction. */
export interface Writer {
  write<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T>;
}

/**
 * @example
 * const file = new MemoFile(changes);
 * const memo = new Memo(changes, 250_000, file.touched);
 * await file.open(conn, memo); // after migrations
 * const numbered = await file.log(conn, changes); // inside each write's transaction
 */
export class MemoFile<T> {
  /** The last number given to a write, per project (the log may be ahead of the changes recorded). */
  private readonly logged = new Map<string, number>();
  /** Keys kept or dropped since the last flush, per project. */
  private readonly dirty = new Map<string, Set<string>>();
  private timer: NodeJS.Timeout | undefined;
  private memo: Memo<T> | undefined;
  private writer: Writer | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private saved = 0;

  constructor(private readonly changes: ChangeLog) {}

  /** Follows the memo's kept and dropped keys (pass it to the memo's constructor). */
  readonly touched = (projectId: string, key: string): void => {
    const keys = this.dirty.get(projectId) ?? new Set<string>();
    this.dirty.set(projectId, keys);
    keys.add(key);
    if (this.writer && !this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.flush();
      }, FLUSH_DELAY_MS);
      this.timer.unref();
    }
  };

  /**
   * Numbers the writes of one transaction and logs them on its connection; record the returned
   * changes in the change log once the transaction has committed.
   */
  async log(conn: DuckDBConnection, changes: readonly Change[]): Promise<Change[]> {
    const numbered: Change[] = [];
    for (const change of changes) {
      const p = change.projectId;
      const generation = Math.max(this.logged.get(p) ?? 0, this.changes.generation(p)) + 1;
      this.logged.set(p, generation);
      await conn.run(`INSERT INTO memo_changes VALUES ($p, $g, $t::VARCHAR[], $s)`, {
        p,
        g: generation,
        t: change.tables === null ? null : `[${change.tables.join(',')}]`,
        s: change.since,
      });
      numbered.push({ ...change, generation });
    }
    return numbered;
  }

  /**
   * Continues the write numbering, deletes the cells a logged write has made stale and gives the
   * rest back to `memo` (when the memo is off, `undefined`: the cells stay in the file, and the
   * writes are still logged, to be checked against when a store with the memo opens it).
   */
  async open(conn: DuckDBConnection, writer: Writer, memo: Memo<T> | undefined): Promise<void> {
    const last = await conn.runAndReadAll(
      `SELECT project_id, max(generation)::DOUBLE AS g FROM (
         SELECT project_id, generation FROM memo_changes UNION ALL SELECT project_id, generation FROM memo_state)
       GROUP BY project_id`,
    );
    for (const r of last.getRowObjectsJS()) {
      this.logged.set(String(r.project_id), Number(r.g));
      this.changes.restore(String(r.project_id), Number(r.g));
    }
    // A cell is stale when a write logged after its project's last check touched a table it read
    // and began before its horizon (see `affects`).
    await conn.run(
      `DELETE FROM memo_cells c WHERE NOT EXISTS (SELECT 1 FROM memo_state s WHERE s.project_id = c.project_id)
          OR EXISTS (SELECT 1 FROM memo_changes ch JOIN memo_state s USING (project_id)
                      WHERE ch.project_id = c.project_id AND ch.generation > s.generation
                        AND (ch.tables IS NULL OR list_has_any(ch.tables, c.tables)) AND ch.since < c.horizon)`,
    );
    if (memo) {
      const rows = await conn.runAndReadAll(
        `SELECT project_id, key, tables, horizon, weight, value FROM memo_cells ORDER BY saved`,
      );
      for (const r of rows.getRowObjectsJS()) {
        let value: T;
        try {
          value = parse(String(r.value)) as T;
        } catch {
          // A cell that cannot be read back is computed again.
          await conn.run(`DELETE FROM memo_cells WHERE project_id = $p AND key = $k`, {
            p: String(r.project_id),
            k: String(r.key),
          });
          continue;
        }
        memo.restore(String(r.key), {
          projectId: String(r.project_id),
          tables: new Set((r.tables as string[]) ?? []),
          horizon: Number(r.horizon),
          weight: Number(r.weight),
          value,
        });
      }
      this.memo = memo;
      this.writer = writer;
    }
    // What is left is valid as of each project's last write: the log before it is no longer needed.
    for (const [p, g] of this.logged)
      await conn.run(`INSERT OR REPLACE INTO memo_state VALUES ($p, $g)`, { p, g });
    await conn.run(`DELETE FROM memo_changes`);
    const [latest] = (
      await conn.runAndReadAll(`SELECT coalesce(max(saved), 0)::DOUBLE AS s FROM memo_cells`)
    ).getRowObjectsJS();
    this.saved = Number(latest!.s) + 1;
  }

  /** Writes the entries kept or dropped since the last flush (waits for one already running). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.flushNow()).catch(() => undefined);
    return this.flushing;
  }

  /** Flushes what is pending and stops following the memo. */
  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
    this.writer = undefined;
  }

  private async flushNow(): Promise<void> {
    const { memo, writer } = this;
    if (!memo || !writer || this.dirty.size === 0) return;
    await writer.write(async (conn) => {
      // Inside the write queue every earlier write is committed and recorded: the entries in memory
      // are valid as of each project's current generation, which becomes the file's check.
      const projects = [...this.dirty];
      this.dirty.clear();
      await conn.run(
        `CREATE OR REPLACE TEMP TABLE memo_touched (project_id VARCHAR, key VARCHAR, tables VARCHAR,
           horizon DOUBLE, weight INTEGER, value VARCHAR)`,
      );
      const appender = await conn.createAppender('memo_touched', 'main', 'temp');
      let keys = 0;
      try {
        for (const [projectId, touched] of projects)
          for (const key of touched) {
            keys++;
            const entry = memo.peek(key);
            appender.appendVarchar(projectId);
            appender.appendVarchar(key);
            if (!entry) {
              for (let i = 0; i < 4; i++) appender.appendNull();
            } else {
              appender.appendVarchar(`[${[...entry.tables].join(',')}]`);
              appender.appendDouble(entry.horizon);
              appender.appendInteger(entry.weight);
              appender.appendVarchar(stringify(entry.value));
            }
            appender.endRow();
          }
        appender.flushSync();
      } finally {
        appender.closeSync();
      }
      await conn.run(
        `DELETE FROM memo_cells c USING memo_touched t WHERE c.project_id = t.project_id AND c.key = t.key`,
      );
      await conn.run(
        `INSERT INTO memo_cells SELECT project_id, key, tables::VARCHAR[], horizon, weight, value,
                  $saved + row_number() OVER () FROM memo_touched WHERE value IS NOT NULL`,
        { saved: this.saved },
      );
      this.saved += keys;
      for (const [projectId] of projects) {
        const generation = this.changes.generation(projectId);
        await conn.run(`INSERT OR REPLACE INTO memo_state VALUES ($p, $g)`, { p: projectId, g: generation });
        await conn.run(`DELETE FROM memo_changes WHERE project_id = $p AND generation <= $g`, {
          p: projectId,
          g: generation,
        });
      }
      await conn.run(`DROP TABLE memo_touched`);
    });
  }
}
