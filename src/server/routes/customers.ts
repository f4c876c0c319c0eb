/**
 * @module server/routes/customers
 * Per-customer answers of the customer models: `GET /api/v1/customers/{id}/priority`, the
 * contact-centre queue priority with its reasons from precomputed scores (one keyed lookup, no model
 * work at request time), and `GET /api/v1/customers/{id}/models`, the customer 360's models panel.
 */
import type { FastifyInstance } from 'fastify';
import { customerModels, customerPriority } from '../../service/models.ts';
import type { AppContext } from '../app.ts';
import { authorize, authorizeReader } from '../auth.ts';

export function customerRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get<{ Params: { id: string } }>('/api/v1/customers/:id/priority', async (req) => {
    const { project } = await authorize(req, ctx.keys, ['secret']);
    return customerPriority(ctx.store, project.id, req.params.id);
  });

  app.get<{ Params: { id: string } }>('/api/v1/customers/:id/models', async (req) => {
    const { project } = await authorizeReader(req, ctx);
    return customerModels(ctx.store, project, req.params.id, ctx.clock.now());
  });
}
