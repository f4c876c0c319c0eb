/**
 * @module store/duckdb/surveys
 * The survey state ({@link SurveyState}) in the DuckDB file, beside the records. Writes go through the
 * store's single writer, so they are ordered with ingestion and committed before they resolve.
 */
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { fieldsOf, KINDS } from '../../model/kinds.ts';
import { toIso } from '../../model/rows.ts';
import type { SurveyDefinition } from '../../surveys/definition.ts';
import type {
  Dropoff,
  Invite,
  InvitePatch,
  Job,
  OutboxMessage,
  StoredSurvey,
  SurveyState,
  TriggerHit,
  TriggerScan,
  Webhook,
} from '../../surveys/state.ts';
import { ident } from './schema.ts';

type Params = Record<string, DuckDBValue>;

/** What the survey state needs from the store: its serialised writer and a reader. */
export interface SqlAccess {
  write<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T>;
  rows(sql: string, params?: Params): Promise<Record<string, unknown>[]>;
}

const isoOrNull = (v: unknown) => (v === null || v === undefined ? null : toIso(v));
const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);

const INVITE_COLUMNS: [keyof Invite, string][] = [
  ['sentAt', 'sent_at'],
  ['deliveredAt', 'delivered_at'],
  ['openedAt', 'opened_at'],
  ['startedAt', 'started_at'],
  ['completedAt', 'completed_at'],
  ['remindedAt', 'reminded_at'],
];

function toInvite(r: Record<string, unknown>): Invite {
  return {
    projectId: String(r.project_id),
    id: String(r.id),
    surveyId: String(r.survey_id),
    version: Number(r.version),
    customerId: String(r.customer_id),
    via: r.via as Invite['via'],
    language: String(r.language),
    subjectType: (r.subject_type as string | null) ?? null,
    subjectId: (r.subject_id as string | null) ?? null,
    triggeredAt: isoOrNull(r.triggered_at),
    createdAt: toIso(r.created_at),
    sentAt: isoOrNull(r.sent_at),
    deliveredAt: isoOrNull(r.delivered_at),
    openedAt: isoOrNull(r.opened_at),
    startedAt: isoOrNull(r.started_at),
    completedAt: isoOrNull(r.completed_at),
    remindedAt: isoOrNull(r.reminded_at),
    answers: json(r.answers) ?? {},
  };
}

function toStored(r: Record<string, unknown>): StoredSurvey {
  return {
    id: String(r.id),
    version: Number(r.version),
    definition: json(r.definition) as SurveyDefinition,
    createdAt: toIso(r.created_at),
  };
}

function toJob(r: Record<string, unknown>): Job {
  return {
    projectId: String(r.project_id),
    id: String(r.id),
    kind: r.kind as Job['kind'],
    surveyId: String(r.survey_id),
    dueAt: toIso(r.due_at),
    payload: json(r.payload),
  };
}

function toMessage(r: Record<string, unknown>): OutboxMessage {
  return {
    projectId: String(r.project_id),
    id: String(r.id),
    inviteId: String(r.invite_id),
    channel: r.channel as OutboxMessage['channel'],
    recipient: String(r.recipient),
    messageId: String(r.message_id),
    payload: json(r.payload),
    attempts: Number(r.attempts),
  };
}

const ENQUEUE = `INSERT OR IGNORE INTO survey_outbox VALUES ($p, $id, $inv, $ch, $to, $mid, $payload::JSON, 'pending', 0,
  NULL, $at::TIMESTAMPTZ, NULL)`;

/** Most attempts at sending one message. */
export const MAX_ATTEMPTS = 5;

/** The survey state over DuckDB tables created by migration 3. */
export class DuckDbSurveyState implements SurveyState {
  constructor(
    private readonly db: SqlAccess,
    private readonly now: () => Date,
  ) {}

  private run(sql: string, params: Params) {
    return this.db.write((conn) => conn.run(sql, params));
  }

  async saveDefinition(projectId: string, id: string, definition: SurveyDefinition): Promise<StoredSurvey> {
    const createdAt = this.now().toISOString();
    const version = await this.db.write(async (conn) => {
      const reader = await conn.runAndReadAll(
        `SELECT coalesce(max(version), 0) + 1 AS v FROM survey_definitions WHERE project_id = $p AND id = $id`,
        { p: projectId, id },
      );
      const v = Number(reader.getRowObjectsJS()[0]?.v ?? 1);
      await conn.run(`INSERT INTO survey_definitions VALUES ($p, $id, $v, $d::JSON, $at::TIMESTAMPTZ)`, {
        p: projectId,
        id,
        v,
        d: JSON.stringify(definition),
        at: createdAt,
      });
      return v;
    });
    return { id, version, definition, createdAt };
  }

  async getDefinition(projectId: string, id: string, version?: number): Promise<StoredSurvey | null> {
    const [row] = await this.db.rows(
      `SELECT * FROM survey_definitions WHERE project_id = $p AND id = $id
       ${version === undefined ? '' : 'AND version = $v'} ORDER BY version DESC LIMIT 1`,
      { p: projectId, id, ...(version === undefined ? {} : { v: version }) },
    );
    return row ? toStored(row) : null;
  }

  async listDefinitions(projectId: string): Promise<StoredSurvey[]> {
    const rows = await this.db.rows(
      `SELECT * FROM survey_definitions WHERE project_id = $p QUALIFY version = max(version) OVER (PARTITION BY id) ORDER BY id`,
      { p: projectId },
    );
    return rows.map(toStored);
  }

  async projectsWithSurveys(): Promise<string[]> {
    const rows = await this.db.rows(`SELECT DISTINCT project_id FROM survey_definitions ORDER BY 1`);
    return rows.map((r) => String(r.project_id));
  }

  createInvite(i: Invite, tokenHash: string, message?: OutboxMessage): Promise<boolean> {
    return this.db.write(async (conn) => {
      const made = await conn.run(
        `INSERT OR IGNORE INTO survey_invites VALUES ($p, $id, $s, $v, $c, $via, $lang, $st, $sid, $trig::TIMESTAMPTZ,
           $at::TIMESTAMPTZ, NULL, NULL, NULL, NULL, NULL, NULL, '{}')`,
        {
          p: i.projectId,
          id: i.id,
          s: i.surveyId,
          v: i.version,
          c: i.customerId,
          via: i.via,
          lang: i.language,
          st: i.subjectType,
          sid: i.subjectId,
          trig: i.triggeredAt,
          at: i.createdAt,
        },
      );
      if (made.rowsChanged === 0) return false;
      await conn.run(`INSERT INTO survey_tokens VALUES ($h, $p, $id, $at::TIMESTAMPTZ)`, {
        h: tokenHash,
        p: i.projectId,
        id: i.id,
        at: i.createdAt,
      });
      if (message) await conn.run(ENQUEUE, this.enqueueParams(message));
      return true;
    });
  }

  async addToken(projectId: string, inviteId: string, tokenHash: string): Promise<void> {
    await this.run(`INSERT INTO survey_tokens VALUES ($h, $p, $id, $at::TIMESTAMPTZ)`, {
      h: tokenHash,
      p: projectId,
      id: inviteId,
      at: this.now().toISOString(),
    });
  }

  async inviteByToken(tokenHash: string): Promise<Invite | null> {
    const [row] = await this.db.rows(
      `SELECT i.* FROM survey_tokens t JOIN survey_invites i ON i.project_id = t.project_id AND i.id = t.invite_id
       WHERE t.token_hash = $h`,
      { h: tokenHash },
    );
    return row ? toInvite(row) : null;
  }

  async getInvite(projectId: string, id: string): Promise<Invite | null> {
    const [row] = await this.db.rows(`SELECT * FROM survey_invites WHERE project_id = $p AND id = $id`, {
      p: projectId,
      id,
    });
    return row ? toInvite(row) : null;
  }

  async updateInvite(projectId: string, id: string, patch: InvitePatch): Promise<void> {
    const sets: string[] = [];
    const params: Params = { p: projectId, id };
    for (const [key, column] of INVITE_COLUMNS)
      if (key in patch) {
        sets.push(`${ident(column)} = $${key}::TIMESTAMPTZ`);
        params[key] = (patch as Record<string, string | null>)[key] ?? null;
      }
    if (patch.answers) {
      sets.push('answers = $answers::JSON');
      params.answers = JSON.stringify(patch.answers);
    }
    if (sets.length === 0) return;
    await this.run(`UPDATE survey_invites SET ${sets.join(', ')} WHERE project_id = $p AND id = $id`, params);
  }

  async lastAsked(projectId: string, customerId: string): Promise<string | null> {
    const [row] = await this.db.rows(
      `SELECT max(coalesce(sent_at, created_at)) AS at FROM survey_invites WHERE project_id = $p AND customer_id = $c`,
      { p: projectId, c: customerId },
    );
    return isoOrNull(row?.at);
  }

  addJobs(jobs: readonly Job[]): Promise<number> {
    if (jobs.length === 0) return Promise.resolve(0);
    const at = this.now().toISOString();
    return this.db.write(async (conn) => {
      let added = 0;
      for (const j of jobs) {
        const r = await conn.run(
          `INSERT OR IGNORE INTO survey_jobs VALUES ($p, $id, $k, $s, $due::TIMESTAMPTZ, $payload::JSON, 'pending', NULL, $at::TIMESTAMPTZ)`,
          {
            p: j.projectId,
            id: j.id,
            k: j.kind,
            s: j.surveyId,
            due: j.dueAt,
            payload: JSON.stringify(j.payload),
            at,
          },
        );
        added += Number(r.rowsChanged);
      }
      return added;
    });
  }

  async dueJobs(projectId: string, now: string, limit: number): Promise<Job[]> {
    const rows = await this.db.rows(
      `SELECT * FROM survey_jobs WHERE project_id = $p AND status = 'pending' AND due_at <= $now::TIMESTAMPTZ
       ORDER BY due_at, id LIMIT $limit`,
      { p: projectId, now, limit },
    );
    return rows.map(toJob);
  }

  async settleJob(
    projectId: string,
    id: string,
    status: 'done' | 'skipped' | 'pending',
    outcome: string,
    dueAt?: string,
  ): Promise<void> {
    await this.run(
      `UPDATE survey_jobs SET status = $st, outcome = $o, updated_at = $at::TIMESTAMPTZ
         ${dueAt ? ', due_at = $due::TIMESTAMPTZ' : ''} WHERE project_id = $p AND id = $id`,
      {
        p: projectId,
        id,
        st: status,
        o: outcome,
        at: this.now().toISOString(),
        ...(dueAt ? { due: dueAt } : {}),
      },
    );
  }

  async triggerHits(projectId: string, scan: TriggerScan): Promise<TriggerHit[]> {
    const { kind, at, where, jobPrefix, from, to } = scan;
    const fields = fieldsOf(KINDS[kind]);
    // Column names come from the record model (the definition was checked against it); values are bound.
    const column = (name: string) => {
      const spec = fields.find((f) => f.name === name);
      if (!spec) throw new Error(`${kind} has no field ${name}`);
      return `r.${ident(spec.column)}`;
    };
    const params: Params = { p: projectId, prefix: jobPrefix, from, to };
    const filters = Object.entries(where).map(([field, values], i) => {
      const names = values.map((v, j) => {
        params[`w${i}_${j}`] = v;
        return `$w${i}_${j}`;
      });
      return `AND ${column(field)} IN (${names.join(', ')})`;
    });
    const t = column(at);
    const rows = await this.db.rows(
      `SELECT r.id AS record_id, r.customer_id, ${t} AS at FROM ${ident(KINDS[kind].table)} r
       WHERE r.project_id = $p AND r.customer_id IS NOT NULL AND ${t} >= $from::TIMESTAMPTZ AND ${t} <= $to::TIMESTAMPTZ
       ${filters.join(' ')}
       AND NOT EXISTS (SELECT 1 FROM survey_jobs j WHERE j.project_id = $p AND j.id = $prefix || r.id)
       ORDER BY ${t}, r.id LIMIT 1000`,
      params,
    );
    return rows.map((r) => ({
      recordId: String(r.record_id),
      customerId: String(r.customer_id),
      at: toIso(r.at),
    }));
  }

  async hasEvent(
    projectId: string,
    customerId: string,
    match: { name?: string; feature?: string },
  ): Promise<boolean> {
    const rows = await this.db.rows(
      `SELECT 1 FROM ${ident(KINDS.event.table)} WHERE project_id = $p AND customer_id = $c
       ${match.name !== undefined ? 'AND name = $n' : ''} ${match.feature !== undefined ? 'AND feature = $f' : ''} LIMIT 1`,
      {
        p: projectId,
        c: customerId,
        ...(match.name !== undefined ? { n: match.name } : {}),
        ...(match.feature !== undefined ? { f: match.feature } : {}),
      },
    );
    return rows.length > 0;
  }

  async reminderCandidates(projectId: string, surveyId: string, sentBefore: string): Promise<Invite[]> {
    const rows = await this.db.rows(
      `SELECT * FROM survey_invites WHERE project_id = $p AND survey_id = $s AND via IN ('email', 'sms')
       AND sent_at <= $before::TIMESTAMPTZ AND completed_at IS NULL AND reminded_at IS NULL ORDER BY id LIMIT 1000`,
      { p: projectId, s: surveyId, before: sentBefore },
    );
    return rows.map(toInvite);
  }

  private enqueueParams(m: OutboxMessage): Params {
    return {
      p: m.projectId,
      id: m.id,
      inv: m.inviteId,
      ch: m.channel,
      to: m.recipient,
      mid: m.messageId,
      payload: JSON.stringify(m.payload),
      at: this.now().toISOString(),
    };
  }

  async dropoff(projectId: string, surveyId: string, questionIds: readonly string[]): Promise<Dropoff> {
    // Grouped by the set of questions answered: few distinct sets, however many invitations.
    const rows = await this.db.rows(
      `SELECT json_keys(answers) AS keys, completed_at IS NOT NULL AS done, count(*) AS n FROM survey_invites
       WHERE project_id = $p AND survey_id = $s AND started_at IS NOT NULL GROUP BY ALL`,
      { p: projectId, s: surveyId },
    );
    const out: Dropoff = {
      started: 0,
      completed: 0,
      questions: questionIds.map((id) => ({ id, answered: 0, stoppedHere: 0 })),
    };
    for (const r of rows) {
      const n = Number(r.n);
      const keys = new Set((r.keys as string[] | null) ?? []);
      out.started += n;
      if (r.done) out.completed += n;
      let last = -1;
      out.questions.forEach((q, i) => {
        if (!keys.has(q.id)) return;
        q.answered += n;
        last = i;
      });
      if (!r.done && last >= 0) out.questions[last]!.stoppedHere += n;
    }
    return out;
  }

  async enqueue(m: OutboxMessage): Promise<void> {
    await this.run(ENQUEUE, this.enqueueParams(m));
  }

  claimOutbox(projectId: string, limit: number): Promise<OutboxMessage[]> {
    return this.db.write(async (conn) => {
      const reader = await conn.runAndReadAll(
        `UPDATE survey_outbox SET status = 'sending', attempts = attempts + 1
         WHERE project_id = $p AND id IN (SELECT id FROM survey_outbox WHERE project_id = $p AND status = 'pending'
           ORDER BY created_at, id LIMIT $limit)
         RETURNING *`,
        { p: projectId, limit },
      );
      return reader.getRowObjectsJS().map(toMessage);
    });
  }

  async markSent(projectId: string, id: string, at: string): Promise<void> {
    await this.run(
      `UPDATE survey_outbox SET status = 'sent', sent_at = $at::TIMESTAMPTZ, payload = NULL, last_error = NULL
       WHERE project_id = $p AND id = $id`,
      { p: projectId, id, at },
    );
  }

  async markFailed(projectId: string, id: string, error: string, retry: boolean): Promise<void> {
    await this.run(
      `UPDATE survey_outbox SET last_error = $e,
         status = CASE WHEN $retry AND attempts < ${MAX_ATTEMPTS} THEN 'pending' ELSE 'failed' END
       WHERE project_id = $p AND id = $id`,
      { p: projectId, id, e: error.slice(0, 1000), retry },
    );
  }

  recoverOutbox(): Promise<number> {
    return this.db.write(async (conn) =>
      Number(
        (await conn.run(`UPDATE survey_outbox SET status = 'pending' WHERE status = 'sending'`)).rowsChanged,
      ),
    );
  }

  async outboxStatus(projectId: string, inviteId: string) {
    const rows = await this.db.rows(
      `SELECT status, attempts, message_id FROM survey_outbox WHERE project_id = $p AND invite_id = $i ORDER BY created_at, id`,
      { p: projectId, i: inviteId },
    );
    return rows.map((r) => ({
      status: String(r.status),
      attempts: Number(r.attempts),
      messageId: String(r.message_id),
    }));
  }

  async optOut(projectId: string, customerId: string, at: string): Promise<void> {
    await this.run(`INSERT OR IGNORE INTO survey_optouts VALUES ($p, $c, $at::TIMESTAMPTZ)`, {
      p: projectId,
      c: customerId,
      at,
    });
  }

  async isOptedOut(projectId: string, customerId: string): Promise<boolean> {
    const rows = await this.db.rows(
      `SELECT 1 FROM survey_optouts WHERE project_id = $p AND customer_id = $c`,
      {
        p: projectId,
        c: customerId,
      },
    );
    return rows.length > 0;
  }

  async addWebhook(projectId: string, hook: Webhook, at: string): Promise<void> {
    await this.run(`INSERT INTO survey_webhooks VALUES ($p, $id, $url, $secret, $at::TIMESTAMPTZ)`, {
      p: projectId,
      id: hook.id,
      url: hook.url,
      secret: hook.secret,
      at,
    });
  }

  async listWebhooks(projectId: string): Promise<Webhook[]> {
    const rows = await this.db.rows(
      `SELECT id, url, secret FROM survey_webhooks WHERE project_id = $p ORDER BY id`,
      {
        p: projectId,
      },
    );
    return rows.map((r) => ({ id: String(r.id), url: String(r.url), secret: String(r.secret) }));
  }
}
