/**
 * @module server/web
 * Serves the built dashboard (web/dashboard) under `/`: everything bundled, nothing from a CDN, under
 * a Content-Security-Policy that allows only this origin's scripts (the app renders user-written text
 * as text, and the policy would stop any injected script anyway).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** Where `npm run build:web` writes the dashboard. */
export const DEFAULT_WEB_ROOT = resolve(import.meta.dirname, '../../web/dashboard/dist');

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // ECharts and React set inline style attributes.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

/** Registers the dashboard's files; without a build, `/` says how to make one. */
export function webRoutes(app: FastifyInstance, root = DEFAULT_WEB_ROOT): void {
  if (!existsSync(resolve(root, 'index.html'))) {
    app.get('/', async (_req, reply) =>
      reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send('The dashboard is not built yet: run `npm run build:web` (npm install does it).\n'),
    );
    return;
  }
  app.register(fastifyStatic, {
    root,
    prefix: '/',
    wildcard: false,
    setHeaders(res, path) {
      res.header('content-security-policy', CSP);
      res.header('x-content-type-options', 'nosniff');
      res.header('referrer-policy', 'same-origin');
      // Assets carry a content hash in their name; the page itself must always be fresh.
      res.header(
        'cache-control',
        path.endsWith('.html') ? 'no-cache' : 'public, max-age=31536000, immutable',
      );
    },
  });
}
