/**
 * @module surveys/scheduler
 * The durable survey scheduler, driven by the injected clock. Each tick, per project:
 * 1. finds records that fire a survey trigger and schedules a job for each (the job id is derived from
 *    survey, trigger and record, so a record seen again — or after a restart — schedules nothing new);
 * 2. runs the jobs that are due through the contact policy (opt-out, eligibility, sampling, throttle,
 *    quiet hours), creating at most one invitation per job (its id is derived from the job's);
 * 3. queues the reminders that are due, and sends what the outbox holds.
 * Nothing lives only in memory: a restart neither loses nor repeats an invitation.
 */
import type { Project, Store } from '../store/store.ts';
import type { Clock } from '../util/clock.ts';
import { type ContactPolicy, DEFAULT_POLICY, quietUntil, sampled, throttled } from './policy.ts';
import { derivedId, type SurveyService } from './service.ts';
import type { Job, StoredSurvey } from './state.ts';

/** What one tick did, for logs and tests. */
export interface TickReport {
  scheduled: number;
  invited: number;
  skipped: Record<string, number>;
  deferred: number;
  reminders: number;
  sent: number;
  failed: number;
}

export interface SchedulerOptions {
  store: Store;
  clock: Clock;
  service: SurveyService;
  policy?: ContactPolicy;
  /** How far back a trigger is still acted on (default 7 days). */
  lookbackDays?: number;
}

const HOUR = 3_600_000;

/** The scheduler; call {@link SurveyScheduler.tick} on a timer (or from tests after moving the clock). */
export class SurveyScheduler {
  private readonly policy: ContactPolicy;
  private running: Promise<TickReport> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private recovered = false;

  constructor(private readonly options: SchedulerOptions) {
    this.policy = options.policy ?? DEFAULT_POLICY;
  }

  /** Ticks every `ms` until {@link SurveyScheduler.stop}. */
  start(ms: number, onError: (e: unknown) => void): void {
    this.timer = setInterval(() => this.tick().catch(onError), ms);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /** One pass over every project with surveys; concurrent calls share the running pass. */
  tick(): Promise<TickReport> {
    this.running ??= this.pass().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async pass(): Promise<TickReport> {
    const { store } = this.options;
    const report: TickReport = {
      scheduled: 0,
      invited: 0,
      skipped: {},
      deferred: 0,
      reminders: 0,
      sent: 0,
      failed: 0,
    };
    if (!this.recovered) {
      // Messages a crash left half-sent go out again with the same Message-ID.
      await store.surveys.recoverOutbox();
      this.recovered = true;
    }
    for (const projectId of await store.surveys.projectsWithSurveys()) {
      const project = await store.getProject(projectId);
      if (!project) continue;
      const surveys = await store.surveys.listDefinitions(projectId);
      report.scheduled += await this.scan(project, surveys);
      await this.runJobs(project, report);
      report.reminders += await this.reminders(project, surveys);
      const sent = await this.options.service.flushOutbox(project);
      report.sent += sent.sent;
      report.failed += sent.failed;
    }
    return report;
  }

  /** Schedules a job for every record that fires a trigger and has none yet. */
  private async scan(project: Project, surveys: readonly StoredSurvey[]): Promise<number> {
    const now = this.options.clock.now();
    const lookback = (this.options.lookbackDays ?? 7) * 24 * HOUR;
    let added = 0;
    for (const survey of surveys)
      for (const [i, t] of survey.definition.triggers.entries()) {
        const prefix = `t:${survey.id}:${i}:`;
        // Triggers whose invitation was due within the look-back window (or is due later).
        const from = new Date(now.getTime() - t.delayMinutes * 60_000 - lookback).toISOString();
        const hits = await this.options.store.surveys.triggerHits(project.id, {
          kind: t.record,
          at: t.at,
          where: t.where,
          jobPrefix: prefix,
          from,
          to: now.toISOString(),
        });
        const jobs: Job[] = hits.map((h) => ({
          projectId: project.id,
          id: prefix + h.recordId,
          kind: 'invite',
          surveyId: survey.id,
          dueAt: new Date(new Date(h.at).getTime() + t.delayMinutes * 60_000).toISOString(),
          payload: {
            customerId: h.customerId,
            via: t.via,
            subjectType: t.record,
            subjectId: h.recordId,
            triggeredAt: h.at,
          },
        }));
        added += await this.options.store.surveys.addJobs(jobs);
      }
    return added;
  }

  private async runJobs(project: Project, report: TickReport): Promise<void> {
    const { store, clock, service } = this.options;
    for (;;) {
      const due = await store.surveys.dueJobs(project.id, clock.now().toISOString(), 100);
      if (due.length === 0) return;
      for (const job of due) {
        const outcome = await this.decide(project, job);
        if (outcome.kind === 'defer') {
          await store.surveys.settleJob(project.id, job.id, 'pending', 'quiet_hours', outcome.until);
          report.deferred++;
        } else if (outcome.kind === 'skip') {
          await store.surveys.settleJob(project.id, job.id, 'skipped', outcome.reason);
          report.skipped[outcome.reason] = (report.skipped[outcome.reason] ?? 0) + 1;
        } else {
          const survey = await service.get(project, job.surveyId);
          try {
            await service.createInvitation(project, survey, job.payload, outcome.inviteId);
            await store.surveys.settleJob(project.id, job.id, 'done', `invited:${outcome.inviteId}`);
            report.invited++;
          } catch (error) {
            const code = (error as { code?: string }).code ?? 'error';
            await store.surveys.settleJob(project.id, job.id, 'skipped', code);
            report.skipped[code] = (report.skipped[code] ?? 0) + 1;
          }
        }
      }
    }
  }

  /** The contact policy applied to one job, in order: already done, opt-out, journey, sample, throttle, quiet hours. */
  private async decide(
    project: Project,
    job: Job,
  ): Promise<
    { kind: 'invite'; inviteId: string } | { kind: 'skip'; reason: string } | { kind: 'defer'; until: string }
  > {
    const { store, clock, service } = this.options;
    const inviteId = derivedId('inv_', project.id, job.id);
    // A job whose invitation exists ran before a crash: finish it, never invite again.
    if (await store.surveys.getInvite(project.id, inviteId)) return { kind: 'invite', inviteId };
    const survey = await store.surveys.getDefinition(project.id, job.surveyId);
    if (!survey) return { kind: 'skip', reason: 'survey_gone' };
    const def = survey.definition;
    const { customerId } = job.payload;
    if (await store.surveys.isOptedOut(project.id, customerId)) return { kind: 'skip', reason: 'opted_out' };
    const customer = await service.customer(project, customerId);
    const segments = def.eligibility.segments;
    if (segments && !segments.includes(String(customer?.segment ?? '')))
      return { kind: 'skip', reason: 'not_eligible' };
    if (
      def.eligibility.didEvent &&
      !(await store.surveys.hasEvent(project.id, customerId, def.eligibility.didEvent))
    )
      return { kind: 'skip', reason: 'not_eligible' };
    if (!sampled(job.surveyId, customerId, def.sampleRate)) return { kind: 'skip', reason: 'not_sampled' };
    const now = clock.now();
    if (throttled(await store.surveys.lastAsked(project.id, customerId), now, this.policy))
      return { kind: 'skip', reason: 'throttled' };
    if (job.payload.via !== 'link') {
      const tz = typeof customer?.timeZone === 'string' ? customer.timeZone : project.config.timezone;
      const until = quietUntil(now, tz, this.policy);
      if (until) return { kind: 'defer', until: until.toISOString() };
    }
    return { kind: 'invite', inviteId };
  }

  /** Queues the one reminder of invitations sent long enough ago and not completed (outside quiet hours). */
  private async reminders(project: Project, surveys: readonly StoredSurvey[]): Promise<number> {
    const { store, clock, service } = this.options;
    const now = clock.now();
    let queued = 0;
    for (const survey of surveys) {
      const hours = survey.definition.reminderHours;
      if (hours === undefined) continue;
      const before = new Date(now.getTime() - hours * HOUR).toISOString();
      for (const invite of await store.surveys.reminderCandidates(project.id, survey.id, before)) {
        if (await store.surveys.isOptedOut(project.id, invite.customerId)) continue;
        const customer = await service.customer(project, invite.customerId);
        const tz = typeof customer?.timeZone === 'string' ? customer.timeZone : project.config.timezone;
        if (quietUntil(now, tz, this.policy)) continue;
        const version = await service.get(project, survey.id, invite.version);
        await service.remind(project, invite, version.definition);
        queued++;
      }
    }
    return queued;
  }
}
