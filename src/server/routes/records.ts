/**
 * @module server/routes/records
 * `POST /api/v1/records`: the native batch API (JSON array or NDJSON, write or public key).
 * `GET /api/v1/records/{type}`: stored records of one kind (secret key).
 */
import type { FastifyInstance } from 'fastify';
import { PolsoError } from '../../errors.ts';
import { batchStatus, ingestItems, parseBody } from '../../ingest/batch.ts';
import { isRecordKind } from '../../model/kinds.ts';
import type { IngestResult } from '../../store/store.ts';
import type { AppContext } from '../app.ts';
import { authorize } from '../auth.ts';

/** The response body of a batch write. */
export function batchResponse(total: number, result: IngestResult) {
  const status = batchStatus(total, result);
  const body = {
    ...(status === 422
      ? { error: { code: 'POLSO_ALL_REJECTED', message: 'Every record was rejected' } }
      : {}),
    accepted: result.accepted,
    updated: result.updated,
    duplicates: result.duplicates,
    outdated: result.outdated,
    rejected: result.rejected,
  };
  return { status, body };
}

export function recordRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.post('/api/v1/records', async (req, reply) => {
    const { project, key } = await authorize(req, ctx.keys, ['write', 'secret', 'public']);
    const type = String(req.headers['content-type'] ?? '');
    const text = typeof req.body === 'string' ? req.body : '';
    if (text.trim() === '') throw new PolsoError('POLSO_MALFORMED_JSON', 'The body is empty');
    const items = parseBody(text, /ndjson/.test(type));
    const result = await ingestItems(ctx.store, project, key.scope, items, ctx.limits);
    const { status, body } = batchResponse(items.length, result);
    return reply.code(status).send(body);
  });

  app.get<{ Params: { type: string }; Querystring: { id?: string; limit?: string } }>(
    '/api/v1/records/:type',
    async (req) => {
      const { project } = await authorize(req, ctx.keys, ['secret']);
      if (!isRecordKind(req.params.type))
        throw new PolsoError('POLSO_NOT_FOUND', `Unknown record type ${req.params.type}`);
      const limit = Math.min(Math.max(Number(req.query.limit ?? 100) || 100, 1), 1000);
      const records = await ctx.store.listRecords(project.id, req.params.type, { limit, id: req.query.id });
      return { records };
    },
  );
}
