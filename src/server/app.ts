/**
 * @module server/app
 * The app factory: builds the HTTP API around a store, a clock and a logger, without listening.
 * `polso serve` listens; tests call `app.inject()`.
 */
import fastifyCookie from '@fastify/cookie';
import Fastify, { type FastifyInstance } from 'fastify';
import { KeyResolver } from '../auth/keys.ts';
import { PolsoError } from '../errors.ts';
import { DEFAULT_LIMITS, type IngestLimits } from '../ingest/batch.ts';
import type { QueryWarmer } from '../service/warm.ts';
import type { Store } from '../store/store.ts';
import { SurveyService } from '../surveys/service.ts';
import type { Clock } from '../util/clock.ts';
import { openApiDocument } from './openapi.ts';
import { adminRoutes } from './routes/admin.ts';
import { customerRoutes } from './routes/customers.ts';
import { dashboardRoutes } from './routes/dashboard.ts';
import { projectRoutes } from './routes/project.ts';
import { queryRoutes } from './routes/query.ts';
import { recordRoutes } from './routes/records.ts';
import { segmentRoutes } from './routes/segment.ts';
import { surveyRoutes } from './routes/surveys.ts';
import { Sessions } from './session.ts';
import { webRoutes } from './web.ts';

export interface AppOptions {
  store: Store;
  clock: Clock;
  /** Fastify logger options, or false (default). */
  logger?: boolean | { level: string };
  limits?: Partial<IngestLimits>;
  /** Token of the local admin API (CLI commands sent to a running server); absent: disabled. */
  adminToken?: string;
  /** Survey operations with their delivery routes; absent: links only, at http://127.0.0.1:8787. */
  surveys?: SurveyService;
  /** Mark session cookies `Secure` (default true; browsers accept them on localhost over HTTP too). */
  secureCookies?: boolean;
  /** Folder of the built dashboard (default: web/dashboard/dist of this package). */
  webRoot?: string;
  /** Asks recent queries again after writes, so dashboards find their answers computed (closed with the app). */
  warmer?: QueryWarmer;
}

/** Everything a route needs, passed explicitly. */
export interface AppContext {
  store: Store;
  clock: Clock;
  keys: KeyResolver;
  limits: IngestLimits;
  adminToken?: string;
  surveys: SurveyService;
  sessions: Sessions;
  warmer?: QueryWarmer;
}

const BODY_TYPES = ['application/json', 'application/x-ndjson', 'application/ndjson', 'text/plain'];

/**
 * Builds the Polso HTTP app.
 * @example
 * const app = createApp({ store, clock: systemClock });
 * const res = await app.inject({ method: 'GET', url: '/healthz' });
 */
export function createApp(options: AppOptions): FastifyInstance {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: limits.bodyBytes,
    trustProxy: false,
    return503OnClosing: true,
  });
  const ctx: AppContext = {
    store: options.store,
    clock: options.clock,
    keys: new KeyResolver(options.store),
    limits,
    adminToken: options.adminToken,
    surveys:
      options.surveys ??
      new SurveyService({
        store: options.store,
        clock: options.clock,
        baseUrl: () => 'http://127.0.0.1:8787',
        delivery: { messageDomain: 'polso.localhost' },
      }),
    sessions: new Sessions(options.store, options.clock, options.secureCookies ?? true),
    warmer: options.warmer,
  };
  if (options.warmer) {
    const warmer = options.warmer;
    app.addHook('onClose', () => warmer.close());
  }

  app.register(fastifyCookie);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(BODY_TYPES, { parseAs: 'string' }, (_req, body, done) => done(null, body));

  app.setErrorHandler((error: Error & { code?: string; statusCode?: number }, req, reply) => {
    const send = (e: PolsoError) =>
      reply
        .code(e.status)
        .send({ error: { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) } });
    if (error instanceof PolsoError) return send(error);
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return send(
        new PolsoError('POLSO_PAYLOAD_TOO_LARGE', `The body is larger than ${limits.bodyBytes} bytes`),
      );
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      return send(
        new PolsoError('POLSO_UNSUPPORTED_MEDIA_TYPE', `Send ${BODY_TYPES.slice(0, 2).join(' or ')}`),
      );
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500)
      return send(new PolsoError('POLSO_BAD_REQUEST', error.message));
    req.log.error({ err: error }, 'unhandled error');
    return send(new PolsoError('POLSO_INTERNAL', 'Internal error; the request was not applied'));
  });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({
      error: { code: 'POLSO_NOT_FOUND', message: `No route ${req.method} ${req.url.split('?')[0]}` },
    }),
  );

  app.get('/healthz', async (_req, reply) => {
    await options.store.ready;
    return reply.send({ status: 'ok' });
  });
  const openapi = openApiDocument();
  app.get('/api/v1/openapi.json', async () => openapi);
  recordRoutes(app, ctx);
  segmentRoutes(app, ctx);
  projectRoutes(app, ctx);
  queryRoutes(app, ctx);
  adminRoutes(app, ctx);
  surveyRoutes(app, ctx);
  dashboardRoutes(app, ctx);
  webRoutes(app, options.webRoot);
  customerRoutes(app, ctx);
  return app;
}

/** Parses a JSON object body (for endpoints that take one object). */
export function objectBody(body: unknown): Record<string, unknown> {
  if (body === undefined || body === '') return {};
  let parsed: unknown = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch (e) {
      throw new PolsoError('POLSO_MALFORMED_JSON', `The body is not valid JSON: ${(e as Error).message}`);
    }
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new PolsoError('POLSO_BAD_REQUEST', 'The body must be a JSON object');
  return parsed as Record<string, unknown>;
}
