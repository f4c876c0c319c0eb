/**
 * @module view
 * The view every page shares — language, range, comparison, filters, catalogue — and the helpers that
 * turn it into query bodies: filters a metric cannot take are left out (and said so), the time grain
 * follows the length of the range.
 */
import { createContext, useContext, useEffect, useState } from 'react';
import { FILTER_OPTIONS } from '../../../src/views/dashboard.ts';
import type { Catalogue, CatalogueMetric, QueryBody } from './api.ts';
import type { Lang } from './format.ts';

/** The global filters the dashboard offers. */
export const FILTER_DIMENSIONS = FILTER_OPTIONS.map(([dim]) => dim);

export interface View {
  lang: Lang;
  from: string;
  to: string;
  compare: string;
  filters: Record<string, string[]>;
  catalogue: Catalogue;
  /** Opens the records behind a data point. */
  drill: (request: DrillRequest) => void;
}

export interface DrillRequest {
  metric: string;
  from: string;
  to: string;
  filters: Record<string, string[]>;
  /** A model score's band: its customers scored from `from` to below `to`. */
  band?: { from: number; to: number | null };
  title: string;
}

export const ViewContext = createContext<View | null>(null);

/** The current view (inside the signed-in app). */
export function useView(): View {
  const view = useContext(ViewContext);
  if (!view) throw new Error('useView outside the app');
  return view;
}

/** The catalogue entry of a metric, or undefined when Polso does not compute it yet. */
export function metricOf(view: View, id: string): CatalogueMetric | undefined {
  return view.catalogue.metrics.find((m) => m.id === id);
}

/** The view's filters that apply to every one of `metrics`; `dropped` lists the others. */
export function applicable(view: View, metrics: CatalogueMetric[]) {
  const filters: Record<string, string[]> = {};
  const dropped: string[] = [];
  for (const [dim, values] of Object.entries(view.filters))
    if (metrics.every((m) => m.dimensions.includes(dim))) filters[dim] = values;
    else dropped.push(dim);
  return { filters, dropped };
}

/** The day after a bucket of `grain` that starts on `period` (`YYYY-MM-DD`), capped at `to`. */
export function periodEnd(period: string, grain: string, to: string): string {
  const d = new Date(`${period.slice(0, 10)}T00:00:00Z`);
  if (grain === 'month') d.setUTCMonth(d.getUTCMonth() + 1);
  else d.setUTCDate(d.getUTCDate() + (grain === 'week' ? 7 : 1));
  const end = d.toISOString().slice(0, 10);
  return end < to ? end : to;
}

/** A query body for the view. */
export function body(view: View, metrics: string[], extra: Partial<QueryBody> = {}): QueryBody {
  const known = metrics.map((id) => metricOf(view, id)).filter((m): m is CatalogueMetric => !!m);
  const { filters } = applicable(view, known);
  return {
    metrics,
    from: view.from,
    to: view.to,
    ...(Object.keys(filters).length > 0 ? { filters } : {}),
    ...extra,
  };
}

/** The answer of an async call, refreshed whenever `key` changes (stale answers are dropped). */
export function useAsync<T>(key: string, run: () => Promise<T>): { data?: T; error?: Error } {
  const [state, setState] = useState<{ key: string; data?: T; error?: Error }>({ key: '' });
  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` stands for everything `run` reads
  useEffect(() => {
    let live = true;
    run().then(
      (data) => live && setState({ key, data }),
      (error: Error) => live && setState({ key, error }),
    );
    return () => {
      live = false;
    };
  }, [key]);
  return state.key === key ? state : {};
}
