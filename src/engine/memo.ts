/**
 * @module engine/memo
 * Metric answers kept between queries until the records they rest on change. A store reports every
 * committed write as a `Change` — the tables it touched and the earliest instant of any record it
 * added, changed or removed — and the memo drops exactly the entries a change can affect: those that
 * read one of the tables and whose period (plus the metric's look-ahead) ends after that instant.
 * Closed months therefore survive live ingestion into the current one, and a dashboard asks the
 * engine only for the periods whose records moved. The memo never computes anything itself: every
 * value it holds was computed by the engine from the raw records.
 */

/**
 * A committed write: the tables it touched (`null`: any), the earliest instant of every record it
 * wrote or removed (epoch ms; `-Infinity` when unknown) and, from a store that logs its writes, its
 * number in that log (omitted: the project's next).
 */
export interface Change {
  readonly projectId: string;
  readonly tables: readonly string[] | null;
  readonly since: number;
  readonly generation?: number;
}

/** Whether a change can affect a value resting on `dependence`. */
export function affects(change: Change, dependence: Dependence): boolean {
  const touched = change.tables === null || change.tables.some((t) => dependence.tables.has(t));
  return touched && change.since < dependence.horizon;
}

/**
 * The writes a store has committed, per project: a generation counter and the listeners that drop
 * what a change makes stale.
 * @example store.changes.record({ projectId, tables: ['events'], since: Date.parse('2026-10-31') })
 */
export class ChangeLog {
  private readonly generations = new Map<string, number>();
  private readonly listeners: ((change: Change) => void)[] = [];

  /** The number of changes recorded for a project so far. */
  generation(projectId: string): number {
    return this.generations.get(projectId) ?? 0;
  }

  /** Records a committed change; call it after the commit, before the writer's caller is answered. */
  record(change: Change): void {
    const next = this.generation(change.projectId) + 1;
    this.generations.set(change.projectId, Math.max(next, change.generation ?? next));
    for (const listener of this.listeners) listener(change);
  }

  /** Continues a project's numbering from a durable log (when a store opens). */
  restore(projectId: string, generation: number): void {
    this.generations.set(projectId, Math.max(this.generation(projectId), generation));
  }

  subscribe(listener: (change: Change) => void): void {
    this.listeners.push(listener);
  }
}

/** What an entry rests on: the tables its SQL read and the instant from which records can no longer change it (epoch ms; `Infinity`: records of any instant can). */
export interface Dependence {
  readonly tables: ReadonlySet<string>;
  readonly horizon: number;
}

/** A value the memo holds, with what it rests on. */
export interface Entry<T> extends Dependence {
  readonly projectId: string;
  readonly value: T;
  readonly weight: number;
}

/**
 * A map of computed values bounded by their total weight (least recently used go first), each
 * dropped by the first change that can affect it.
 * @example
 * const memo = new Memo<Cells>(store.changes);
 * const generation = memo.generation(projectId);
 * // … compute `cells` from the records …
 * memo.put(key, projectId, generation, { tables, horizon }, cells, cells.size);
 */
export class Memo<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly byProject = new Map<string, Set<string>>();
  private readonly running = new Map<string, Promise<unknown>>();
  /** Look-ups answered from the memo, and those that were not. */
  readonly stats = { hits: 0, misses: 0, dropped: 0 };
  private weight = 0;

  /**
   * @param touched Told of every key kept or dropped (a store that keeps the memo on disk follows it).
   */
  constructor(
    private readonly changes: ChangeLog,
    private readonly maxWeight = 250_000,
    private readonly touched?: (projectId: string, key: string) => void,
  ) {
    changes.subscribe((change) => this.invalidate(change));
  }

  /** The project's generation, to be read before computing a value that will be put. */
  generation(projectId: string): number {
    return this.changes.generation(projectId);
  }

  get(key: string): T | undefined {
    const entry = this.entries.get(key);
    if (!entry) {
      this.stats.misses++;
      return undefined;
    }
    // Least recently used entries go first: a hit moves the entry to the end.
    this.entries.delete(key);
    this.entries.set(key, entry);
    this.stats.hits++;
    return entry.value;
  }

  /**
   * Keeps a value computed from the records as they were at `generation`; a value computed while a
   * write committed may predate it, so it is not kept.
   */
  put(
    key: string,
    projectId: string,
    generation: number,
    dependence: Dependence,
    value: T,
    weight = 1,
  ): void {
    if (this.changes.generation(projectId) !== generation) return;
    this.keep(key, { ...dependence, projectId, value, weight });
  }

  /** Takes back an entry a store kept on disk, already checked against every change logged since. */
  restore(key: string, entry: Entry<T>): void {
    this.keep(key, entry, false);
  }

  /** The entry under `key`, without counting a look-up or refreshing its age. */
  peek(key: string): Entry<T> | undefined {
    return this.entries.get(key);
  }

  private keep(key: string, entry: Entry<T>, tell = true): void {
    if (entry.weight > this.maxWeight) return;
    this.remove(key);
    this.entries.set(key, entry);
    this.weight += entry.weight;
    const keys = this.byProject.get(entry.projectId) ?? new Set<string>();
    this.byProject.set(entry.projectId, keys);
    keys.add(key);
    if (tell) this.touched?.(entry.projectId, key);
    for (const oldest of this.entries.keys()) {
      if (this.weight <= this.maxWeight) break;
      this.remove(oldest);
    }
  }

  /**
   * Runs `compute` once for callers asking the same question at the same time: a caller arriving
   * while it runs shares its answer. Put the project's generation into `key`, so that a caller
   * arriving after a write never shares an answer begun before it.
   */
  once<R>(key: string, compute: () => Promise<R>): Promise<R> {
    const running = this.running.get(key);
    if (running) return running as Promise<R>;
    const started = compute().finally(() => this.running.delete(key));
    this.running.set(key, started);
    return started;
  }

  get size(): number {
    return this.entries.size;
  }

  private remove(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.weight -= entry.weight;
    this.byProject.get(entry.projectId)?.delete(key);
    this.touched?.(entry.projectId, key);
  }

  private invalidate(change: Change): void {
    const keys = this.byProject.get(change.projectId);
    if (!keys) return;
    for (const key of [...keys]) {
      if (affects(change, this.entries.get(key)!)) {
        this.remove(key);
        this.stats.dropped++;
      }
    }
  }
}
