/**
 * @module server/routes/admin
 * The local admin API, used by CLI commands while `polso serve` holds the database: create a
 * project, add a dashboard user, import a file, run a query, define a survey, fit the customer models. Authenticated by the token `serve` writes into the data directory (readable
 * only by its owner), so only someone with access to the data directory can use it.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { addUser } from '../../auth/users.ts';
import { PolsoError } from '../../errors.ts';
import { fitHealth } from '../../service/health.ts';
import { fitChurn, fitClvForProject } from '../../service/models.ts';
import { createProjectWithKeys, defineSurvey, importFile, queryProject } from '../../service/operations.ts';
import { type AppContext, objectBody } from '../app.ts';
import { tokenOf } from '../auth.ts';

function requireAdmin(req: FastifyRequest, ctx: AppContext): void {
  const token = tokenOf(req);
  const expected = ctx.adminToken;
  if (!expected || !token)
    throw new PolsoError('POLSO_UNAUTHORIZED', 'The local admin API needs the admin token');
  const a = Buffer.from(token);
  const b = Buffer.from(expected);
  if (a.length !== b.length || !timingSafeEqual(a, b))
    throw new PolsoError('POLSO_UNAUTHORIZED', 'Wrong admin token');
}

export function adminRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.post('/api/v1/admin/projects', async (req, reply) => {
    requireAdmin(req, ctx);
    const body = objectBody(req.body);
    return reply.code(201).send(await createProjectWithKeys(ctx.store, body));
  });

  app.post('/api/v1/admin/query', async (req) => {
    requireAdmin(req, ctx);
    return queryProject(ctx.store, objectBody(req.body), ctx.clock.now());
  });

  app.post('/api/v1/admin/users', async (req, reply) => {
    requireAdmin(req, ctx);
    return reply.code(201).send(await addUser(ctx.store, objectBody(req.body)));
  });

  app.post('/api/v1/admin/fit/clv', async (req) => {
    requireAdmin(req, ctx);
    return fitClvForProject(ctx.store, objectBody(req.body), ctx.clock.now());
  });

  app.post('/api/v1/admin/fit/churn', async (req) => {
    requireAdmin(req, ctx);
    return fitChurn(ctx.store, objectBody(req.body), ctx.clock.now());
  });

  app.post('/api/v1/admin/fit/health', async (req) => {
    requireAdmin(req, ctx);
    return fitHealth(ctx.store, objectBody(req.body), ctx.clock.now());
  });

  app.post('/api/v1/admin/import', async (req) => {
    requireAdmin(req, ctx);
    return importFile(ctx.store, objectBody(req.body));
  });

  app.post('/api/v1/admin/surveys', async (req) => {
    requireAdmin(req, ctx);
    return defineSurvey(ctx.surveys, objectBody(req.body));
  });
}
