/**
 * @module views/dashboard
 * What each dashboard page shows, as data: its tiles (one per metric) and its panels (a query and how
 * to draw it), with the rules that turn a view into queries — the default range, the grain that
 * follows its length, the shape of each panel's query. A metric the catalogue does not have yet is
 * shown as "not available yet", never invented; when it lands in the catalogue the same panel draws
 * it. The dashboard and the server share this module: the server asks the default view's queries
 * after every write (`defaultViewQueries`), so the dashboard opens on computed answers.
 */
import type { Bilingual } from '../metrics/types.ts';

/**
 * How a panel draws its query: `bar` (one metric by a dimension), `line` (metrics over time),
 * `split` (NPS promoters/passives/detractors by a dimension), `parts` (the four parts of AHT),
 * `heatmap` (contact volume by local weekday × hour), `table` (metrics by a dimension), `comments` (newest
 * survey comments), `scores` (the share of each question type's answers — NPS, CSAT, CES… — at each
 * score), `bands` (the health score's red, yellow and green shares by a dimension), `cohorts` (retention
 * of each monthly acquisition cohort k months on), `histogram` (customers by band of a stored model
 * score, as of the latest fit).
 */
export type PanelKind =
  | 'bar'
  | 'line'
  | 'split'
  | 'parts'
  | 'heatmap'
  | 'table'
  | 'comments'
  | 'scores'
  | 'bands'
  | 'cohorts'
  | 'histogram';

export interface Panel {
  id: string;
  title: Bilingual;
  kind: PanelKind;
  metrics: string[];
  by?: string;
}

export interface PageSpec {
  id: 'overview' | 'feedback' | 'service' | 'customers' | 'digital' | 'social';
  tiles: string[];
  panels: Panel[];
}

const bar = (id: string, metric: string, by: string, it: string, en: string): Panel => ({
  id,
  title: { it, en },
  kind: 'bar',
  metrics: [metric],
  by,
});
const line = (id: string, metrics: string[], it: string, en: string): Panel => ({
  id,
  title: { it, en },
  kind: 'line',
  metrics,
});

export const PAGES: readonly PageSpec[] = [
  {
    id: 'overview',
    tiles: [
      'nps',
      'csat',
      'ces',
      'fcr',
      'frt',
      'resolution_time',
      'aht',
      'churn_rate',
      'retention_rate',
      'clv_historical',
      'stickiness',
      'conversion_rate',
      'social_engagement',
    ],
    panels: [line('trend', ['nps', 'csat'], 'NPS e CSAT nel tempo', 'NPS and CSAT over time')],
  },
  {
    id: 'feedback',
    tiles: ['nps', 'csat', 'csat_mean', 'ces', 'ces_easy_share', 'survey_response_rate'],
    panels: [
      line('nps-trend', ['nps'], 'NPS nel tempo', 'NPS over time'),
      {
        id: 'nps-split',
        title: {
          it: 'Promotori, passivi, detrattori per punto di contatto',
          en: 'Promoters, passives, detractors by touchpoint',
        },
        kind: 'split',
        metrics: ['nps'],
        by: 'touchpoint',
      },
      {
        id: 'scores',
        title: {
          it: 'Risposte per punteggio e tipo di domanda',
          en: 'Answers by score and question type',
        },
        kind: 'scores',
        metrics: ['question_summary'],
        by: 'question_type',
      },
      bar('csat-channel', 'csat', 'channel', 'CSAT per canale', 'CSAT by channel'),
      bar('ces-touchpoint', 'ces', 'touchpoint', 'CES per punto di contatto', 'CES by touchpoint'),
      {
        id: 'comments',
        title: { it: 'Commenti più recenti', en: 'Newest comments' },
        kind: 'comments',
        metrics: ['nps', 'csat', 'ces'],
      },
    ],
  },
  {
    id: 'service',
    tiles: [
      'frt',
      'resolution_time',
      'aht',
      'fcr',
      'contact_volume',
      'abandonment_rate',
      'service_level',
      'backlog',
    ],
    panels: [
      {
        id: 'aht-parts',
        title: { it: 'AHT e le sue parti', en: 'AHT and its parts' },
        kind: 'parts',
        metrics: ['aht'],
      },
      bar('fcr-reason', 'fcr', 'reason', 'FCR per motivo', 'FCR by reason'),
      bar('volume-channel', 'contact_volume', 'channel', 'Contatti per canale', 'Contacts by channel'),
      {
        id: 'heatmap',
        title: { it: 'Contatti per ora e giorno', en: 'Contacts by hour and weekday' },
        kind: 'heatmap',
        metrics: ['contact_volume'],
      },
      {
        id: 'agents',
        title: { it: 'Per operatore', en: 'By agent' },
        kind: 'table',
        metrics: ['contact_volume', 'frt', 'aht', 'fcr'],
        by: 'agent',
      },
      bar('frt-team', 'frt', 'team', 'FRT per team', 'FRT by team'),
    ],
  },
  {
    id: 'customers',
    tiles: [
      'churn_rate',
      'retention_rate',
      'retention_rate_simple',
      'revenue_churn_rate',
      'clv_historical',
      'cac',
      'health_score',
    ],
    panels: [
      line(
        'churn-trend',
        ['churn_rate', 'retention_rate', 'retention_rate_simple'],
        'Abbandono e fidelizzazione',
        'Churn and retention',
      ),
      bar('churn-segment', 'churn_rate', 'segment', 'Abbandono per segmento', 'Churn by segment'),
      {
        id: 'cohorts',
        title: {
          it: 'Fidelizzazione per coorte di acquisizione (mesi dopo)',
          en: 'Retention by acquisition cohort (months on)',
        },
        kind: 'cohorts',
        metrics: ['cohort_retention'],
      },
      {
        id: 'clv-distribution',
        title: {
          it: 'Distribuzione del CLV previsto (ultima stima)',
          en: 'Predicted CLV distribution (latest fit)',
        },
        kind: 'histogram',
        metrics: ['clv_predicted'],
      },
      {
        id: 'churn-risk-distribution',
        title: {
          it: 'Distribuzione del rischio di abbandono (ultima stima)',
          en: 'Churn risk distribution (latest fit)',
        },
        kind: 'histogram',
        metrics: ['churn_risk'],
      },
      bar(
        'clv-segment',
        'clv_historical',
        'segment',
        'CLV storico per segmento',
        'Historical CLV by segment',
      ),
      {
        id: 'health-bands',
        title: { it: 'Fasce di salute per segmento', en: 'Health score bands by segment' },
        kind: 'bands',
        metrics: ['health_score'],
        by: 'segment',
      },
    ],
  },
  {
    id: 'digital',
    tiles: ['dau', 'wau', 'mau', 'stickiness', 'active_users', 'page_views', 'conversion_rate'],
    panels: [
      line('active-trend', ['dau', 'wau', 'mau'], 'Utenti attivi', 'Active users'),
      bar('features', 'feature_usage', 'feature', 'Uso delle funzionalità', 'Feature usage'),
      bar('adoption', 'feature_adoption', 'feature', 'Adozione delle funzionalità', 'Feature adoption'),
      bar('pages', 'page_views', 'page', 'Pagine viste', 'Page views'),
      bar(
        'funnels',
        'event_funnel',
        'segment',
        'Funnel di conversione per segmento',
        'Conversion funnel by segment',
      ),
      bar(
        'engagement',
        'engagement_score',
        'segment',
        'Clienti pienamente coinvolti',
        'Fully engaged customers',
      ),
    ],
  },
  {
    id: 'social',
    tiles: ['social_engagement', 'shares_mentions'],
    panels: [
      bar(
        'platform',
        'social_engagement',
        'platform',
        'Coinvolgimento per piattaforma',
        'Engagement by platform',
      ),
      bar('interaction', 'social_engagement', 'interaction', 'Coinvolgimento per tipo', 'Engagement by kind'),
      line('shares-trend', ['shares_mentions'], 'Condivisioni e menzioni', 'Shares and mentions'),
    ],
  },
];

/** Pages in the navigation order, the customer view last. */
export const PAGE_IDS = [...PAGES.map((p) => p.id), 'customer360'] as const;
export type PageId = (typeof PAGE_IDS)[number];

/** The ranges the dashboard offers by name: the last whole months before the current one. */
export const RANGE_PRESETS = [
  { id: 'last_month', months: 1 },
  { id: 'last_3_months', months: 3 },
  { id: 'last_6_months', months: 6 },
  { id: 'last_12_months', months: 12 },
] as const;
export type RangePreset = (typeof RANGE_PRESETS)[number]['id'];

/** The last `months` whole months before the one `now` falls in (UTC dates, `to` exclusive). */
export function presetRange(now: Date, months: number): { from: string; to: string } {
  const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - months, 1));
  return { from: from.toISOString().slice(0, 10), to: to.toISOString().slice(0, 10) };
}

/** The preset a range is, if any. */
export function presetOf(now: Date, range: { from: string; to: string }): RangePreset | null {
  const preset = RANGE_PRESETS.find((p) => {
    const r = presetRange(now, p.months);
    return r.from === range.from && r.to === range.to;
  });
  return preset?.id ?? null;
}

/** The range a page opens on: the last three whole months. */
export function defaultRange(now: Date): { from: string; to: string } {
  return presetRange(now, 3);
}

/** Month buckets for ranges of a quarter or more, weeks for three weeks or more, else days. */
export function grainOf(from: string, to: string): 'month' | 'week' | 'day' {
  const days = (Date.parse(to) - Date.parse(from)) / 86_400_000;
  return days >= 85 ? 'month' : days >= 21 ? 'week' : 'day';
}

/** How far back a panel of stored model scores looks for the latest fit. */
const SCORES_YEARS = 10;

/**
 * What a panel's query adds to the view's metrics, range and filters: a grain or a dimension — or,
 * for stored model scores (a snapshot placed at its fit), the ten years up to the day after `now`, so
 * the panel shows the latest fit whatever the view's dates.
 */
export function panelShape(
  panel: Panel,
  from: string,
  to: string,
  now: Date,
): { grain?: string; groupBy?: string[]; from?: string; to?: string } {
  if (panel.kind === 'line') return { grain: grainOf(from, to) };
  if (panel.kind === 'cohorts') return { grain: 'month' };
  if (panel.kind === 'heatmap') return { groupBy: ['weekday', 'hour'] };
  if (panel.kind === 'histogram') {
    const day = (d: Date) => d.toISOString().slice(0, 10);
    const start = new Date(now);
    start.setUTCFullYear(start.getUTCFullYear() - SCORES_YEARS);
    return { from: day(start), to: day(new Date(now.getTime() + 86_400_000)) };
  }
  return panel.by ? { groupBy: [panel.by] } : {};
}

/** The filters the dashboard offers, each with a metric whose values list the filter's choices. */
export const FILTER_OPTIONS = [
  ['channel', 'contact_volume'],
  ['touchpoint', 'nps'],
  ['segment', 'contact_volume'],
] as const;

/** A query body as the dashboard sends it to `POST /api/v1/query`. */
export interface ViewQuery {
  metrics: string[];
  from: string;
  to: string;
  grain?: string;
  groupBy?: string[];
  compare?: string;
}

/** Months of tile series asked after the default view (see `defaultViewQueries`). */
const SERIES_MONTHS = 24;

/** What the seeds need to know of the catalogue (see `defaultViewQueries`). */
export interface SeedCatalogue {
  has(metric: string): boolean;
  /** Whether the metric's total over whole months follows from its monthly cells (see `engine/run`). */
  fromMonths(metric: string): boolean;
  /** Whether the metric can be grouped, and so filtered, by the dimension. */
  groups(metric: string, dim: string): boolean;
  /** Whether the metric is (or is a ratio of) a measure taken at a period's end, kept per end. */
  atEnd(metric: string): boolean;
}

/**
 * Every query the dashboard asks for one view of every page (no filters, the previous period
 * compared), and its tiles and panels by each filter's dimension.
 */
function viewQueries(catalogue: SeedCatalogue, from: string, to: string, now: Date): ViewQuery[] {
  const known = (metric: string) => catalogue.has(metric);
  const queries: ViewQuery[] = FILTER_OPTIONS.map(([dim, metric]) => ({
    metrics: [metric],
    groupBy: [dim],
    from,
    to,
  }));
  for (const page of PAGES) {
    const tiles = page.tiles.filter(known);
    if (tiles.length > 0)
      queries.push(
        { metrics: tiles, from, to, compare: 'previous_period' },
        { metrics: tiles, from, to, grain: grainOf(from, to) },
      );
    for (const panel of page.panels) {
      const metrics = panel.metrics.filter(known);
      if (panel.kind !== 'comments' && metrics.length > 0)
        queries.push({ metrics, from, to, ...panelShape(panel, from, to, now) });
    }
  }
  // The tiles by each filter's dimension, so that the view filtered on one value finds them too
  // (series by month come from the two years of months, see `defaultViewQueries`).
  const tiles = [...new Set(PAGES.flatMap((p) => p.tiles))].filter(known);
  for (const [dim] of FILTER_OPTIONS) {
    const metrics = tiles.filter((m) => catalogue.groups(m, dim));
    if (metrics.length === 0) continue;
    queries.push({ metrics, from, to, groupBy: [dim], compare: 'previous_period' });
    if (grainOf(from, to) !== 'month')
      queries.push({ metrics, from, to, groupBy: [dim], grain: grainOf(from, to) });
  }
  // Each panel by a dimension by each filter's dimension too, for the same reason.
  for (const panel of PAGES.flatMap((p) => p.panels)) {
    const shape = panelShape(panel, from, to, now);
    const metrics = panel.metrics.filter(known);
    if (!shape.groupBy || panel.kind === 'comments' || metrics.length === 0) continue;
    for (const [dim] of FILTER_OPTIONS)
      if (!shape.groupBy.includes(dim) && metrics.every((m) => catalogue.groups(m, dim)))
        queries.push({ metrics, from, to, ...shape, groupBy: [...shape.groupBy, dim] });
  }
  return queries;
}

/**
 * Every query the dashboard asks for the default view of every page (no filters, the previous
 * period compared), the filters' choices included, and its tiles and panels by each filter's dimension; then
 * the same for the other preset ranges. Then,
 * by month over the two years before the presets end: every tile, every tile by each filter's
 * dimension (a view filtered on one value is answered from these groups, see `engine/run`), and
 * every panel by a dimension for its metrics whose total over whole months follows from their
 * months. A view of other whole months in those two years finds them computed. Last, the tiles
 * taken at a period's end by week over the last year and by day over the last month, and the tiles
 * whose periods add up by day over the last year. Metrics the catalogue does not have are left out.
 */
export function defaultViewQueries(now: Date, catalogue: SeedCatalogue): ViewQuery[] {
  const known = (metric: string) => catalogue.has(metric);
  const { to } = defaultRange(now);
  const ranges = [3, ...RANGE_PRESETS.map((p) => p.months).filter((m) => m !== 3)];
  const queries = ranges.flatMap((months) => {
    const r = presetRange(now, months);
    return viewQueries(catalogue, r.from, r.to, now);
  });
  const start = new Date(`${to}T00:00:00Z`);
  start.setUTCMonth(start.getUTCMonth() - SERIES_MONTHS);
  const series = { from: start.toISOString().slice(0, 10), to, grain: 'month' };
  const tiles = [...new Set(PAGES.flatMap((p) => p.tiles))].filter(known);
  queries.push({ metrics: tiles, ...series });
  for (const [dim] of FILTER_OPTIONS) {
    const metrics = tiles.filter((m) => catalogue.groups(m, dim));
    if (metrics.length > 0) queries.push({ metrics, groupBy: [dim], ...series });
  }
  for (const panel of PAGES.flatMap((p) => p.panels)) {
    const metrics = panel.metrics.filter((m) => known(m) && catalogue.fromMonths(m));
    if (panel.by && panel.kind !== 'comments' && metrics.length > 0)
      queries.push({ metrics, groupBy: [panel.by], ...series });
  }
  // The tiles taken at a period's end (health, active users, backlog) at every week's end of the last
  // year and every day's end of the last month: a view of other dates by week or by day finds its
  // periods' ends computed, its first clipped period included.
  const ends = tiles.filter((m) => catalogue.atEnd(m));
  if (ends.length > 0) {
    queries.push({ metrics: ends, ...presetRange(now, 12), grain: 'week' });
    queries.push({ metrics: ends, ...presetRange(now, 1), grain: 'day' });
  }
  // The tiles whose periods add up, by day over the last year: a view of other dates within it adds
  // its clipped weeks and months up from their days.
  const days = tiles.filter((m) => catalogue.fromMonths(m) && !catalogue.atEnd(m));
  if (days.length > 0) queries.push({ metrics: days, ...presetRange(now, 12), grain: 'day' });
  return queries;
}
