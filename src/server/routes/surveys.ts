/**
 * @module server/routes/surveys
 * Surveys over HTTP.
 * - Definitions (secret key): `POST /api/v1/surveys`, `GET /api/v1/surveys`, `GET|PUT /api/v1/surveys/{id}`,
 *   drop-off per question `GET /api/v1/surveys/{id}/dropoff`, webhooks `POST /api/v1/webhooks`.
 * - Invitations (write or secret key): `POST /api/v1/surveys/{id}/invitations` → `{id, url}`.
 * - The widget (public key, any origin): `GET|POST /api/v1/surveys/{id}/widget`.
 * - The hosted page (the link token is the credential): `GET /s/{token}` (records nothing),
 *   `POST /s/{token}/answers` (JSON), `POST /s/{token}` (the plain form), `POST /s/{token}/open`,
 *   `GET|POST /s/{token}/unsubscribe`; its files under `/survey/`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PolsoError } from '../../errors.ts';
import { asset } from '../../surveys/assets.ts';
import { pickLanguage } from '../../surveys/definition.ts';
import { messageHtml, pageHtml, surveyView, unsubscribeHtml } from '../../surveys/render.ts';
import { formAnswers } from '../../surveys/service.ts';
import type { Answer } from '../../surveys/state.ts';
import { uiTexts } from '../../surveys/texts.ts';
import { type AppContext, objectBody } from '../app.ts';
import { authorize } from '../auth.ts';

type IdParams = { Params: { id: string } };
type TokenParams = { Params: { token: string } };

/** Headers of every hosted page: only Polso's own files run, nothing is cached, the token is not leaked. */
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-headers': 'authorization, content-type',
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-max-age': '600',
};

function html(reply: FastifyReply, status: number, body: string) {
  return reply.code(status).headers(PAGE_HEADERS).type('text/html; charset=utf-8').send(body);
}

/** The language of a visitor whose invitation is unknown (Accept-Language, Italian or English). */
function visitorLanguage(req: FastifyRequest): string {
  return /^\s*it\b/i.test(String(req.headers['accept-language'] ?? '')) ? 'it' : 'en';
}

/** Parses `a=1&b=2&b=3` into name → values (the hosted page's plain form). */
function parseForm(body: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const params = new URLSearchParams(body);
  for (const k of new Set(params.keys())) out[k] = params.getAll(k);
  return out;
}

export function surveyRoutes(app: FastifyInstance, ctx: AppContext): void {
  const service = ctx.surveys;

  // ---- definitions ------------------------------------------------------------------------------
  app.post('/api/v1/surveys', async (req, reply) => {
    const { project } = await authorize(req, ctx.keys, ['secret']);
    const saved = await service.define(project, objectBody(req.body));
    return reply.code(201).send({ id: saved.id, version: saved.version });
  });

  app.get('/api/v1/surveys', async (req) => {
    const { project } = await authorize(req, ctx.keys, ['secret']);
    const list = await ctx.store.surveys.listDefinitions(project.id);
    return {
      surveys: list.map((s) => ({
        id: s.id,
        version: s.version,
        createdAt: s.createdAt,
        name: s.definition.name,
      })),
    };
  });

  app.get<IdParams & { Querystring: { version?: string } }>('/api/v1/surveys/:id', async (req) => {
    const { project } = await authorize(req, ctx.keys, ['secret']);
    const version = req.query.version === undefined ? undefined : Number(req.query.version);
    if (version !== undefined && !(Number.isInteger(version) && version > 0))
      throw new PolsoError('POLSO_BAD_REQUEST', 'version: a positive whole number');
    return service.get(project, req.params.id, version);
  });

  app.put<IdParams>('/api/v1/surveys/:id', async (req) => {
    const { project } = await authorize(req, ctx.keys, ['secret']);
    const saved = await service.define(project, objectBody(req.body), req.params.id, true);
    return { id: saved.id, version: saved.version };
  });

  app.get<IdParams>('/api/v1/surveys/:id/dropoff', async (req) => {
    const { project } = await authorize(req, ctx.keys, ['secret']);
    const survey = await service.get(project, req.params.id);
    return ctx.store.surveys.dropoff(
      project.id,
      survey.id,
      survey.definition.questions.map((q) => q.id),
    );
  });

  app.post('/api/v1/webhooks', async (req, reply) => {
    const { project } = await authorize(req, ctx.keys, ['secret']);
    return reply.code(201).send(await service.addWebhook(project, objectBody(req.body).url));
  });

  // ---- invitations ------------------------------------------------------------------------------
  app.post<IdParams>('/api/v1/surveys/:id/invitations', async (req, reply) => {
    const { project } = await authorize(req, ctx.keys, ['write', 'secret']);
    const survey = await service.get(project, req.params.id);
    const request = service.parseInviteRequest(objectBody(req.body));
    const { invite, url } = await service.createInvitation(project, survey, request);
    if (request.via !== 'link') service.sendSoon(project);
    return reply.code(201).send({ id: invite.id, url });
  });

  // ---- widget -----------------------------------------------------------------------------------
  /** The project and survey of a widget request: with a browser key, only a survey with a widget trigger. */
  const widgetSurvey = async (req: FastifyRequest<IdParams>) => {
    const { project } = await authorize(req, ctx.keys, ['public', 'write', 'secret']);
    const survey = await service.get(project, req.params.id);
    if (!survey.definition.widget)
      throw new PolsoError('SURVEY_NOT_FOUND', `Survey ${survey.id} has no widget trigger`);
    return { project, survey };
  };
  for (const url of ['/api/v1/surveys/:id/widget'])
    app.options(url, async (_req, reply) => reply.code(204).headers(CORS).send());

  app.get<IdParams & { Querystring: { language?: string } }>(
    '/api/v1/surveys/:id/widget',
    async (req, reply) => {
      reply.headers(CORS);
      const { survey } = await widgetSurvey(req);
      const def = survey.definition;
      return { ...surveyView(def, pickLanguage(def, req.query.language)), trigger: def.widget };
    },
  );

  app.post<IdParams>('/api/v1/surveys/:id/widget', async (req, reply) => {
    reply.headers(CORS);
    const { project, survey } = await widgetSurvey(req);
    const body = objectBody(req.body);
    const who = body.customerId ?? body.anonymousId;
    if (typeof who !== 'string' || who === '' || who.length > 256)
      throw new PolsoError('SURVEY_BAD_ANSWER', 'customerId or anonymousId: required');
    const person =
      typeof body.customerId === 'string' ? { customerId: body.customerId } : { anonymousId: who };
    const language = typeof body.language === 'string' ? body.language : '';
    return service.widgetAnswer(
      project,
      survey,
      person,
      language,
      body.answers ?? {},
      body.complete === true,
    );
  });

  // ---- hosted page ------------------------------------------------------------------------------
  app.get<{ Params: { file: string } }>('/survey/:file', async (req, reply) => {
    const file = asset(req.params.file);
    if (!file) throw new PolsoError('POLSO_NOT_FOUND', `No file ${req.params.file}`);
    return reply.type(file.type).header('cache-control', 'public, max-age=3600').send(file.body);
  });

  app.register(async (page) => {
    // Only here: the page's plain form posts application/x-www-form-urlencoded.
    page.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string' },
      (_req, body, done) => done(null, parseForm(String(body))),
    );

    const load = async (req: FastifyRequest<TokenParams>) => service.byToken(req.params.token);
    const invalid = (req: FastifyRequest, reply: FastifyReply) => {
      const lang = visitorLanguage(req);
      return html(reply, 404, messageHtml(lang, 'Polso', uiTexts(lang).invalidLink));
    };

    page.get<TokenParams & { Querystring: { score?: string } }>('/s/:token', async (req, reply) => {
      const found = await load(req);
      if (!found) return invalid(req, reply);
      const { invite, survey } = found;
      const view = surveyView(survey.definition, invite.language);
      // A score in the link (one tap in the email) is checked on the page, not recorded: mail
      // scanners open every link, so only the person's confirmation saves it.
      const shown: Record<string, Answer> = { ...invite.answers };
      const first = view.questions[0];
      const score = req.query.score;
      if (first?.ends && score !== undefined && first.options.some((o) => o.value === score))
        shown[first.id] = Number(score);
      return html(reply, 200, pageHtml(view, `/s/${req.params.token}`, shown));
    });

    page.post<TokenParams>('/s/:token/open', async (req, reply) => {
      const found = await load(req);
      if (!found) throw new PolsoError('SURVEY_LINK_INVALID');
      await service.opened(found.project, found.invite, found.survey);
      return reply.code(204).send();
    });

    page.post<TokenParams>('/s/:token/answers', async (req) => {
      const found = await load(req);
      if (!found) throw new PolsoError('SURVEY_LINK_INVALID');
      const body = objectBody(req.body);
      return service.answer(
        found.project,
        found.invite,
        found.survey,
        body.answers ?? {},
        body.complete === true,
      );
    });

    page.post<TokenParams>('/s/:token', async (req, reply) => {
      const found = await load(req);
      if (!found) return invalid(req, reply);
      const { project, invite, survey } = found;
      const form =
        req.body !== null && typeof req.body === 'object' ? (req.body as Record<string, string[]>) : {};
      const ui = uiTexts(invite.language);
      try {
        await service.answer(project, invite, survey, formAnswers(survey.definition, form), true);
      } catch (error) {
        if (!(error instanceof PolsoError)) throw error;
        return html(reply, 422, messageHtml(invite.language, ui.error, error.message));
      }
      return html(reply, 200, messageHtml(invite.language, ui.thanks, ''));
    });

    page.get<TokenParams>('/s/:token/unsubscribe', async (req, reply) => {
      const found = await load(req);
      if (!found) return invalid(req, reply);
      return html(reply, 200, unsubscribeHtml(found.invite.language, `/s/${req.params.token}/unsubscribe`));
    });

    page.post<TokenParams>('/s/:token/unsubscribe', async (req, reply) => {
      const found = await load(req);
      if (!found) return invalid(req, reply);
      await service.unsubscribe(found.project, found.invite);
      const ui = uiTexts(found.invite.language);
      return html(reply, 200, messageHtml(found.invite.language, ui.unsubscribe, ui.unsubscribeDone));
    });
  });
}
