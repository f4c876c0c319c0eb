/**
 * @module surveys/definition
 * Survey definitions: the question types (NPS, CSAT, CES, rating, single and multiple choice, open
 * text), conditional follow-ups, texts per language, the touchpoint measured, triggers, eligibility,
 * sampling and reminders. {@link parseDefinition} checks a definition and reports every problem at once,
 * each with its path (`questions[2].choices[0].text.it`), instead of stopping at the first.
 */
import { fieldsOf, isRecordKind, KINDS, type RecordKind } from '../model/kinds.ts';
import type { Condition } from './condition.ts';

export type { Condition } from './condition.ts';

/** A text in several languages: language code → text. */
export type Texts = Readonly<Record<string, string>>;

interface QuestionBase {
  readonly id: string;
  readonly text: Texts;
  readonly required?: boolean;
  readonly showIf?: Condition;
}

export interface Choice {
  readonly id: string;
  readonly text: Texts;
}

/** One question. Scales follow the catalogue's conventions (CSAT faces: 1–3 or 1–5). */
export type Question = QuestionBase &
  (
    | { readonly type: 'nps' }
    | { readonly type: 'csat'; readonly scale: 3 | 5 | 10; readonly display: 'numbers' | 'faces' }
    | {
        readonly type: 'ces';
        readonly scale: 5 | 7;
        readonly direction: 'higher_is_easier' | 'lower_is_easier';
      }
    | { readonly type: 'rating'; readonly scale: 5 | 10 }
    | { readonly type: 'single_choice' | 'multiple_choice'; readonly choices: readonly Choice[] }
    | { readonly type: 'text'; readonly maxLength: number }
  );

export type QuestionType = Question['type'];

/** Creates invitations from ingested records: `delayMinutes` after the record's `at` field. */
export interface Trigger {
  readonly record: RecordKind;
  /** Timestamp field the delay counts from (default `timestamp`); the trigger waits until it is set. */
  readonly at: string;
  /** Field → accepted values (equality); fields of the record kind only. */
  readonly where: Readonly<Record<string, readonly (string | number | boolean)[]>>;
  readonly delayMinutes: number;
  readonly via: 'email' | 'sms' | 'link';
}

/** Who may be asked: customers in these segments, who did this event (or used this feature). */
export interface Eligibility {
  readonly segments?: readonly string[];
  readonly didEvent?: { readonly name?: string; readonly feature?: string };
}

/** When the website widget shows the survey. */
export type WidgetTrigger =
  | { readonly on: 'pageview' }
  | { readonly on: 'event'; readonly name: string }
  | { readonly on: 'delay'; readonly seconds: number };

export interface SurveyDefinition {
  readonly name: Texts;
  readonly touchpoint?: string;
  readonly languages: readonly string[];
  readonly defaultLanguage: string;
  readonly questions: readonly Question[];
  readonly triggers: readonly Trigger[];
  readonly eligibility: Eligibility;
  /** Share of eligible customers asked, fixed per customer (0 < rate ≤ 1). */
  readonly sampleRate: number;
  /** At most one reminder, this many hours after sending when the survey is not completed. */
  readonly reminderHours?: number;
  readonly widget?: WidgetTrigger;
}

/** One problem of a definition: where (`path`) and what. */
export interface DefinitionProblem {
  path: string;
  message: string;
}

export type ParseResult =
  | { ok: true; definition: SurveyDefinition }
  | { ok: false; problems: DefinitionProblem[] };

const TYPES: readonly QuestionType[] = [
  'nps',
  'csat',
  'ces',
  'rating',
  'single_choice',
  'multiple_choice',
  'text',
];
const ID = /^[A-Za-z0-9_-]{1,64}$/;
const LANG = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;
const KEYS = {
  survey: [
    'name',
    'touchpoint',
    'languages',
    'defaultLanguage',
    'questions',
    'triggers',
    'eligibility',
    'sampleRate',
    'reminderHours',
    'widget',
  ],
  question: [
    'id',
    'type',
    'text',
    'required',
    'showIf',
    'scale',
    'display',
    'direction',
    'choices',
    'maxLength',
  ],
  trigger: ['record', 'at', 'where', 'delayMinutes', 'via'],
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Collects problems while walking a definition. */
class Reporter {
  readonly problems: DefinitionProblem[] = [];
  add(path: string, message: string): void {
    this.problems.push({ path, message });
  }
  /** Reports keys of `o` outside `known`. */
  unknownKeys(o: Obj, known: readonly string[], path: string): void {
    for (const k of Object.keys(o)) if (!known.includes(k)) this.add(join(path, k), 'unknown field');
  }
}

const join = (path: string, key: string | number) =>
  typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;

/** Scale of a question as stored on its answers (`scaleMin`–`scaleMax`), or null for choices and text. */
export function scaleOf(q: Question): { min: number; max: number } | null {
  switch (q.type) {
    case 'nps':
      return { min: 0, max: 10 };
    case 'csat':
    case 'ces':
    case 'rating':
      return { min: 1, max: q.scale };
    default:
      return null;
  }
}

/** The `metric` of a question's `survey_response` records. */
export function metricOf(q: Question): 'nps' | 'csat' | 'ces' | 'rating' | 'choice' | 'text' {
  if (q.type === 'single_choice' || q.type === 'multiple_choice') return 'choice';
  return q.type;
}

function texts(r: Reporter, v: unknown, path: string, languages: readonly string[]): Texts {
  if (typeof v === 'string' && languages.length === 1) return { [languages[0]!]: v };
  if (!isObj(v)) {
    r.add(path, `must be an object of texts by language (${languages.join(', ')})`);
    return {};
  }
  for (const lang of languages)
    if (typeof v[lang] !== 'string' || (v[lang] as string).trim() === '')
      r.add(join(path, lang), 'missing text for this language');
  for (const [lang, t] of Object.entries(v)) {
    if (!languages.includes(lang)) r.add(join(path, lang), 'language not listed in languages');
    else if (typeof t === 'string' && t.length > 1000) r.add(join(path, lang), 'longer than 1000 characters');
  }
  return v as Texts;
}

function oneOf<T>(r: Reporter, v: unknown, allowed: readonly T[], path: string, fallback?: T): T {
  if (v === undefined && fallback !== undefined) return fallback;
  if (!allowed.includes(v as T))
    r.add(path, `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
  return v as T;
}

function num(r: Reporter, v: unknown, path: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max)
    r.add(path, `must be a number from ${min} to ${max}`);
  return v as number;
}

function question(r: Reporter, v: unknown, path: string, langs: readonly string[]): Question | null {
  if (!isObj(v)) {
    r.add(path, 'must be an object');
    return null;
  }
  r.unknownKeys(v, KEYS.question, path);
  if (typeof v.id !== 'string' || !ID.test(v.id))
    r.add(join(path, 'id'), 'must be 1–64 letters, digits, _ or -');
  const type = oneOf(r, v.type, TYPES, join(path, 'type'));
  const base = {
    id: v.id as string,
    text: texts(r, v.text, join(path, 'text'), langs),
    ...(v.required !== undefined ? { required: v.required === true } : {}),
  };
  if (v.required !== undefined && typeof v.required !== 'boolean')
    r.add(join(path, 'required'), 'must be true or false');
  const scaleKeys = new Set(['scale', 'display', 'direction', 'choices', 'maxLength']);
  const allowed: Record<QuestionType, string[]> = {
    nps: [],
    csat: ['scale', 'display'],
    ces: ['scale', 'direction'],
    rating: ['scale'],
    single_choice: ['choices'],
    multiple_choice: ['choices'],
    text: ['maxLength'],
  };
  if (TYPES.includes(type))
    for (const k of Object.keys(v))
      if (scaleKeys.has(k) && !allowed[type].includes(k))
        r.add(join(path, k), `does not apply to ${type} questions`);
  switch (type) {
    case 'nps':
      return { ...base, type };
    case 'csat': {
      const scale = oneOf(r, v.scale, [3, 5, 10] as const, join(path, 'scale'), 5);
      const display = oneOf(r, v.display, ['numbers', 'faces'] as const, join(path, 'display'), 'numbers');
      if (display === 'faces' && scale === 10)
        r.add(join(path, 'display'), 'faces exist for scales 3 and 5 only');
      return { ...base, type, scale, display };
    }
    case 'ces':
      return {
        ...base,
        type,
        scale: oneOf(r, v.scale, [5, 7] as const, join(path, 'scale'), 7),
        direction: oneOf(
          r,
          v.direction,
          ['higher_is_easier', 'lower_is_easier'] as const,
          join(path, 'direction'),
          'higher_is_easier',
        ),
      };
    case 'rating':
      return { ...base, type, scale: oneOf(r, v.scale, [5, 10] as const, join(path, 'scale'), 5) };
    case 'single_choice':
    case 'multiple_choice': {
      const cp = join(path, 'choices');
      if (!Array.isArray(v.choices) || v.choices.length < 2 || v.choices.length > 20) {
        r.add(cp, 'must list 2 to 20 choices');
        return null;
      }
      const seen = new Set<string>();
      const choices = v.choices.map((c, i) => {
        const p = join(cp, i);
        if (!isObj(c)) {
          r.add(p, 'must be an object with id and text');
          return { id: '', text: {} };
        }
        r.unknownKeys(c, ['id', 'text'], p);
        if (typeof c.id !== 'string' || !ID.test(c.id))
          r.add(join(p, 'id'), 'must be 1–64 letters, digits, _ or -');
        else if (seen.has(c.id)) r.add(join(p, 'id'), 'repeats an earlier choice');
        seen.add(c.id as string);
        return { id: c.id as string, text: texts(r, c.text, join(p, 'text'), langs) };
      });
      return { ...base, type, choices };
    }
    case 'text':
      return {
        ...base,
        type,
        maxLength: v.maxLength === undefined ? 2000 : num(r, v.maxLength, join(path, 'maxLength'), 1, 10_000),
      };
    default:
      return null;
  }
}

function condition(
  r: Reporter,
  v: unknown,
  path: string,
  earlier: readonly Question[],
): Condition | undefined {
  if (v === undefined) return undefined;
  if (!isObj(v)) {
    r.add(path, 'must be an object {question, min?, max?, anyOf?}');
    return undefined;
  }
  r.unknownKeys(v, ['question', 'min', 'max', 'anyOf'], path);
  const target = earlier.find((q) => q.id === v.question);
  if (!target) r.add(join(path, 'question'), 'must name an earlier question');
  const scale = target && scaleOf(target);
  if (v.min !== undefined || v.max !== undefined) {
    if (target && !scale) r.add(path, `min/max apply to scored questions, not ${target.type}`);
    for (const k of ['min', 'max'] as const)
      if (v[k] !== undefined) num(r, v[k], join(path, k), scale?.min ?? -100, scale?.max ?? 100);
  }
  if (v.anyOf !== undefined) {
    const ids = target && 'choices' in target ? target.choices.map((c) => c.id) : [];
    if (!Array.isArray(v.anyOf) || v.anyOf.length === 0) r.add(join(path, 'anyOf'), 'must list choice ids');
    else
      v.anyOf.forEach((c, i) => {
        if (!ids.includes(c as string)) r.add(join(join(path, 'anyOf'), i), 'not a choice of that question');
      });
  }
  if (v.min === undefined && v.max === undefined && v.anyOf === undefined)
    r.add(path, 'needs min, max or anyOf');
  return v as unknown as Condition;
}

function trigger(r: Reporter, v: unknown, path: string): Trigger | null {
  if (!isObj(v)) {
    r.add(path, 'must be an object');
    return null;
  }
  r.unknownKeys(v, KEYS.trigger, path);
  const kind = v.record;
  if (!isRecordKind(kind) || kind === 'customer' || kind.startsWith('survey_')) {
    r.add(join(path, 'record'), 'must be a record type other than customer and survey records');
    return null;
  }
  const fields = fieldsOf(KINDS[kind]);
  const at = v.at === undefined ? 'timestamp' : v.at;
  if (!fields.some((f) => f.name === at && f.type === 'timestamp'))
    r.add(join(path, 'at'), `must be a timestamp field of ${kind}`);
  const where = v.where === undefined ? {} : v.where;
  if (!isObj(where)) r.add(join(path, 'where'), 'must map fields to lists of values');
  else
    for (const [field, values] of Object.entries(where)) {
      const spec = fields.find((f) => f.name === field);
      if (!spec || !['string', 'integer', 'number', 'boolean'].includes(spec.type))
        r.add(join(join(path, 'where'), field), `not a plain field of ${kind}`);
      else if (
        !Array.isArray(values) ||
        values.length === 0 ||
        !values.every((x) => ['string', 'number', 'boolean'].includes(typeof x))
      )
        r.add(join(join(path, 'where'), field), 'must be a non-empty list of values');
    }
  return {
    record: kind,
    at: at as string,
    where: (isObj(where) ? where : {}) as Trigger['where'],
    delayMinutes: num(r, v.delayMinutes ?? 0, join(path, 'delayMinutes'), 0, 60 * 24 * 90),
    via: oneOf(r, v.via, ['email', 'sms', 'link'] as const, join(path, 'via'), 'email'),
  };
}

function eligibility(r: Reporter, v: unknown, path: string): Eligibility {
  if (v === undefined) return {};
  if (!isObj(v)) {
    r.add(path, 'must be an object {segments?, didEvent?}');
    return {};
  }
  r.unknownKeys(v, ['segments', 'didEvent'], path);
  if (
    v.segments !== undefined &&
    (!Array.isArray(v.segments) || !v.segments.every((s) => typeof s === 'string'))
  )
    r.add(join(path, 'segments'), 'must be a list of segment names');
  if (v.didEvent !== undefined) {
    const d = v.didEvent;
    if (!isObj(d) || (typeof d.name !== 'string' && typeof d.feature !== 'string'))
      r.add(join(path, 'didEvent'), 'must be {name} or {feature} (or both)');
    else r.unknownKeys(d, ['name', 'feature'], join(path, 'didEvent'));
  }
  return v as Eligibility;
}

function widget(r: Reporter, v: unknown, path: string): WidgetTrigger | undefined {
  if (v === undefined) return undefined;
  if (!isObj(v)) {
    r.add(path, 'must be {on: "pageview"}, {on: "event", name} or {on: "delay", seconds}');
    return undefined;
  }
  const on = oneOf(r, v.on, ['pageview', 'event', 'delay'] as const, join(path, 'on'));
  r.unknownKeys(v, on === 'event' ? ['on', 'name'] : on === 'delay' ? ['on', 'seconds'] : ['on'], path);
  if (on === 'event' && (typeof v.name !== 'string' || v.name.length === 0 || v.name.length > 128))
    r.add(join(path, 'name'), 'must be the event name (1–128 characters)');
  if (on === 'delay') num(r, v.seconds, join(path, 'seconds'), 0, 3600);
  return v as unknown as WidgetTrigger;
}

/**
 * Checks a survey definition and returns it normalised (defaults filled in), or every problem found.
 * @example
 * parseDefinition({ name: 'CSAT', languages: ['it', 'en'],
 *   questions: [{ id: 'q1', type: 'csat', text: { it: 'Soddisfatto?', en: 'Satisfied?' } }] })
 */
export function parseDefinition(input: unknown): ParseResult {
  const r = new Reporter();
  if (!isObj(input)) return { ok: false, problems: [{ path: '', message: 'must be a JSON object' }] };
  r.unknownKeys(input, KEYS.survey, '');
  let languages = input.languages ?? ['it', 'en'];
  if (
    !Array.isArray(languages) ||
    languages.length === 0 ||
    !languages.every((l) => typeof l === 'string' && LANG.test(l))
  ) {
    r.add('languages', 'must be a non-empty list of language codes such as "it", "en"');
    languages = ['it'];
  }
  const langs = languages as string[];
  const defaultLanguage = input.defaultLanguage ?? langs[0];
  if (!langs.includes(defaultLanguage as string)) r.add('defaultLanguage', 'must be one of languages');
  const name = texts(r, input.name, 'name', langs);
  if (input.touchpoint !== undefined && (typeof input.touchpoint !== 'string' || !ID.test(input.touchpoint)))
    r.add('touchpoint', 'must be 1–64 letters, digits, _ or -');

  const questions: Question[] = [];
  if (!Array.isArray(input.questions) || input.questions.length === 0 || input.questions.length > 10)
    r.add('questions', 'must list 1 to 10 questions');
  else
    input.questions.forEach((raw, i) => {
      const path = join('questions', i);
      const q = question(r, raw, path, langs);
      if (!q) return;
      if (questions.some((e) => e.id === q.id)) r.add(join(path, 'id'), 'repeats an earlier question id');
      const showIf = condition(r, isObj(raw) ? raw.showIf : undefined, join(path, 'showIf'), questions);
      questions.push(showIf ? { ...q, showIf } : q);
    });

  const triggers: Trigger[] = [];
  if (input.triggers !== undefined && !Array.isArray(input.triggers)) r.add('triggers', 'must be a list');
  else
    ((input.triggers as unknown[]) ?? []).forEach((t, i) => {
      const parsed = trigger(r, t, join('triggers', i));
      if (parsed) triggers.push(parsed);
    });

  const sampleRate = input.sampleRate === undefined ? 1 : num(r, input.sampleRate, 'sampleRate', 0.0001, 1);
  const reminderHours =
    input.reminderHours === undefined ? undefined : num(r, input.reminderHours, 'reminderHours', 1, 24 * 30);
  const definition: SurveyDefinition = {
    name,
    ...(input.touchpoint !== undefined ? { touchpoint: input.touchpoint as string } : {}),
    languages: langs,
    defaultLanguage: defaultLanguage as string,
    questions,
    triggers,
    eligibility: eligibility(r, input.eligibility, 'eligibility'),
    sampleRate,
    ...(reminderHours !== undefined ? { reminderHours } : {}),
    ...(input.widget !== undefined ? { widget: widget(r, input.widget, 'widget') } : {}),
  };
  return r.problems.length > 0 ? { ok: false, problems: r.problems } : { ok: true, definition };
}

/** The language to use for a customer: theirs when the survey has it (`it-IT` → `it`), else the default. */
export function pickLanguage(def: SurveyDefinition, preferred: string | null | undefined): string {
  if (preferred) {
    const lower = preferred.toLowerCase();
    const exact = def.languages.find((l) => l.toLowerCase() === lower);
    if (exact) return exact;
    const base = def.languages.find((l) => l.toLowerCase() === lower.split('-')[0]);
    if (base) return base;
  }
  return def.defaultLanguage;
}
