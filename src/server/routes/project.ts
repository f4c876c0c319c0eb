/**
 * @module server/routes/project
 * Administration with a secret key: the project's settings, key rotation, and erasure of a
 * customer's data (GDPR).
 */
import type { FastifyInstance } from 'fastify';
import { issueKey } from '../../auth/keys.ts';
import { PolsoError } from '../../errors.ts';
import { parseConfigPatch } from '../../model/project-config.ts';
import type { KeyScope } from '../../store/store.ts';
import { type AppContext, objectBody } from '../app.ts';
import { authorize } from '../auth.ts';

const SCOPES: readonly KeyScope[] = ['public', 'write', 'secret'];

export function projectRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/api/v1/project', async (req) => {
    const { project } = await authorize(req, ctx.keys, ['secret']);
    return project;
  });

  app.patch('/api/v1/project', async (req) => {
    const { project } = await authorize(req, ctx.keys, ['secret']);
    const patch = parseConfigPatch(objectBody(req.body));
    const updated = await ctx.store.updateProjectConfig(project.id, patch);
    ctx.keys.forget(project.id);
    return updated;
  });

  app.get('/api/v1/keys', async (req) => {
    const { project } = await authorize(req, ctx.keys, ['secret']);
    return { keys: await ctx.store.listKeys(project.id) };
  });

  app.post('/api/v1/keys', async (req, reply) => {
    const { project } = await authorize(req, ctx.keys, ['secret']);
    const body = objectBody(req.body);
    const scope = body.scope as KeyScope;
    if (!SCOPES.includes(scope))
      throw new PolsoError('POLSO_BAD_REQUEST', `scope: must be one of ${SCOPES.join(', ')}`);
    const name = typeof body.name === 'string' && body.name.length <= 100 ? body.name : scope;
    const { token, key } = await issueKey(ctx.store, project.id, scope, name);
    return reply.code(201).send({ ...key, token });
  });

  app.delete<{ Params: { id: string } }>('/api/v1/keys/:id', async (req) => {
    const { project } = await authorize(req, ctx.keys, ['secret']);
    const revoked = await ctx.store.revokeKey(project.id, req.params.id);
    if (!revoked) throw new PolsoError('POLSO_NOT_FOUND', `No active key ${req.params.id} in this project`);
    ctx.keys.forget(project.id);
    return { revoked: true };
  });

  app.delete<{ Params: { id: string } }>('/api/v1/customers/:id', async (req) => {
    const { project } = await authorize(req, ctx.keys, ['secret']);
    const deleted = await ctx.store.eraseCustomer(project.id, req.params.id);
    const total = Object.entries(deleted)
      .filter(([k]) => k !== 'identities')
      .reduce((sum, [, n]) => sum + n, 0);
    return { customerId: req.params.id, deleted: total, byType: deleted };
  });
}
