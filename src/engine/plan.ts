/**
 * @module engine/plan
 * Validates a query against the catalogue and turns it into an immutable logical plan: metrics with
 * their resolved parameters and dimension sources, group-by, grain, range, time zone, filters and
 * comparison. Every problem is reported with the part of the query it concerns.
 */
import { PolsoError } from '../errors.ts';
import { METRICS } from '../metrics/catalogue.ts';
import { DIMENSIONS, type DimensionSource, dimensionApplies } from '../metrics/dimensions.ts';
import { listItems, type MetricDefinition } from '../metrics/types.ts';
import {
  type BusinessHours,
  calendarRows,
  DEFAULT_BUSINESS_HOURS,
  HEALTH_COMPONENTS,
  type HealthComponent,
  isTimeZone,
} from '../model/project-config.ts';
import { GRAINS, type Grain } from './dialect.ts';

/** A query as the API and CLI receive it. */
export interface QueryInput {
  metrics: string[];
  groupBy?: string[];
  grain?: Grain;
  /** Local date `YYYY-MM-DD` (midnight in the time zone) or an ISO instant with offset. */
  from: string;
  to: string;
  timezone?: string;
  filters?: Record<string, string[]>;
  compare?: 'previous_period' | 'previous_year';
  /** Per-metric parameters: `{ fcr: { method: 'explicit' } }`. */
  params?: Record<string, Record<string, number | string>>;
  /** Values resting on fewer records are flagged `small` (default 30). */
  minSample?: number;
}

export interface MetricPlan {
  readonly def: MetricDefinition;
  readonly params: Readonly<Record<string, number | string>>;
  readonly dimensions: Readonly<Record<string, DimensionSource>>;
  /** The instant the query runs at (ISO), for windows that must have closed. */
  readonly now: string;
  /** The project's opening hours and time zone, for business-hours durations. */
  readonly calendar: ReturnType<typeof calendarRows> & { readonly timezone: string };
}

export interface QueryPlan {
  readonly projectId: string;
  readonly metrics: readonly MetricPlan[];
  readonly groupBy: readonly string[];
  readonly grain: Grain | null;
  readonly from: string;
  readonly to: string;
  readonly dateOnly: boolean;
  readonly timezone: string;
  readonly filters: Readonly<Record<string, readonly string[]>>;
  readonly compare: 'previous_period' | 'previous_year' | null;
  readonly minSample: number;
  /** The project's conversion event names. */
  readonly conversionEvents: readonly string[];
  /** Health score weights summing to 1: `default`, and one set per configured segment. */
  readonly healthWeights: Readonly<Record<string, Readonly<Record<HealthComponent, number>>>>;
}

/** The project's health weights, each set completed from the defaults and normalised to sum to 1. */
function healthWeightSets(
  config: Record<string, Partial<Record<HealthComponent, number>>> = {},
): Record<string, Record<HealthComponent, number>> {
  const complete = (w: Partial<Record<HealthComponent, number>>) => {
    const full = { ...HEALTH_COMPONENTS, ...config.default, ...w };
    const total = Object.values(full).reduce((a, b) => a + b, 0);
    return Object.fromEntries(Object.entries(full).map(([c, v]) => [c, v / total])) as Record<
      HealthComponent,
      number
    >;
  };
  return Object.fromEntries([
    ['default', complete({})],
    ...Object.entries(config)
      .filter(([set]) => set !== 'default')
      .map(([set, w]) => [set, complete(w)]),
  ]);
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
const MAX_GROUP_BY = 4;

function bad(code: 'POLSO_BAD_QUERY' | 'POLSO_BAD_PARAM', message: string, path: string): never {
  throw new PolsoError(code, message, { path });
}

function validDate(s: string): boolean {
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/**
 * Builds the plan for a project's query.
 * @example plan({ metrics: ['nps'], from: '2026-01-01', to: '2026-04-01', grain: 'month' }, project, now)
 */
export function planQuery(
  input: unknown,
  project: {
    id: string;
    config: {
      timezone: string;
      conversionEvents?: string[];
      healthWeights?: Record<string, Partial<Record<HealthComponent, number>>>;
      businessHours?: BusinessHours;
    };
  },
  now: Date,
): QueryPlan {
  if (input === null || typeof input !== 'object' || Array.isArray(input))
    bad('POLSO_BAD_QUERY', 'The query must be a JSON object', '');
  const q = input as Partial<QueryInput>;
  const known = [
    'metrics',
    'groupBy',
    'grain',
    'from',
    'to',
    'timezone',
    'filters',
    'compare',
    'params',
    'minSample',
  ];
  for (const key of Object.keys(q))
    if (!known.includes(key)) bad('POLSO_BAD_QUERY', `${key}: unknown query field`, key);

  if (!Array.isArray(q.metrics) || q.metrics.length === 0 || q.metrics.length > 64)
    bad('POLSO_BAD_QUERY', 'metrics: a list of 1–64 metric ids', 'metrics');
  const defs = q.metrics.map((id, i) => {
    const def = typeof id === 'string' ? METRICS.get(id) : undefined;
    if (!def)
      throw new PolsoError('POLSO_UNKNOWN_METRIC', `metrics[${i}]: unknown metric ${JSON.stringify(id)}`, {
        path: `metrics[${i}]`,
        known: [...METRICS.keys()],
      });
    return def;
  });

  const groupBy = q.groupBy ?? [];
  if (!Array.isArray(groupBy) || groupBy.length > MAX_GROUP_BY || new Set(groupBy).size !== groupBy.length)
    bad('POLSO_BAD_QUERY', `groupBy: up to ${MAX_GROUP_BY} distinct dimensions`, 'groupBy');
  const filters = q.filters ?? {};
  if (typeof filters !== 'object' || filters === null || Array.isArray(filters))
    bad('POLSO_BAD_QUERY', 'filters: an object of dimension → list of values', 'filters');
  for (const [dim, values] of Object.entries(filters))
    if (
      !Array.isArray(values) ||
      values.length === 0 ||
      values.length > 1000 ||
      !values.every((v) => typeof v === 'string')
    )
      bad('POLSO_BAD_QUERY', `filters.${dim}: a list of 1–1000 strings`, `filters.${dim}`);
  const usedDims = [...groupBy, ...Object.keys(filters)];
  for (const [i, dim] of usedDims.entries())
    if (typeof dim !== 'string' || !DIMENSIONS.has(dim))
      throw new PolsoError('POLSO_UNKNOWN_DIMENSION', `unknown dimension ${JSON.stringify(dim)}`, {
        path: i < groupBy.length ? `groupBy[${i}]` : `filters.${dim}`,
        known: [...DIMENSIONS.keys()],
      });

  if (q.grain !== undefined && !GRAINS.includes(q.grain))
    bad('POLSO_BAD_QUERY', `grain: one of ${GRAINS.join(', ')}`, 'grain');
  const timezone = q.timezone ?? project.config.timezone;
  if (typeof timezone !== 'string' || !isTimeZone(timezone))
    bad('POLSO_BAD_QUERY', 'timezone: an IANA time zone such as Europe/Rome', 'timezone');
  if (typeof q.from !== 'string' || typeof q.to !== 'string')
    bad('POLSO_BAD_QUERY', 'from and to: dates YYYY-MM-DD or ISO instants', 'from');
  const dateOnly = DATE.test(q.from) && DATE.test(q.to);
  for (const key of ['from', 'to'] as const) {
    const v = q[key] as string;
    if (!(DATE.test(v) && validDate(v)) && !(INSTANT.test(v) && !Number.isNaN(Date.parse(v))))
      bad('POLSO_BAD_QUERY', `${key}: a date YYYY-MM-DD or an ISO instant with offset`, key);
  }
  if (!dateOnly && (DATE.test(q.from) || DATE.test(q.to)))
    bad('POLSO_BAD_QUERY', 'from and to: both dates or both instants', 'to');
  if (Date.parse(q.from) >= Date.parse(q.to))
    bad('POLSO_BAD_QUERY', 'to: must be after from (ranges are [from, to))', 'to');
  const spanDays = (Date.parse(q.to) - Date.parse(q.from)) / 86_400_000;
  if (q.grain === 'hour' && spanDays > 400)
    bad('POLSO_BAD_QUERY', 'grain: hourly buckets over at most 400 days', 'grain');
  if (spanDays > 366 * 20) bad('POLSO_BAD_QUERY', 'from: a range of at most 20 years', 'from');
  if (q.compare !== undefined && q.compare !== 'previous_period' && q.compare !== 'previous_year')
    bad('POLSO_BAD_QUERY', 'compare: previous_period or previous_year', 'compare');
  const minSample = q.minSample ?? 30;
  if (!Number.isInteger(minSample) || minSample < 1 || minSample > 1_000_000)
    bad('POLSO_BAD_QUERY', 'minSample: a whole number from 1', 'minSample');
  const paramInput = q.params ?? {};
  for (const id of Object.keys(paramInput))
    if (!METRICS.has(id))
      bad('POLSO_BAD_PARAM', `params.${id}: not a metric of the catalogue`, `params.${id}`);

  if (q.grain === 'hour')
    for (const def of defs)
      if (def.measure.type === 'dailyDistinct')
        bad('POLSO_BAD_QUERY', `grain: ${def.id} is a daily measure; use day or longer`, 'grain');
  const calendar = {
    ...calendarRows(project.config.businessHours ?? DEFAULT_BUSINESS_HOURS),
    timezone: project.config.timezone,
  };
  const metrics = defs.map((def): MetricPlan => {
    const dimensions: Record<string, DimensionSource> = {};
    for (const dim of usedDims) {
      const dimension = DIMENSIONS.get(dim)!;
      const source = dimension.sources[def.source];
      if (!source || !dimensionApplies(dimension, def))
        throw new PolsoError(
          'POLSO_DIMENSION_NOT_APPLICABLE',
          `${dim} does not apply to ${def.id} (computed from ${def.source} records)`,
          { metric: def.id, dimension: dim },
        );
      dimensions[dim] = source;
    }
    const given = paramInput[def.id] ?? {};
    const params: Record<string, number | string> = {};
    for (const key of Object.keys(given))
      if (!def.params.some((p) => p.name === key))
        bad(
          'POLSO_BAD_PARAM',
          `params.${def.id}.${key}: ${def.id} has no parameter ${key}`,
          `params.${def.id}.${key}`,
        );
    for (const spec of def.params) {
      const v = given[spec.name] ?? spec.default;
      const path = `params.${def.id}.${spec.name}`;
      if (spec.type === 'number') {
        if (
          typeof v !== 'number' ||
          !Number.isFinite(v) ||
          v < (spec.min ?? -Infinity) ||
          v > (spec.max ?? Infinity)
        )
          bad('POLSO_BAD_PARAM', `${path}: a number from ${spec.min} to ${spec.max}`, path);
      } else if (spec.type === 'string' || spec.type === 'list') {
        if (typeof v !== 'string' || v.length === 0 || v.length > 200)
          bad('POLSO_BAD_PARAM', `${path}: text of 1–200 characters`, path);
        if (spec.type === 'list') {
          const items = listItems(v, spec.separator!);
          const [min, max] = [spec.min ?? 1, spec.max ?? 200];
          if (
            items.length < min ||
            items.length > max ||
            items.some((x) => !x) ||
            new Set(items).size < items.length
          )
            bad(
              'POLSO_BAD_PARAM',
              `${path}: ${min}–${max} distinct names separated by "${spec.separator}"`,
              path,
            );
        }
      } else if (typeof v !== 'string' || !spec.values?.includes(v))
        bad('POLSO_BAD_PARAM', `${path}: one of ${spec.values?.join(', ')}`, path);
      params[spec.name] = v;
    }
    return Object.freeze({
      def,
      params: Object.freeze(params),
      dimensions: Object.freeze(dimensions),
      now: now.toISOString(),
      calendar,
    });
  });

  return Object.freeze({
    projectId: project.id,
    metrics: Object.freeze(metrics),
    groupBy: Object.freeze([...groupBy]),
    grain: q.grain ?? null,
    from: q.from,
    to: q.to,
    dateOnly,
    timezone,
    filters: Object.freeze({ ...filters }),
    compare: q.compare ?? null,
    minSample,
    conversionEvents: Object.freeze([...(project.config.conversionEvents ?? [])]),
    healthWeights: Object.freeze(healthWeightSets(project.config.healthWeights)),
  });
}

/** The range the comparison looks at: the previous period of equal length, or the same period a year earlier. */
export function comparisonRange(plan: QueryPlan): { from: string; to: string } {
  const shiftMonths = (s: string, months: number) => {
    const d = new Date(plan.dateOnly ? `${s}T00:00:00Z` : s);
    const day = d.getUTCDate();
    d.setUTCDate(1);
    d.setUTCMonth(d.getUTCMonth() + months);
    const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
    d.setUTCDate(Math.min(day, last));
    return plan.dateOnly ? d.toISOString().slice(0, 10) : d.toISOString();
  };
  const shiftMs = (s: string, ms: number) => {
    const d = new Date(Date.parse(plan.dateOnly ? `${s}T00:00:00Z` : s) - ms);
    return plan.dateOnly ? d.toISOString().slice(0, 10) : d.toISOString();
  };
  if (plan.compare === 'previous_year')
    return { from: shiftMonths(plan.from, -12), to: shiftMonths(plan.to, -12) };
  // Whole months shift by months (Q2 → Q1), other ranges by their length.
  const monthStart = (s: string) => plan.dateOnly && s.endsWith('-01');
  if (monthStart(plan.from) && monthStart(plan.to)) {
    const [fy, fm] = plan.from.split('-').map(Number) as [number, number];
    const [ty, tm] = plan.to.split('-').map(Number) as [number, number];
    const months = (ty - fy) * 12 + (tm - fm);
    return { from: shiftMonths(plan.from, -months), to: plan.from };
  }
  const length =
    Date.parse(plan.dateOnly ? `${plan.to}T00:00:00Z` : plan.to) -
    Date.parse(plan.dateOnly ? `${plan.from}T00:00:00Z` : plan.from);
  return { from: shiftMs(plan.from, length), to: plan.from };
}
