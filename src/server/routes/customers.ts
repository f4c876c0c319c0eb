/**
 * @module server/routes/customers
 * Per-customer answers from precomputed model scores: `GET /api/v1/customers/{id}/priority`, the
 * contact-centre queue priority with its reasons (one keyed lookup, no model work at request time).
 */
import type { FastifyInstance } from 'fastify';
import { customerPriority } from '../../service/models.ts';
import type { AppContext } from '../app.ts';
import { authorize } from '../auth.ts';

export function customerRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get<{ Params: { id: string } }>('/api/v1/customers/:id/priority', async (req) => {
    const { project } = await authorize(req, ctx.keys, ['secret']);
    return customerPriority(ctx.store, project.id, req.params.id);
  });
}
