/**
 * @module metrics/dimensions
 * The dimensions a query can group and filter by, and where each lives for each record kind: a
 * column of the record itself, or a trait of the customer it belongs to. A dimension that does not
 * apply to a metric's records is an error, not a silent blank.
 */
import { KINDS, type RecordKind } from '../model/kinds.ts';
import type { Bilingual, MetricDefinition } from './types.ts';

/**
 * Where a dimension's value comes from for one record kind: a column of the record, a trait of its
 * customer, the local hour or weekday of one of its instants (in the query's time zone), or the band
 * of the delay between two of its instants.
 */
export type DimensionSource =
  | { readonly own: string }
  | { readonly customer: string }
  | { readonly localPart: string; readonly part: 'hour' | 'isodow' }
  | { readonly delayFrom: string; readonly delayTo: string };

export interface Dimension {
  readonly id: string;
  readonly name: Bilingual;
  readonly sources: Partial<Record<RecordKind, DimensionSource>>;
}

const own = (column: string, kinds: RecordKind[]) =>
  Object.fromEntries(kinds.map((k) => [k, { own: column }])) as Partial<Record<RecordKind, DimensionSource>>;

/** Kinds whose records belong to a customer (customer traits apply to them). */
const PERSON_KINDS = (Object.keys(KINDS) as RecordKind[]).filter((k) => KINDS[k].person);
const trait = (column: string) => ({
  ...(Object.fromEntries(PERSON_KINDS.map((k) => [k, { customer: column }])) as Partial<
    Record<RecordKind, DimensionSource>
  >),
  customer: { own: column },
});

const list: Dimension[] = [
  {
    id: 'channel',
    name: { it: 'Canale', en: 'Channel' },
    sources: own('channel', ['contact', 'survey_response', 'order']),
  },
  {
    id: 'touchpoint',
    name: { it: 'Punto di contatto', en: 'Touchpoint' },
    sources: own('touchpoint', ['contact', 'survey_response', 'survey_invitation']),
  },
  { id: 'reason', name: { it: 'Motivo', en: 'Reason' }, sources: own('reason', ['contact']) },
  { id: 'agent', name: { it: 'Operatore', en: 'Agent' }, sources: own('agent_id', ['contact']) },
  { id: 'team', name: { it: 'Team', en: 'Team' }, sources: own('team_id', ['contact']) },
  { id: 'direction', name: { it: 'Direzione', en: 'Direction' }, sources: own('direction', ['contact']) },
  {
    id: 'hour',
    name: { it: 'Ora del contatto (locale)', en: 'Hour of the contact (local)' },
    sources: { contact: { localPart: 'ts', part: 'hour' } },
  },
  {
    id: 'weekday',
    name: { it: 'Giorno del contatto (1 = lunedì)', en: 'Weekday of the contact (1 = Monday)' },
    sources: { contact: { localPart: 'ts', part: 'isodow' } },
  },
  {
    id: 'survey',
    name: { it: 'Sondaggio', en: 'Survey' },
    sources: own('survey_id', ['survey_response', 'survey_invitation']),
  },
  {
    id: 'question',
    name: { it: 'Domanda', en: 'Question' },
    sources: own('question_id', ['survey_response']),
  },
  {
    id: 'question_type',
    name: { it: 'Tipo di domanda (nps, csat, ces…)', en: 'Question type (nps, csat, ces…)' },
    sources: own('metric', ['survey_response']),
  },
  { id: 'score', name: { it: 'Punteggio', en: 'Score' }, sources: own('score', ['survey_response']) },
  { id: 'via', name: { it: 'Invio tramite', en: 'Sent via' }, sources: own('via', ['survey_invitation']) },
  {
    id: 'sent_hour',
    name: { it: 'Ora di invio', en: 'Hour sent' },
    sources: { survey_invitation: { localPart: 'sent_at', part: 'hour' } },
  },
  {
    id: 'sent_weekday',
    name: { it: 'Giorno di invio (1 = lunedì)', en: 'Weekday sent (1 = Monday)' },
    sources: { survey_invitation: { localPart: 'sent_at', part: 'isodow' } },
  },
  {
    // An invitation's timestamp is the event that triggered it (its creation when none did).
    id: 'send_delay',
    name: { it: 'Ritardo di invio dall’evento', en: 'Delay from the event to sending' },
    sources: { survey_invitation: { delayFrom: 'ts', delayTo: 'sent_at' } },
  },
  { id: 'feature', name: { it: 'Funzionalità', en: 'Feature' }, sources: own('feature', ['event']) },
  { id: 'page', name: { it: 'Pagina', en: 'Page' }, sources: own('page', ['event']) },
  { id: 'event', name: { it: 'Evento', en: 'Event' }, sources: own('name', ['event']) },
  { id: 'platform', name: { it: 'Piattaforma', en: 'Platform' }, sources: own('platform', ['social']) },
  { id: 'interaction', name: { it: 'Interazione', en: 'Interaction' }, sources: own('kind', ['social']) },
  { id: 'task', name: { it: 'Compito', en: 'Task' }, sources: own('task_id', ['task']) },
  { id: 'segment', name: { it: 'Segmento', en: 'Segment' }, sources: trait('segment') },
  { id: 'plan', name: { it: 'Piano', en: 'Plan' }, sources: trait('plan') },
  { id: 'country', name: { it: 'Paese', en: 'Country' }, sources: trait('country') },
  { id: 'language', name: { it: 'Lingua', en: 'Language' }, sources: trait('language') },
];

export const DIMENSIONS: ReadonlyMap<string, Dimension> = new Map(list.map((d) => [d.id, d]));

/** Whether a metric can be grouped or filtered by a dimension: its records have it, and the metric allows it. */
export function dimensionApplies(
  dim: Dimension,
  def: Pick<MetricDefinition, 'source' | 'dimensions'>,
): boolean {
  return Boolean(dim.sources[def.source]) && (!def.dimensions || def.dimensions.includes(dim.id));
}
