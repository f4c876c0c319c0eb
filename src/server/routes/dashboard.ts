/**
 * @module server/routes/dashboard
 * What the dashboard needs beyond the query API: sign-in and sign-out (`/api/v1/session`), customer
 * search and a customer's 360° view (`/api/v1/customers`), and the records behind a data point
 * (`POST /api/v1/query/records`). Every read is scoped to the project of the key or session.
 */
import type { FastifyInstance } from 'fastify';
import { verifyPassword } from '../../auth/passwords.ts';
import { drillDown } from '../../engine/records.ts';
import { PolsoError } from '../../errors.ts';
import type { RecordKind } from '../../model/kinds.ts';
import type { Project, Role, SessionRow } from '../../store/store.ts';
import { type AppContext, objectBody } from '../app.ts';
import { authorizeReader } from '../auth.ts';
import { checkSameOrigin } from '../session.ts';

/** The records of a customer's timeline, and the field that gives each one its title. */
const TIMELINE: readonly [RecordKind, string][] = [
  ['order', 'status'],
  ['contact', 'reason'],
  ['survey_response', 'metric'],
  ['survey_invitation', 'surveyId'],
  ['subscription', 'plan'],
  ['social', 'kind'],
  ['event', 'name'],
  ['task', 'taskId'],
];

function sessionView(project: Project, session: SessionRow, email: string | null) {
  return {
    authenticated: true,
    project: {
      id: project.id,
      name: project.name,
      timezone: project.config.timezone,
      currency: project.config.currency,
    },
    user: { email, role: session.role },
    csrfToken: session.csrfToken,
    expiresAt: session.expiresAt,
  };
}

export function dashboardRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.post('/api/v1/session', async (req, reply) => {
    checkSameOrigin(req);
    const body = objectBody(req.body);
    let who: { projectId: string; userId: string | null; role: Role; email: string | null } | null = null;
    if (typeof body.key === 'string') {
      const principal = await ctx.keys.resolve(body.key);
      if (principal?.key.scope === 'secret')
        who = { projectId: principal.project.id, userId: null, role: 'admin', email: null };
    } else if (typeof body.email === 'string' && typeof body.password === 'string') {
      const user = await ctx.store.findUserByEmail(body.email.trim().toLowerCase());
      if (user && (await verifyPassword(body.password, user.passwordHash)))
        who = { projectId: user.projectId, userId: user.id, role: user.role, email: user.email };
    }
    const project = who && (await ctx.store.getProject(who.projectId));
    if (!who || !project) throw new PolsoError('POLSO_BAD_CREDENTIALS');
    const session = await ctx.sessions.open(reply, who);
    return reply.code(201).send(sessionView(project, session, who.email));
  });

  // Answers 200 either way: the page asks on every load, and "not signed in" is not an error.
  app.get('/api/v1/session', async (req) => {
    const session = await ctx.sessions.find(req);
    const project = session && (await ctx.store.getProject(session.projectId));
    if (!session || !project) return { authenticated: false };
    const user = session.userId ? await ctx.store.findUserById(session.userId) : null;
    return sessionView(project, session, user?.email ?? null);
  });

  app.delete('/api/v1/session', async (req, reply) => {
    await ctx.sessions.require(req);
    await ctx.sessions.close(req, reply);
    return reply.code(204).send();
  });

  app.get<{ Querystring: { q?: string; limit?: string } }>('/api/v1/customers', async (req) => {
    const { project } = await authorizeReader(req, ctx);
    const q = (req.query.q ?? '').trim();
    const limit = Number(req.query.limit ?? 20);
    if (q.length > 200) throw new PolsoError('POLSO_BAD_QUERY', 'q: at most 200 characters', { path: 'q' });
    if (!Number.isInteger(limit) || limit < 1 || limit > 100)
      throw new PolsoError('POLSO_BAD_QUERY', 'limit: 1–100', { path: 'limit' });
    return { customers: await ctx.store.searchCustomers(project.id, q, limit) };
  });

  app.get<{ Params: { id: string } }>('/api/v1/customers/:id', async (req) => {
    const { project } = await authorizeReader(req, ctx);
    const records = await ctx.store.customerRecords(project.id, req.params.id, 200);
    const [customer] = records.customer ?? [];
    if (!customer)
      throw new PolsoError(
        'POLSO_CUSTOMER_NOT_FOUND',
        `No customer ${JSON.stringify(req.params.id)} in this project`,
      );
    const timeline = TIMELINE.flatMap(([kind, title]) =>
      (records[kind] ?? []).map((r) => ({
        type: kind,
        id: r.id,
        timestamp: r.timestamp,
        title: r[title] ?? null,
        channel: r.channel ?? r.platform ?? null,
      })),
    ).sort(
      (a, b) =>
        String(b.timestamp).localeCompare(String(a.timestamp)) || String(a.id).localeCompare(String(b.id)),
    );
    return {
      customer,
      orders: records.order ?? [],
      contacts: records.contact ?? [],
      answers: records.survey_response ?? [],
      subscriptions: records.subscription ?? [],
      timeline,
    };
  });

  app.post('/api/v1/query/records', async (req) => {
    const { project } = await authorizeReader(req, ctx);
    return drillDown(ctx.store, objectBody(req.body), project, ctx.clock.now());
  });
}
