/**
 * @module server/routes/query
 * `POST /api/v1/query` (secret key or dashboard session): metrics by dimensions and period, as JSON or CSV
 * (`?format=csv`); `GET /api/v1/metrics`: the catalogue in Italian and English.
 */
import type { FastifyInstance } from 'fastify';
import { toCsv } from '../../engine/export.ts';
import { planQuery } from '../../engine/plan.ts';
import { runQuery } from '../../engine/run.ts';
import { PolsoError } from '../../errors.ts';
import { catalogueView } from '../../metrics/view.ts';
import { inBackground } from '../../store/store.ts';
import { type AppContext, objectBody } from '../app.ts';
import { authorizeReader } from '../auth.ts';

export function queryRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.post<{ Querystring: { format?: string } }>('/api/v1/query', async (req, reply) => {
    const { project } = await authorizeReader(req, ctx);
    const format = req.query.format ?? 'json';
    if (format !== 'json' && format !== 'csv') throw new PolsoError('POLSO_BAD_QUERY', 'format: json or csv');
    const body = objectBody(req.body);
    const plan = planQuery(body, project, ctx.clock.now());
    const background = req.headers['x-polso-priority'] === 'background';
    const result = await runQuery(background ? inBackground(ctx.store) : ctx.store, plan);
    ctx.warmer?.note(project.id, body);
    if (format === 'csv')
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="polso-query.csv"')
        .send(toCsv(plan, result));
    return result;
  });

  app.get('/api/v1/metrics', async (req) => {
    await authorizeReader(req, ctx);
    return catalogueView();
  });
}
