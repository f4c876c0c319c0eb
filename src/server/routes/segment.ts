/**
 * @module server/routes/segment
 * Segment-compatible endpoints: `POST /v1/{track,identify,page,screen,group,alias,batch}`. The write
 * key is the HTTP Basic user name (as `@segment/analytics-node` sends it) or `writeKey` in the body.
 */
import type { FastifyInstance } from 'fastify';
import { PolsoError, recordError } from '../../errors.ts';
import { ingestItems } from '../../ingest/batch.ts';
import { mapSegment, type SegmentPlan } from '../../ingest/segment.ts';
import type { RecordKind } from '../../model/kinds.ts';
import type { AppContext } from '../app.ts';
import { objectBody } from '../app.ts';
import { authorize, tokenOf } from '../auth.ts';
import { batchResponse } from './records.ts';

const TYPES = ['track', 'identify', 'page', 'screen', 'group', 'alias', 'batch'] as const;
const PATCH: ReadonlySet<RecordKind> = new Set(['customer']);

export function segmentRoutes(app: FastifyInstance, ctx: AppContext): void {
  for (const type of TYPES) {
    app.post(`/v1/${type}`, async (req, reply) => {
      const body = objectBody(req.body);
      const bodyKey = typeof body.writeKey === 'string' ? body.writeKey : null;
      const { project, key } = await authorize(
        req,
        ctx.keys,
        ['public', 'write', 'secret'],
        tokenOf(req) ?? bodyKey,
      );
      let messages: unknown[];
      if (type === 'batch') {
        if (!Array.isArray(body.batch))
          throw new PolsoError('POLSO_BAD_REQUEST', 'batch: must be an array of messages');
        messages = body.batch;
      } else messages = [body];
      const plan = mapSegment(messages, {
        forcedType: type === 'batch' ? undefined : type,
        batchSentAt: body.sentAt,
        receivedAt: ctx.clock.now(),
        currency: project.config.currency,
        typed: key.scope !== 'public',
      });
      if (key.scope === 'public' && plan.aliases.length > 0)
        throw new PolsoError('POLSO_FORBIDDEN', 'A public key may not send alias calls; use a write key');
      await completeSubscriptions(ctx, project.id, plan);
      const result = await ingestItems(ctx.store, project, key.scope, plan.items, ctx.limits, {
        patch: PATCH,
      });
      for (const alias of plan.aliases) {
        try {
          await ctx.store.alias(project.id, alias.anonymousId, alias.customerId);
          result.accepted++;
        } catch (error) {
          req.log.error({ err: error }, 'alias failed');
          result.rejected.push(
            recordError(alias.index, null, 'RECORD_INVALID_VALUE', 'alias could not be applied'),
          );
          result.rejectedCount++;
        }
      }
      const { status, body: out } = batchResponse(messages.length, result);
      return reply.code(status).send({ success: status === 200, ...out });
    });
  }
}

/**
 * A cancellation often carries only the subscription id: take the plan, MRR and start from the same
 * subscription earlier in the batch, else from the store.
 */
async function completeSubscriptions(ctx: AppContext, projectId: string, plan: SegmentPlan): Promise<void> {
  for (const { index, id } of plan.subscriptionsToComplete) {
    const item = plan.items.find((i) => i.index === index);
    if (!item || !('value' in item)) continue;
    const earlier = plan.items
      .filter((i): i is { index: number; value: Record<string, unknown> } => i.index < index && 'value' in i)
      .map((i) => i.value)
      .filter((v) => v.type === 'subscription' && v.id === id)
      .pop();
    const known = earlier ?? (await ctx.store.listRecords(projectId, 'subscription', { id, limit: 1 }))[0];
    if (!known) continue;
    const value = item.value as Record<string, unknown>;
    for (const f of ['plan', 'mrr', 'startedAt']) value[f] ??= known[f];
  }
}
