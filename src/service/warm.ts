/**
 * @module service/warm
 * Keeps the metric memo warm for the questions people actually ask. It remembers the queries answered
 * recently and, a moment after a write to their project, asks them again in the background: the
 * periods the write reached are computed once, right after ingestion, instead of while someone waits
 * for a dashboard. The queries are kept in the store too, and `start` asks them again when the server
 * starts. Queries every project needs whether or not anyone has asked them yet — the dashboard's
 * default views — come from `seeds` and are asked the same way, at start and after writes. Its queries
 * run in the background (`inBackground`): they yield the engine to the queries someone waits for. It
 * computes nothing the engine would not — an answer it prepares is the one the next identical query
 * would have computed — and it reads records only.
 */
import { planQuery } from '../engine/plan.ts';
import { runQuery, takenAtEnd, totalFromMonths } from '../engine/run.ts';
import { METRICS } from '../metrics/catalogue.ts';
import { DIMENSIONS, dimensionApplies } from '../metrics/dimensions.ts';
import { inBackground, type Store } from '../store/store.ts';
import type { Clock } from '../util/clock.ts';
import { defaultViewQueries, type ViewQuery } from '../views/dashboard.ts';

/** The dashboard's default views for the metrics the catalogue has: the seeds `polso serve` warms. */
export function dashboardSeeds(now: Date): ViewQuery[] {
  return defaultViewQueries(now, {
    has: (metric) => METRICS.has(metric),
    fromMonths: (metric) => totalFromMonths(METRICS.get(metric)!.measure),
    atEnd: (metric) => {
      const { measure } = METRICS.get(metric)!;
      return measure.type === 'ratio'
        ? [measure.numerator, measure.denominator].some((id) => takenAtEnd(METRICS.get(id)!.measure))
        : takenAtEnd(measure);
    },
    groups: (metric, dim) => dimensionApplies(DIMENSIONS.get(dim)!, METRICS.get(metric)!),
  });
}

export interface WarmOptions {
  store: Store;
  clock: Clock;
  /** Quiet time after the last write before asking again (ms, default 1,000). */
  delayMs?: number;
  /** Longest wait from the first write waiting to a round, under constant writes (ms, default 30,000). */
  maxWaitMs?: number;
  /** Queries remembered per project, most recent first (default 200: a dashboard view asks about 60). */
  maxQueries?: number;
  /** Queries not asked for this long are forgotten (ms, default one week). */
  maxAgeMs?: number;
  /** How long remembered queries wait before they are saved to the store (ms, default 5,000). */
  saveDelayMs?: number;
  /** Queries asked for every project at start and after each write, after the remembered ones. */
  seeds?: (now: Date) => unknown[];
  log?: (message: string, error: unknown) => void;
}

/** Longest query body remembered (characters of JSON): a dashboard's are well under 2 KB. */
const MAX_BODY = 65_536;

interface Noted {
  readonly body: unknown;
  readonly lastAsked: number;
}

/**
 * @example
 * const warm = new QueryWarmer({ store, clock: systemClock });
 * warm.note(project.id, body); // after answering POST /api/v1/query
 */
export class QueryWarmer {
  private readonly noted = new Map<string, Map<string, Noted>>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Since when (`performance.now()` ms) each project's scheduled round has been waiting. */
  private readonly waitingSince = new Map<string, number>();
  private readonly dirty = new Set<string>();
  private readonly unsaved = new Set<string>();
  private saveTimer: NodeJS.Timeout | undefined;
  /** When the last round of each project ended and how long it took (`performance.now()` ms). */
  private readonly lastRound = new Map<string, { ended: number; took: number }>();
  private running: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly options: WarmOptions) {
    options.store.changes.subscribe((change) => this.changed(change.projectId));
  }

  /** Loads the queries saved by an earlier run and asks them again in the background. */
  async start(): Promise<void> {
    for (const q of await this.options.store.recentQueries())
      try {
        this.remember(q.projectId, JSON.parse(q.body), q.askedAt.getTime());
      } catch (error) {
        this.options.log?.('a saved query is not JSON', error);
      }
    const projects = this.options.seeds
      ? (await this.options.store.listProjects()).map((p) => p.id)
      : [...this.noted.keys()];
    for (const projectId of projects) this.schedule(projectId);
  }

  /** Remembers a query the project was just answered (not one whose body passes 64 KB). */
  note(projectId: string, body: unknown): void {
    if (JSON.stringify(body).length > MAX_BODY) return;
    this.remember(projectId, body, this.options.clock.now().getTime());
    this.unsaved.add(projectId);
    this.saveTimer ??= setTimeout(() => {
      this.saveTimer = undefined;
      this.running = this.running.then(() => this.save());
    }, this.options.saveDelayMs ?? 5_000);
  }

  private remember(projectId: string, body: unknown, lastAsked: number): void {
    const key = JSON.stringify(body);
    const queries = this.noted.get(projectId) ?? new Map<string, Noted>();
    this.noted.set(projectId, queries);
    queries.delete(key);
    queries.set(key, { body, lastAsked });
    for (const oldest of queries.keys()) {
      if (queries.size <= (this.options.maxQueries ?? 200)) break;
      queries.delete(oldest);
    }
  }

  /** Saves the remembered queries of the projects that asked new ones. */
  private async save(): Promise<void> {
    for (const projectId of [...this.unsaved]) {
      this.unsaved.delete(projectId);
      const queries = [...(this.noted.get(projectId)?.entries() ?? [])].map(([body, q]) => ({
        body,
        askedAt: new Date(q.lastAsked),
      }));
      try {
        await this.options.store.saveRecentQueries(projectId, queries);
      } catch (error) {
        this.options.log?.('saving recent queries', error);
      }
    }
  }

  /** Resolves once no re-asking is scheduled or running (tests wait on it). */
  async settled(): Promise<void> {
    while (this.timers.size > 0 || this.dirty.size > 0 || this.saveTimer) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      await this.running;
    }
    await this.running;
  }

  /** Stops asking, and saves what was remembered since the last save. */
  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    this.timers.clear();
    this.waitingSince.clear();
    this.dirty.clear();
    await this.running;
    await this.save();
  }

  private changed(projectId: string): void {
    if (!this.closed && (this.noted.has(projectId) || this.options.seeds)) this.schedule(projectId);
  }

  private schedule(projectId: string): void {
    // Writes arrive in bursts: each one moves the round to `delayMs` after it, so a bulk load is not
    // slowed down by rounds over its half-loaded data, but never later than `maxWaitMs` after the first
    // write waiting, so dashboards stay fresh under constant ingestion. A round also starts no sooner
    // after the last one ended than the last one took: the warmer keeps at most half the time busy.
    const now = performance.now();
    const since = this.waitingSince.get(projectId) ?? now;
    this.waitingSince.set(projectId, since);
    const quiet = Math.min(now + (this.options.delayMs ?? 1_000), since + (this.options.maxWaitMs ?? 30_000));
    const due = Math.max(quiet, now + this.rest(projectId));
    clearTimeout(this.timers.get(projectId));
    this.timers.set(
      projectId,
      setTimeout(() => {
        this.timers.delete(projectId);
        this.waitingSince.delete(projectId);
        this.dirty.add(projectId);
        // Checked again once earlier rounds are done: one may have ended since the timer was set.
        this.running = this.running.then(() => {
          if (this.closed || this.rest(projectId) <= 0) return this.ask(projectId);
          this.dirty.delete(projectId);
          this.schedule(projectId);
        });
      }, due - now),
    );
  }

  /** How long the project's next round must still wait: its last round's length after its end (ms). */
  private rest(projectId: string): number {
    const last = this.lastRound.get(projectId);
    return last ? last.ended + last.took - performance.now() : 0;
  }

  /** Asks the project's recent queries again, most recent first, then the seeds, one at a time. */
  private async ask(projectId: string): Promise<void> {
    this.dirty.delete(projectId);
    const queries = this.noted.get(projectId) ?? new Map<string, Noted>();
    const project = await this.options.store.getProject(projectId);
    if (!project) return;
    const now = this.options.clock.now();
    const started = performance.now();
    const asked = new Set<string>();
    const run = async (body: unknown): Promise<boolean> => {
      try {
        await runQuery(inBackground(this.options.store), planQuery(body, project, now));
        return true;
      } catch (error) {
        this.options.log?.('query warm-up', error);
        return false;
      }
    };
    for (const [key, q] of [...queries].reverse()) {
      if (this.closed) return;
      asked.add(key);
      // A query whose project settings changed under it is asked again only if someone does.
      if (now.getTime() - q.lastAsked > (this.options.maxAgeMs ?? 7 * 86_400_000) || !(await run(q.body)))
        queries.delete(key);
    }
    for (const body of this.options.seeds?.(now) ?? []) {
      if (this.closed) return;
      if (!asked.has(JSON.stringify(body))) await run(body);
    }
    const ended = performance.now();
    this.lastRound.set(projectId, { ended, took: ended - started });
  }
}
