/**
 * @module api
 * The dashboard talks only to Polso's own API, with the session cookie and, on every state-changing
 * request, the session's CSRF token.
 */
import type { Lang, Unit } from './format.ts';

export interface Bilingual {
  it: string;
  en: string;
}

export interface CatalogueMetric {
  id: string;
  name: Bilingual;
  description: Bilingual;
  formula: string;
  unit: Unit;
  direction: 'higher_is_better' | 'lower_is_better' | 'neutral';
  source: string;
  dimensions: string[];
}

export interface Catalogue {
  metrics: CatalogueMetric[];
  dimensions: { id: string; name: Bilingual }[];
}

export interface MetricValue {
  value: number | null;
  n: number;
  ci?: [number, number] | null;
  small?: boolean;
  previous?: { value: number | null; n: number };
  delta?: number | null;
  significant?: boolean;
  [extra: string]: unknown;
}

export type Row = Record<string, unknown>;

type Components = Record<string, number>;

/** One customer's health at one time (`GET /api/v1/customers/{id}/models`). */
export interface HealthPoint {
  period: string | null;
  score: number;
  components: Components;
  weights: Components;
  contributions: Components;
}

/** What the customer models say about one customer (`GET /api/v1/customers/{id}/models`). */
export interface CustomerModelsData {
  clv: {
    value: number | null;
    percentile: number | null;
    expectedPurchases: number | null;
    pAlive: number | null;
    fittedAt: string;
  } | null;
  churnRisk: {
    value: number | null;
    top: { column: string; contribution: number }[];
    fittedAt: string;
  } | null;
  health: { current: HealthPoint | null; history: HealthPoint[] };
  priority: {
    priority: number;
    tier: string | null;
    risk: string | null;
    health: string | null;
    reasons: string[];
  };
}

export interface QueryBody {
  metrics: string[];
  from: string;
  to: string;
  groupBy?: string[];
  grain?: string;
  filters?: Record<string, string[]>;
  compare?: string;
}

export interface SessionInfo {
  authenticated: true;
  project: { id: string; name: string; timezone: string; currency: string };
  user: { email: string | null; role: string };
  csrfToken: string;
}

/** An error answered by the API, with its stable code. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let csrfToken = '';

/** Remembers the CSRF token of the current session. */
export function setCsrf(token: string): void {
  csrfToken = token;
}

let inFlight = 0;
let idleWaiters: (() => void)[] = [];

/** Resolves once no request to the API is in flight. */
export function idle(): Promise<void> {
  return inFlight === 0 ? Promise.resolve() : new Promise((resolve) => idleWaiters.push(resolve));
}

async function call(
  path: string,
  method = 'GET',
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  inFlight++;
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(method === 'GET' ? {} : { 'x-csrf-token': csrfToken }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  }).finally(() => {
    if (--inFlight > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  });
  if (!res.ok) {
    const json = (await res.json().catch(() => ({}))) as { error?: { code: string; message: string } };
    throw new ApiError(res.status, json.error?.code ?? 'HTTP', json.error?.message ?? res.statusText);
  }
  return res;
}

/** A JSON request to the API. */
export async function api<T>(
  path: string,
  method = 'GET',
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<T> {
  const res = await call(path, method, body, headers);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

/** Runs a query; a `background` one (a prefetch) yields the engine to the queries of the page shown. */
export function query(body: QueryBody, background = false): Promise<{ rows: Row[] }> {
  return api('/api/v1/query', 'POST', body, background ? { 'x-polso-priority': 'background' } : {});
}

/** Downloads what a query shows as CSV (the API's own export). */
export async function downloadCsv(body: QueryBody, name: string): Promise<void> {
  const res = await call('/api/v1/query?format=csv', 'POST', body);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = `${name}.csv`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** A metric's name in the language, or its id when the catalogue does not know it. */
export function metricName(catalogue: Catalogue, id: string, lang: Lang): string {
  return catalogue.metrics.find((m) => m.id === id)?.name[lang] ?? id;
}
