/**
 * @module service/warm
 * Keeps the metric memo warm for the questions people actually ask. It remembers the queries answered
 * recently and, a moment after a write to their project, asks them again in the background: the
 * periods the write reached are computed once, right after ingestion, instead of while someone waits
 * for a dashboard. It computes nothing the engine would not — an answer it prepares is the one the
 * next identical query would have computed — and it only ever reads.
 */
import { planQuery } from '../engine/plan.ts';
import { runQuery } from '../engine/run.ts';
import type { Store } from '../store/store.ts';
import type { Clock } from '../util/clock.ts';

export interface WarmOptions {
  store: Store;
  clock: Clock;
  /** Quiet time after the last write before asking again (ms, default 1,000). */
  delayMs?: number;
  /** Queries remembered per project, most recent first (default 32). */
  maxQueries?: number;
  /** Queries not asked for this long are forgotten (ms, default one day). */
  maxAgeMs?: number;
  log?: (message: string, error: unknown) => void;
}

interface Noted {
  readonly body: unknown;
  lastAsked: number;
}

/**
 * @example
 * const warm = new QueryWarmer({ store, clock: systemClock });
 * warm.note(project.id, body); // after answering POST /api/v1/query
 */
export class QueryWarmer {
  private readonly noted = new Map<string, Map<string, Noted>>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly dirty = new Set<string>();
  private running: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly options: WarmOptions) {
    options.store.changes.subscribe((change) => this.changed(change.projectId));
  }

  /** Remembers a query the project was just answered. */
  note(projectId: string, body: unknown): void {
    const key = JSON.stringify(body);
    const queries = this.noted.get(projectId) ?? new Map<string, Noted>();
    this.noted.set(projectId, queries);
    queries.delete(key);
    queries.set(key, { body, lastAsked: this.options.clock.now().getTime() });
    for (const oldest of queries.keys()) {
      if (queries.size <= (this.options.maxQueries ?? 32)) break;
      queries.delete(oldest);
    }
  }

  /** Resolves once no re-asking is scheduled or running (tests wait on it). */
  async settled(): Promise<void> {
    while (this.timers.size > 0 || this.dirty.size > 0) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      await this.running;
    }
    await this.running;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.dirty.clear();
    await this.running;
  }

  private changed(projectId: string): void {
    if (this.closed || !this.noted.has(projectId)) return;
    // Writes arrive in bursts: wait until the project has been quiet for the delay.
    clearTimeout(this.timers.get(projectId));
    this.timers.set(
      projectId,
      setTimeout(() => {
        this.timers.delete(projectId);
        this.dirty.add(projectId);
        this.running = this.running.then(() => this.ask(projectId));
      }, this.options.delayMs ?? 1_000),
    );
  }

  /** Asks the project's recent queries again, most recent first, one at a time. */
  private async ask(projectId: string): Promise<void> {
    this.dirty.delete(projectId);
    const queries = this.noted.get(projectId);
    const project = await this.options.store.getProject(projectId);
    if (!queries || !project) return;
    const now = this.options.clock.now();
    for (const [key, q] of [...queries].reverse()) {
      if (this.closed || this.dirty.has(projectId)) return;
      if (now.getTime() - q.lastAsked > (this.options.maxAgeMs ?? 86_400_000)) {
        queries.delete(key);
        continue;
      }
      try {
        await runQuery(this.options.store, planQuery(q.body, project, now));
      } catch (error) {
        // The project's settings may have changed under the query; it is asked again only if someone does.
        queries.delete(key);
        this.options.log?.('query warm-up', error);
      }
    }
  }
}
