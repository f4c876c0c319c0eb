/**
 * @module demo/generate
 * A realistic, seeded demo data set for an Italian business ("Casa Serena", home appliances sold
 * online and in shops, with service plans): customers in segments, multi-channel support contacts
 * with plausible timings, surveys whose scores follow service quality (slow or reopened contacts
 * get lower CSAT and NPS), repeat purchases, subscriptions that churn, product usage, social activity
 * and Italian/English comments. Written as one CSV file per record kind, streamed: memory stays flat
 * from 10k to 100M records.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { fieldsOf, KINDS, RECORD_KINDS, type RecordKind } from '../model/kinds.ts';
import { Random } from './random.ts';

export interface DemoOptions {
  /** Total number of records (all kinds together). */
  size: number;
  seed?: number;
  outDir: string;
  /** First and last instant of the data (default: the 24 months before 2026-11-01). */
  start?: Date;
  end?: Date;
  onProgress?: (written: number) => void;
}

export interface DemoFiles {
  files: { kind: RecordKind; path: string; rows: number }[];
  total: number;
}

const DAY = 86_400_000;
const HOUR = 3_600_000;

const FIRST = [
  'Giulia',
  'Marco',
  'Francesca',
  'Luca',
  'Chiara',
  'Alessandro',
  'Sara',
  'Matteo',
  'Elena',
  'Davide',
  'Martina',
  'Andrea',
  'Valentina',
  'Simone',
  'Federica',
  'Lorenzo',
  'Anna',
  'Giorgio',
  'Paola',
  'Roberto',
  'Emma',
  'John',
  'Sophie',
  'David',
];
const LAST = [
  'Rossi',
  'Russo',
  'Ferrari',
  'Esposito',
  'Bianchi',
  'Romano',
  'Colombo',
  'Ricci',
  'Marino',
  'Greco',
  'Bruno',
  'Gallo',
  'Conti',
  'De Luca',
  'Mancini',
  'Costa',
  'Giordano',
  'Rizzo',
  'Lombardi',
  'Moretti',
  'Smith',
  'Brown',
];
const REASONS = [
  ['fatturazione', 18],
  ['spedizione', 24],
  ['reso', 12],
  ['assistenza_tecnica', 22],
  ['account', 8],
  ['info_prodotto', 10],
  ['pagamenti', 6],
] as const;
const CHANNELS = [
  ['chat', 34],
  ['email', 24],
  ['voice', 24],
  ['social', 5],
  ['sms', 3],
  ['webform', 8],
  ['video', 2],
] as const;
const TEAMS: Record<string, string> = {
  voice: 'team_voce',
  video: 'team_voce',
  chat: 'team_chat',
  sms: 'team_chat',
  email: 'team_email',
  webform: 'team_email',
  social: 'team_social',
};
const FEATURES = ['garanzia', 'manuali', 'ordini', 'assistenza', 'programmazione', 'consumi', 'ricambi'];
const PAGES = [
  '/',
  '/prodotti',
  '/prodotti/lavatrici',
  '/prodotti/frigoriferi',
  '/offerte',
  '/carrello',
  '/checkout',
  '/account',
  '/supporto',
  '/blog',
];
const PLATFORMS = [
  ['instagram', 45],
  ['facebook', 30],
  ['linkedin', 10],
  ['tiktok', 15],
] as const;
const COMMENTS = {
  it: {
    good: [
      'Servizio rapido e cortese, grazie!',
      'Problema risolto al primo contatto.',
      'Operatore gentilissimo e competente.',
      'Tutto perfetto, consegna puntuale.',
      'Ottima assistenza, vi consiglierò.',
    ],
    mid: [
      "Risolto, ma ho dovuto aspettare un po'.",
      'Nella media, niente di speciale.',
      'Risposta corretta ma lenta.',
    ],
    bad: [
      'Attesa lunghissima, nessuno mi ha richiamato.',
      'Ho dovuto spiegare il problema tre volte.',
      'Pessima esperienza, il rimborso non è ancora arrivato.',
      "Il tecnico non si è presentato all'appuntamento.",
    ],
  },
  en: {
    good: [
      'Quick and friendly support, thanks!',
      'Solved on the first call.',
      'Great service, will recommend.',
    ],
    mid: ['Solved, but it took a while.', 'Average experience.'],
    bad: [
      'Waited far too long for an answer.',
      'I had to explain my issue three times.',
      'Still waiting for my refund.',
    ],
  },
};

/** The columns written for a kind: every field of the model, in order. */
function columns(kind: RecordKind): string[] {
  return ['type', ...fieldsOf(KINDS[kind]).map((f) => f.name)];
}

function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  const s = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

class CsvOut {
  private buffer: string[] = [];
  private size = 0;
  rows = 0;
  private readonly stream: WriteStream;
  private readonly cols: string[];
  constructor(
    readonly kind: RecordKind,
    readonly path: string,
  ) {
    this.stream = createWriteStream(path);
    this.cols = columns(kind);
    this.stream.write(`${this.cols.join(',')}\n`);
  }
  add(rec: Record<string, unknown>): void {
    const line = `${this.cols.map((c) => csvCell(c === 'type' ? this.kind : rec[c])).join(',')}\n`;
    this.buffer.push(line);
    this.size += line.length;
    this.rows++;
  }
  get pending(): number {
    return this.size;
  }
  async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const chunk = this.buffer.join('');
    this.buffer = [];
    this.size = 0;
    if (!this.stream.write(chunk)) await new Promise<void>((r) => this.stream.once('drain', () => r()));
  }
  async close(): Promise<void> {
    await this.flush();
    await new Promise<void>((resolve, reject) =>
      this.stream.end((e?: Error | null) => (e ? reject(e) : resolve())),
    );
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Milliseconds of a local (Europe/Rome) clock hour on the day of `dayStart` (UTC midnight). */
function romeHour(dayStart: number, hour: number, minute: number): number {
  const month = new Date(dayStart).getUTCMonth();
  const offset = month >= 3 && month <= 9 ? 2 : 1; // CEST April–October, CET otherwise (approximate)
  return dayStart + (hour - offset) * HOUR + minute * 60_000;
}

/** The default end of the demo data (exclusive). */
export const DEMO_END = new Date('2026-11-01T00:00:00Z');

/**
 * Generates the demo data set as CSV files in `outDir` (one per kind).
 * @example await generateDemo({ size: 10_000, outDir: '/tmp/demo' })
 */
export async function generateDemo(options: DemoOptions): Promise<DemoFiles> {
  const rnd = new Random(options.seed ?? 42);
  const end = (options.end ?? DEMO_END).getTime();
  const start = (options.start ?? new Date(end - 730 * DAY)).getTime();
  mkdirSync(options.outDir, { recursive: true });
  const out = Object.fromEntries(
    RECORD_KINDS.map((k) => [k, new CsvOut(k, join(options.outDir, `${k}.csv`))]),
  ) as Record<RecordKind, CsvOut>;
  let written = 0;
  const budget = options.size;
  const emit = (kind: RecordKind, rec: Record<string, unknown>): boolean => {
    if (written >= budget) return false;
    out[kind].add(rec);
    written++;
    return true;
  };
  const span = end - start;

  // Acquisition spend: one marketing and one sales record per month.
  for (
    let m = new Date(start);
    m.getTime() < end;
    m = new Date(Date.UTC(m.getUTCFullYear(), m.getUTCMonth() + 1, 1))
  ) {
    const next = Date.UTC(m.getUTCFullYear(), m.getUTCMonth() + 1, 1);
    const season = 1 + 0.3 * Math.sin((m.getUTCMonth() / 12) * 2 * Math.PI);
    for (const [category, base] of [
      ['marketing', 18_000],
      ['sales', 9_000],
    ] as const) {
      const key = `${m.getUTCFullYear()}-${String(m.getUTCMonth() + 1).padStart(2, '0')}`;
      emit('cost', {
        id: `cost_${key}_${category}`,
        timestamp: iso(m.getTime()),
        amount: Math.round(base * season * (budget / 1e6) * 100) / 100 || 1,
        currency: 'EUR',
        category,
        periodStart: iso(m.getTime()),
        periodEnd: iso(next),
      });
    }
  }

  let c = 0;
  while (written < budget) {
    c++;
    const id = `c_${c}`;
    const segment = rnd.weighted([
      ['consumer', 62],
      ['smb', 30],
      ['enterprise', 8],
    ] as const);
    const english = rnd.chance(0.12);
    const lang = english ? 'en' : 'it';
    const first = english ? rnd.pick(FIRST.slice(-4)) : rnd.pick(FIRST.slice(0, -4));
    const last = english ? rnd.pick(LAST.slice(-2)) : rnd.pick(LAST.slice(0, -2));
    const acquired = start + Math.floor(rnd.next() * span * 0.97);
    // Customers differ in how soon they leave, as they do in buying rate (and as the purchase models assume).
    const monthlyHazard = { consumer: 0.045, smb: 0.025, enterprise: 0.012 }[segment] * rnd.lognormal(1, 0.8);
    const churnAt = acquired + rnd.exponential((30 * DAY) / monthlyHazard);
    const churned = churnAt < end ? Math.floor(churnAt) : null;
    const until = churned ?? end;
    const plan =
      segment === 'enterprise'
        ? 'enterprise'
        : segment === 'smb'
          ? 'pro'
          : rnd.chance(0.4)
            ? 'plus'
            : 'basic';
    const country = english
      ? rnd.pick(['GB', 'IE', 'US'])
      : rnd.chance(0.97)
        ? 'IT'
        : rnd.pick(['CH', 'SM', 'FR']);
    emit('customer', {
      id,
      timestamp: iso(acquired),
      name: `${first} ${last}`,
      email: `${first}.${last}.${c}@example.com`.toLowerCase().replaceAll(' ', ''),
      segment,
      plan,
      country,
      language: lang,
      timeZone: english && country !== 'IT' ? 'Europe/London' : 'Europe/Rome',
      acquiredAt: iso(acquired),
      churnedAt: churned ? iso(churned) : undefined,
      traits: {
        canale_acquisizione: rnd.pick(['ricerca', 'social', 'passaparola', 'negozio', 'newsletter']),
      },
    });
    emit('event', {
      id: `${id}_signup`,
      timestamp: iso(acquired),
      customerId: id,
      name: 'Signed Up',
      page: '/registrazione',
    });

    if (plan !== 'basic') {
      const mrr = { plus: 9.9, pro: 49, enterprise: 290 }[plan];
      emit('subscription', {
        id: `s_${c}`,
        timestamp: iso(acquired),
        customerId: id,
        plan: `assistenza_${plan}`,
        mrr,
        startedAt: iso(acquired),
        endedAt: churned ? iso(churned) : undefined,
      });
    }

    // Purchases: a personal rate (gamma-like via log-normal) and log-normal amounts, some refunds.
    const months = (until - acquired) / (30 * DAY);
    const buyRate = rnd.lognormal(segment === 'consumer' ? 0.25 : 0.6, 0.8);
    const orders = 1 + rnd.poisson(buyRate * months);
    const spend = { consumer: 180, smb: 650, enterprise: 2400 }[segment];
    let t = acquired;
    const orderTimes: number[] = [];
    for (let o = 0; o < orders && t < until; o++) {
      const amount = Math.round(rnd.lognormal(spend, 0.7) * 100) / 100;
      const oid = `o_${c}_${o + 1}`;
      const qty = rnd.int(1, 3);
      emit('order', {
        id: oid,
        timestamp: iso(t),
        customerId: id,
        amount,
        currency: 'EUR',
        status: 'completed',
        channel: rnd.weighted([
          ['web', 70],
          ['negozio', 25],
          ['telefono', 5],
        ] as const),
        items: [
          { sku: `SKU-${rnd.int(100, 999)}`, quantity: qty, price: Math.round((amount / qty) * 100) / 100 },
        ],
      });
      emit('event', {
        id: `${oid}_ev`,
        timestamp: iso(t),
        customerId: id,
        name: 'Order Completed',
        page: '/checkout',
        sessionId: `${id}_o${o}`,
      });
      orderTimes.push(t);
      if (rnd.chance(0.04)) {
        const rt = t + rnd.int(2, 25) * DAY;
        if (rt < end)
          emit('order', {
            id: `${oid}:refund`,
            timestamp: iso(rt),
            customerId: id,
            amount,
            currency: 'EUR',
            status: 'refunded',
          });
      }
      t += rnd.exponential((30 * DAY) / Math.max(buyRate, 0.05));
    }

    // Support contacts, with repeat contacts when the first did not really solve the problem.
    const contacts = rnd.poisson(months * (segment === 'consumer' ? 0.28 : 0.45));
    let quality = 0;
    let rated = 0;
    for (let k = 0; k < contacts; k++) {
      let at = acquired + Math.floor(rnd.next() * (until - acquired));
      const reason = rnd.weighted(REASONS);
      let repeat = 0;
      while (repeat < 3 && at < end) {
        const cid = `t_${c}_${k}_${repeat}`;
        const q = contact(rnd, cid, id, at, reason, end, emit, lang);
        quality += q.quality;
        rated++;
        if (q.invited && written < budget) survey(rnd, cid, id, q, end, emit, lang);
        if (!rnd.chance(q.repeatChance)) break;
        at = at + rnd.int(1, 6) * DAY + rnd.int(0, 8) * HOUR;
        repeat++;
      }
    }

    // Relationship NPS once a year for a third of the customers.
    if (rnd.chance(0.35)) {
      const at = acquired + 90 * DAY + Math.floor(rnd.next() * 300 * DAY);
      if (at < until) {
        const mood = rated > 0 ? quality / rated : 0.7;
        const score = clamp(
          Math.round(3 + mood * 7 + rnd.normal() * 1.6 + (segment === 'enterprise' ? 0.5 : 0)),
          0,
          10,
        );
        const rid = `rel_${c}`;
        emit('survey_invitation', {
          id: `inv_${rid}`,
          timestamp: iso(at),
          customerId: id,
          surveyId: 'nps_relazionale',
          via: 'email',
          touchpoint: 'relazione',
          sentAt: iso(at),
          deliveredAt: iso(at + 5000),
          openedAt: iso(at + 2 * HOUR),
          startedAt: iso(at + 2 * HOUR + 30_000),
          completedAt: iso(at + 2 * HOUR + 90_000),
        });
        emit('survey_response', {
          id: `${rid}:nps`,
          timestamp: iso(at + 2 * HOUR + 60_000),
          customerId: id,
          surveyId: 'nps_relazionale',
          questionId: 'nps',
          metric: 'nps',
          score,
          touchpoint: 'relazione',
          responseId: rid,
          invitationId: `inv_${rid}`,
          language: lang,
          comment: rnd.chance(0.3)
            ? comment(rnd, lang, score >= 9 ? 'good' : score >= 7 ? 'mid' : 'bad')
            : undefined,
        });
      }
    }

    // CES after an online purchase (7 points, higher is easier).
    if (orderTimes.length > 0 && rnd.chance(0.15)) {
      const at = orderTimes[0]! + 2 * HOUR;
      if (at < end)
        emit('survey_response', {
          id: `ces_${c}:q1`,
          timestamp: iso(at),
          customerId: id,
          surveyId: 'ces_acquisto',
          questionId: 'facilita',
          metric: 'ces',
          score: clamp(Math.round(rnd.normal() * 1.3 + 5.4), 1, 7),
          scaleMin: 1,
          scaleMax: 7,
          direction: 'higher_is_easier',
          touchpoint: 'acquisto',
          channel: 'webform',
          responseId: `ces_${c}`,
          subjectType: 'order',
          subjectId: `o_${c}_1`,
          language: lang,
        });
    }

    // Product usage (app and web): active days with a few events each.
    const engagement = rnd.lognormal(1.1, 0.9);
    const activeDays = rnd.poisson(months * engagement);
    for (let d = 0; d < activeDays && written < budget; d++) {
      const day = acquired + Math.floor(rnd.next() * (until - acquired));
      const dayStart = day - (day % DAY);
      let et = romeHour(dayStart, rnd.int(7, 22), rnd.int(0, 59));
      const session = `${id}_${Math.floor(day / DAY)}_${d}`;
      const n = rnd.int(1, 4);
      for (let e = 0; e < n && et < end; e++) {
        if (rnd.chance(0.55))
          emit('event', {
            id: `${session}_${e}`,
            timestamp: iso(et),
            customerId: id,
            name: 'Page Viewed',
            page: rnd.pick(PAGES),
            sessionId: session,
          });
        else
          emit('event', {
            id: `${session}_${e}`,
            timestamp: iso(et),
            customerId: id,
            name: 'Feature Used',
            feature: rnd.pick(FEATURES),
            sessionId: session,
            properties: { app: rnd.chance(0.6) ? 'mobile' : 'web' },
          });
        et += rnd.int(20, 600) * 1000;
      }
    }

    // Social activity for customers who follow the brand.
    if (rnd.chance(0.18)) {
      const handle = `${first}.${last}${c}`.toLowerCase().replaceAll(' ', '');
      const platform = rnd.weighted(PLATFORMS);
      const n = rnd.poisson(months * 0.6);
      for (let s = 0; s < n; s++) {
        const at = acquired + Math.floor(rnd.next() * (until - acquired));
        const kind = rnd.weighted([
          ['like', 60],
          ['comment', 15],
          ['share', 10],
          ['mention', 8],
          ['poll_vote', 7],
        ] as const);
        emit('social', {
          id: `so_${c}_${s}`,
          timestamp: iso(at),
          customerId: id,
          anonymousId: `${platform}:@${handle}`,
          platform,
          kind,
          postId: `post_${rnd.int(1, 240)}`,
          text:
            kind === 'comment' || kind === 'mention'
              ? comment(
                  rnd,
                  lang,
                  rnd.weighted([
                    ['good', 6],
                    ['mid', 2],
                    ['bad', 2],
                  ] as const),
                )
              : undefined,
        });
      }
    }

    // A few customers take part in usability tests.
    if (rnd.chance(0.01)) {
      const at = acquired + Math.floor(rnd.next() * (until - acquired));
      for (const task of ['registrazione', 'acquisto', 'apertura_ticket', 'download_fattura']) {
        const success = rnd.chance(0.78);
        emit('task', {
          id: `ut_${c}_${task}`,
          timestamp: iso(at),
          customerId: id,
          taskId: task,
          success,
          durationSeconds: Math.round(rnd.lognormal(success ? 90 : 200, 0.5)),
        });
      }
    }

    if (c % 1000 === 0) {
      options.onProgress?.(written);
      for (const w of Object.values(out)) if (w.pending > 1 << 20) await w.flush();
    }
  }
  for (const w of Object.values(out)) await w.close();
  options.onProgress?.(written);
  return {
    files: RECORD_KINDS.map((k) => ({ kind: k, path: out[k].path, rows: out[k].rows })),
    total: written,
  };
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

function comment(rnd: Random, lang: 'it' | 'en', tone: 'good' | 'mid' | 'bad'): string {
  return rnd.pick(COMMENTS[lang][tone]);
}

interface ContactOutcome {
  quality: number;
  repeatChance: number;
  invited: boolean;
  channel: string;
  closedAt: number | null;
}

type Emit = (kind: RecordKind, rec: Record<string, unknown>) => boolean;

/** One contact with channel-specific timings; returns how well it went (0 bad … 1 good). */
function contact(
  rnd: Random,
  cid: string,
  customerId: string,
  created: number,
  reason: string,
  end: number,
  emit: Emit,
  lang: string,
): ContactOutcome {
  const channel = rnd.weighted(CHANNELS);
  const dayStart = created - (created % DAY);
  const at =
    channel === 'email' || channel === 'webform'
      ? created
      : romeHour(dayStart, rnd.int(8, 19), rnd.int(0, 59));
  const live = channel === 'voice' || channel === 'chat' || channel === 'video';
  const outbound = rnd.chance(0.05);
  const abandoned = live && !outbound && rnd.chance(channel === 'voice' ? 0.07 : 0.04);
  const wait = live ? Math.round(rnd.lognormal(channel === 'voice' ? 40 : 25, 0.9)) : undefined;
  const agent = `agt_${String(rnd.int(1, 40)).padStart(2, '0')}`;
  const rec: Record<string, unknown> = {
    id: cid,
    timestamp: iso(at),
    customerId,
    channel,
    direction: outbound ? 'outbound' : 'inbound',
    reason,
    touchpoint:
      reason === 'spedizione' || reason === 'reso'
        ? 'consegna'
        : reason === 'fatturazione' || reason === 'pagamenti'
          ? 'fatturazione'
          : 'assistenza',
    teamId: TEAMS[channel] ?? 'team_chat',
    waitSeconds: wait,
    abandoned,
  };
  if (abandoned) {
    emit('contact', rec);
    return { quality: 0.2, repeatChance: 0.6, invited: false, channel, closedAt: null };
  }
  rec.agentId = agent;
  const frt = outbound
    ? undefined
    : live
      ? (wait ?? 0) + rnd.int(2, 20)
      : Math.round(rnd.lognormal(channel === 'email' || channel === 'webform' ? 3 * 3600 : 2400, 1.0));
  if (frt !== undefined) rec.firstResponseAt = iso(at + frt * 1000);
  if (live) {
    rec.talkSeconds = Math.round(rnd.lognormal(channel === 'chat' ? 480 : 290, 0.6));
    rec.holdSeconds = rnd.chance(0.3) ? Math.round(rnd.lognormal(60, 0.7)) : 0;
    rec.conferenceSeconds = rnd.chance(0.05) ? Math.round(rnd.lognormal(120, 0.5)) : 0;
    rec.wrapUpSeconds = Math.round(rnd.lognormal(50, 0.5));
  } else {
    rec.talkSeconds = Math.round(rnd.lognormal(240, 0.6));
    rec.wrapUpSeconds = Math.round(rnd.lognormal(40, 0.5));
  }
  const solvedLive = live && rnd.chance(0.72);
  const resolution = solvedLive
    ? (wait ?? 0) + (rec.talkSeconds as number) + ((rec.holdSeconds as number) ?? 0)
    : Math.round(rnd.lognormal(live ? 20 * 3600 : 26 * 3600, 1.0)) + (frt ?? 0);
  const recent = end - at < 5 * DAY;
  let closedAt: number | null = null;
  let reopened = false;
  if (!(recent && rnd.chance(0.35)) && !rnd.chance(0.01)) {
    const first = at + resolution * 1000;
    reopened = rnd.chance(0.08);
    const final = reopened ? first + Math.round(rnd.lognormal(30 * 3600, 0.8)) * 1000 : first;
    if (final < end) {
      rec.firstResolvedAt = iso(first);
      rec.resolvedAt = iso(final);
      rec.reopenCount = reopened ? 1 : 0;
      closedAt = final;
    }
  }
  if (channel === 'voice' && rnd.chance(0.5)) rec.resolvedOnFirstContact = solvedLive && !reopened;
  emit('contact', rec);
  // Quality: fast first response, fast resolution, no reopening.
  const hours = closedAt ? (closedAt - at) / HOUR : 96;
  const quality = clamp(
    1 - Math.log10(1 + hours) / 2.2 - (reopened ? 0.25 : 0) - ((frt ?? 0) > 4 * 3600 ? 0.15 : 0),
    0,
    1,
  );
  return {
    quality,
    repeatChance: closedAt === null ? 0.5 : reopened ? 0.35 : solvedLive ? 0.06 : 0.18,
    invited: closedAt !== null && !outbound && rnd.chance(0.4) && lang !== '',
    channel,
    closedAt,
  };
}

/** CSAT (and sometimes NPS) after a resolved contact, with the invitation funnel. */
function survey(
  rnd: Random,
  cid: string,
  customerId: string,
  q: ContactOutcome,
  end: number,
  emit: Emit,
  lang: 'it' | 'en' | string,
): void {
  const sent = (q.closedAt ?? 0) + HOUR;
  if (sent >= end) return;
  const via = rnd.chance(0.7) ? 'email' : 'sms';
  const inv: Record<string, unknown> = {
    id: `inv_${cid}`,
    timestamp: iso(sent),
    customerId,
    surveyId: 'csat_assistenza',
    via,
    touchpoint: 'assistenza',
    subjectType: 'contact',
    subjectId: cid,
    sentAt: iso(sent),
  };
  const delivered = rnd.chance(0.95);
  const opened = delivered && rnd.chance(via === 'sms' ? 0.55 : 0.42);
  const started = opened && rnd.chance(0.62);
  const completed = started && rnd.chance(0.88);
  let t = sent + rnd.int(1, 30) * 1000;
  if (delivered) inv.deliveredAt = iso(t);
  if (opened) {
    t += Math.round(rnd.lognormal(2 * HOUR, 1.2));
    inv.openedAt = iso(t);
  }
  if (started) {
    t += rnd.int(5, 60) * 1000;
    inv.startedAt = iso(t);
  }
  if (completed) inv.completedAt = iso(t + rnd.int(20, 120) * 1000);
  emit('survey_invitation', inv);
  if (!started) return;
  const rid = `r_${cid}`;
  const csat = clamp(Math.round(1.2 + q.quality * 3.9 + rnd.normal() * 0.75), 1, 5);
  const tone = csat >= 4 ? 'good' : csat === 3 ? 'mid' : 'bad';
  const l = lang === 'en' ? 'en' : 'it';
  const answer = (suffix: string, questionId: string, metric: string, timestamp: unknown, fields: object) =>
    emit('survey_response', {
      id: `${rid}:${suffix}`,
      timestamp,
      customerId,
      surveyId: 'csat_assistenza',
      questionId,
      metric,
      ...fields,
      touchpoint: 'assistenza',
      channel: q.channel,
      responseId: rid,
      invitationId: inv.id,
      subjectType: 'contact',
      subjectId: cid,
      language: l,
    });
  answer('csat', 'soddisfazione', 'csat', inv.startedAt, {
    score: csat,
    scaleMin: 1,
    scaleMax: 5,
    comment: completed && rnd.chance(0.35) ? comment(rnd, l, tone) : undefined,
  });
  if (completed) {
    answer('risolto', 'risolto', 'choice', inv.completedAt, { value: q.quality > 0.45 ? 'si' : 'no' });
    answer('cortesia', 'cortesia', 'rating', inv.completedAt, {
      score: clamp(Math.round(2 + q.quality * 3 + rnd.normal() * 0.6), 1, 5),
      scaleMin: 1,
      scaleMax: 5,
    });
    if (rnd.chance(0.5))
      answer('nps', 'nps', 'nps', inv.completedAt, {
        score: clamp(Math.round(2 + q.quality * 8 + rnd.normal() * 1.5), 0, 10),
      });
  }
}
