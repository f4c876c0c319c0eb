/**
 * @module server/openapi
 * The OpenAPI 3.1 document of the whole API, served at `/api/v1/openapi.json`. Record schemas are
 * derived from the record model, metric and dimension ids from the catalogue.
 */

import { ERRORS } from '../errors.ts';
import { METRICS } from '../metrics/catalogue.ts';
import { DIMENSIONS } from '../metrics/dimensions.ts';
import { type FieldSpec, fieldsOf, KINDS, maxLengthOf, RECORD_KINDS } from '../model/kinds.ts';

function fieldSchema(f: FieldSpec): Record<string, unknown> {
  const base: Record<string, unknown> = { description: f.doc };
  switch (f.type) {
    case 'string':
    case 'text':
      return { ...base, type: 'string', maxLength: maxLengthOf(f), ...(f.values ? { enum: f.values } : {}) };
    case 'integer':
      return { ...base, type: 'integer', minimum: f.min, maximum: f.max };
    case 'number':
      return { ...base, type: 'number', minimum: f.min, maximum: f.max };
    case 'boolean':
      return { ...base, type: 'boolean' };
    case 'timestamp':
      return { ...base, type: 'string', format: 'date-time' };
    case 'json':
      return { ...base, type: ['object', 'array'] };
    case 'list':
      return { ...base, type: 'array', items: { type: 'string' } };
  }
}

const error = { $ref: '#/components/schemas/Error' };
const errors = (...codes: number[]) =>
  Object.fromEntries(
    codes.map((c) => [
      String(c),
      { description: 'Error', content: { 'application/json': { schema: error } } },
    ]),
  );
const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });

export function openApiDocument(): Record<string, unknown> {
  const records = Object.fromEntries(
    RECORD_KINDS.map((k) => {
      const spec = KINDS[k];
      const fields = fieldsOf(spec);
      return [
        `Record_${k}`,
        {
          type: 'object',
          description: spec.doc,
          additionalProperties: false,
          required: ['type', ...fields.filter((f) => f.required).map((f) => f.name)],
          properties: {
            type: { const: k },
            ...Object.fromEntries(fields.map((f) => [f.name, fieldSchema(f)])),
          },
          example: spec.example,
        },
      ];
    }),
  );
  const batchResult = {
    type: 'object',
    properties: {
      accepted: { type: 'integer' },
      updated: { type: 'integer' },
      duplicates: { type: 'integer' },
      outdated: { type: 'integer' },
      rejected: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            index: { type: 'integer' },
            field: { type: ['string', 'null'] },
            code: { type: 'string' },
            message: { type: 'string' },
          },
        },
      },
    },
  };
  const secret = [{ bearer: [] }];
  /** Reads: a secret key, or a dashboard session (its CSRF token in X-CSRF-Token on POST/PATCH/DELETE). */
  const reader = [{ bearer: [] }, { session: [], csrf: [] }];
  return {
    openapi: '3.1.0',
    info: { title: 'Polso API', version: '1', description: 'Customer engagement and experience, measured.' },
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'polso_wk_… (write), polso_pk_… (public) or polso_sk_… (secret)',
        },
        session: {
          type: 'apiKey',
          in: 'cookie',
          name: 'polso_session',
          description: 'Dashboard session (POST /api/v1/session); Secure, HttpOnly, SameSite=Strict',
        },
        csrf: {
          type: 'apiKey',
          in: 'header',
          name: 'X-CSRF-Token',
          description:
            "The session's csrfToken, required with the session cookie on every POST, PATCH and DELETE",
        },
        segmentBasic: {
          type: 'http',
          scheme: 'basic',
          description: 'Segment style: the write key as user name',
        },
      },
      schemas: {
        ...records,
        Record: {
          oneOf: RECORD_KINDS.map((k) => ({ $ref: `#/components/schemas/Record_${k}` })),
          discriminator: { propertyName: 'type' },
        },
        BatchResult: batchResult,
        Error: {
          type: 'object',
          properties: {
            error: {
              type: 'object',
              properties: { code: { enum: Object.keys(ERRORS) }, message: { type: 'string' } },
            },
          },
        },
        Query: {
          type: 'object',
          required: ['metrics', 'from', 'to'],
          properties: {
            metrics: { type: 'array', items: { enum: [...METRICS.keys()] } },
            groupBy: { type: 'array', items: { enum: [...DIMENSIONS.keys()] }, maxItems: 4 },
            grain: { enum: ['hour', 'day', 'week', 'month', 'quarter', 'year'] },
            from: { type: 'string', description: 'YYYY-MM-DD (local midnight) or ISO instant; inclusive' },
            to: { type: 'string', description: 'YYYY-MM-DD or ISO instant; exclusive' },
            timezone: { type: 'string', description: "IANA time zone; default the project's" },
            filters: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } },
            compare: { enum: ['previous_period', 'previous_year'] },
            params: {
              type: 'object',
              description: 'Per-metric parameters, e.g. {"fcr": {"method": "explicit"}}',
            },
            minSample: { type: 'integer', minimum: 1, default: 30 },
          },
        },
      },
    },
    paths: {
      '/healthz': {
        get: { summary: 'Ready when the store is open', responses: { 200: { description: 'OK' } } },
      },
      '/api/v1/records': {
        post: {
          summary: 'Send records of any type (JSON array or NDJSON)',
          security: [{ bearer: [] }],
          requestBody: {
            content: {
              'application/json': {
                schema: { type: 'array', items: { $ref: '#/components/schemas/Record' } },
              },
              'application/x-ndjson': { schema: { type: 'string' } },
            },
          },
          responses: {
            200: { description: 'Stored (see rejected)', ...json(batchResult) },
            422: { description: 'Every record rejected', ...json(batchResult) },
            ...errors(400, 401, 403, 413, 415),
          },
        },
      },
      '/api/v1/records/{type}': {
        get: {
          summary: 'Stored records of one type, newest first',
          security: secret,
          parameters: [
            { name: 'type', in: 'path', required: true, schema: { enum: [...RECORD_KINDS] } },
            { name: 'id', in: 'query', schema: { type: 'string' } },
            { name: 'limit', in: 'query', schema: { type: 'integer', maximum: 1000 } },
          ],
          responses: { 200: { description: 'Records' }, ...errors(401, 403, 404) },
        },
      },
      ...Object.fromEntries(
        ['track', 'identify', 'page', 'screen', 'group', 'alias', 'batch'].map((t) => [
          `/v1/${t}`,
          {
            post: {
              summary: `Segment-compatible ${t}`,
              security: [{ segmentBasic: [] }, { bearer: [] }],
              responses: {
                200: { description: 'Stored', ...json(batchResult) },
                ...errors(400, 401, 403, 413, 422),
              },
            },
          },
        ]),
      ),
      '/api/v1/query': {
        post: {
          summary: 'Metrics by dimension and period, with n, intervals and comparison',
          security: reader,
          parameters: [
            { name: 'format', in: 'query', schema: { enum: ['json', 'csv'] } },
            {
              name: 'x-polso-priority',
              in: 'header',
              description:
                '`background`: a query nobody waits for (prefetch); it yields the engine to the others',
              schema: { enum: ['background'] },
            },
          ],
          requestBody: json({ $ref: '#/components/schemas/Query' }),
          responses: {
            200: { description: 'Rows of dimension values and metric values' },
            ...errors(400, 401, 403),
          },
        },
      },
      '/api/v1/metrics': {
        get: {
          summary: 'The metric catalogue (Italian and English)',
          security: reader,
          responses: { 200: { description: 'Catalogue' } },
        },
      },
      '/api/v1/project': {
        get: {
          summary: 'Project and settings',
          security: secret,
          responses: { 200: { description: 'Project' } },
        },
        patch: {
          summary: 'Change settings (currency, timezone, fxRates, conversionEvents)',
          security: secret,
          responses: { 200: { description: 'Project' }, ...errors(400) },
        },
      },
      '/api/v1/keys': {
        get: {
          summary: 'Keys of the project (hashes are never shown)',
          security: secret,
          responses: { 200: { description: 'Keys' } },
        },
        post: {
          summary: 'Create a key (the token is shown once)',
          security: secret,
          responses: { 201: { description: 'Key with token' }, ...errors(400) },
        },
      },
      '/api/v1/keys/{id}': {
        delete: {
          summary: 'Revoke a key',
          security: secret,
          responses: { 200: { description: 'Revoked' }, ...errors(404) },
        },
      },
      '/api/v1/query/records': {
        post: {
          summary:
            'The records behind a data point: one metric, its range and filters (the point as filters), newest first',
          security: reader,
          requestBody: json({
            allOf: [
              { $ref: '#/components/schemas/Query' },
              {
                type: 'object',
                properties: {
                  metrics: { type: 'array', minItems: 1, maxItems: 1 },
                  limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
                  band: {
                    type: 'object',
                    description:
                      "A model score's metric only: the customers whose score is at least `from` and below `to` (no upper edge when null)",
                    properties: { from: { type: 'number' }, to: { type: ['number', 'null'] } },
                    required: ['from'],
                    additionalProperties: false,
                  },
                },
              },
            ],
          }),
          responses: {
            200: {
              description: 'The metric, its source record type, the total in scope and the newest records',
              ...json({
                type: 'object',
                properties: {
                  metric: { type: 'string' },
                  type: { enum: [...RECORD_KINDS] },
                  total: { type: 'integer' },
                  records: { type: 'array', items: { $ref: '#/components/schemas/Record' } },
                },
              }),
            },
            ...errors(400, 401, 403),
          },
        },
      },
      '/api/v1/session': {
        get: {
          summary: 'The current dashboard session ({"authenticated": false} without one)',
          responses: { 200: { description: 'Project, user, role and csrfToken' } },
        },
        post: {
          summary: 'Sign in with {email, password} or {key} (the secret key); sets the session cookie',
          requestBody: json({
            oneOf: [
              {
                type: 'object',
                required: ['email', 'password'],
                properties: { email: { type: 'string' }, password: { type: 'string' } },
              },
              { type: 'object', required: ['key'], properties: { key: { type: 'string' } } },
            ],
          }),
          responses: { 201: { description: 'Project, user, role and csrfToken' }, ...errors(401, 403) },
        },
        delete: {
          summary: 'Sign out',
          security: [{ session: [], csrf: [] }],
          responses: { 204: { description: 'Signed out' }, ...errors(401, 403) },
        },
      },
      '/api/v1/customers': {
        get: {
          summary: 'Customers whose id, name or e-mail contains q (case-insensitive)',
          security: reader,
          parameters: [
            { name: 'q', in: 'query', schema: { type: 'string', maxLength: 200 } },
            {
              name: 'limit',
              in: 'query',
              schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
            },
          ],
          responses: { 200: { description: '{customers: [customer records]}' }, ...errors(400, 401) },
        },
      },
      '/api/v1/customers/{id}': {
        get: {
          summary:
            "A customer's 360° view: profile, orders, contacts, survey answers, subscriptions, one timeline",
          security: reader,
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { 200: { description: 'The newest 200 records of each kind' }, ...errors(401, 404) },
        },
        delete: {
          summary: 'Erase every record of a customer (GDPR)',
          security: secret,
          responses: { 200: { description: 'How many records were removed' } },
        },
      },
      '/api/v1/customers/{id}/priority': {
        get: {
          summary:
            'Contact-centre queue priority (1 = most urgent) from the stored CLV and churn-risk scores',
          security: secret,
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            200: {
              description: 'Priority, CLV tier, risk band, the reasons and the scores used',
              ...json({
                type: 'object',
                properties: {
                  customerId: { type: 'string' },
                  priority: { enum: [1, 2, 3, 4] },
                  tier: { enum: ['platinum', 'gold', 'silver', 'bronze', null] },
                  risk: { enum: ['high', 'medium', 'low', null] },
                  health: { enum: ['red', 'yellow', 'green', null] },
                  reasons: { type: 'array', items: { type: 'string' } },
                  scores: { type: 'object', additionalProperties: { type: ['number', 'null'] } },
                },
              }),
            },
            ...errors(401, 403, 404),
          },
        },
      },
      '/api/v1/customers/{id}/models': {
        get: {
          summary:
            "What the customer models say about one customer: stored CLV and churn risk, health now and at each of the last 12 months' ends, routing priority",
          security: reader,
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            200: {
              description:
                'clv and churnRisk are null until `polso fit clv|churn` has run; health components are on 0–1, contributions in points summing to the score',
              ...json({
                type: 'object',
                properties: {
                  customerId: { type: 'string' },
                  clv: {
                    type: ['object', 'null'],
                    properties: {
                      value: { type: ['number', 'null'] },
                      percentile: { type: ['number', 'null'] },
                      expectedPurchases: { type: ['number', 'null'] },
                      pAlive: { type: ['number', 'null'] },
                      expectedSpend: { type: ['number', 'null'] },
                      version: { type: 'string' },
                      fittedAt: { type: 'string', format: 'date-time' },
                    },
                  },
                  churnRisk: {
                    type: ['object', 'null'],
                    properties: {
                      value: { type: ['number', 'null'] },
                      top: {
                        type: 'array',
                        items: {
                          type: 'object',
                          properties: { column: { type: 'string' }, contribution: { type: 'number' } },
                        },
                      },
                      version: { type: 'string' },
                      fittedAt: { type: 'string', format: 'date-time' },
                    },
                  },
                  health: {
                    type: 'object',
                    properties: {
                      current: { type: ['object', 'null'] },
                      history: { type: 'array', items: { type: 'object' } },
                    },
                  },
                  priority: { type: 'object' },
                },
              }),
            },
            ...errors(401, 403, 404),
          },
        },
      },
      ...surveyPaths(secret),
    },
  };
}

/** The survey endpoints (definitions, invitations, widget, hosted page). */
function surveyPaths(secret: { bearer: never[] }[]) {
  const id = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
  const token = { name: 'token', in: 'path', required: true, schema: { type: 'string' } };
  const publicKey = [{ bearer: [] }];
  return {
    '/api/v1/surveys': {
      get: {
        summary: 'Surveys (latest versions)',
        security: secret,
        responses: { 200: { description: 'Surveys' } },
      },
      post: {
        summary: 'Create a survey from a definition; every problem is reported with its path',
        security: secret,
        responses: { 201: { description: '{id, version}' }, ...errors(401, 403, 422) },
      },
    },
    '/api/v1/surveys/{id}': {
      get: {
        summary: 'A survey (?version=N for an earlier one)',
        security: secret,
        parameters: [id, { name: 'version', in: 'query', schema: { type: 'integer' } }],
        responses: { 200: { description: 'Stored definition' }, ...errors(404) },
      },
      put: {
        summary: 'A new version of a survey (past answers keep theirs)',
        security: secret,
        parameters: [id],
        responses: { 200: { description: '{id, version}' }, ...errors(404, 422) },
      },
    },
    '/api/v1/surveys/{id}/invitations': {
      post: {
        summary: 'Invite a customer: {customerId, via: link|email|sms, subjectType?, subjectId?} → {id, url}',
        security: publicKey,
        parameters: [id],
        responses: { 201: { description: '{id, url}' }, ...errors(404, 409, 422) },
      },
    },
    '/api/v1/surveys/{id}/dropoff': {
      get: {
        summary: 'Drop-off per question',
        security: secret,
        parameters: [id],
        responses: { 200: { description: 'Started, completed, answered and stopped per question' } },
      },
    },
    '/api/v1/surveys/{id}/widget': {
      get: {
        summary: 'The survey for the widget (public key)',
        security: publicKey,
        parameters: [id],
        responses: { 200: { description: 'Questions in one language' } },
      },
      post: {
        summary: 'Widget answers: {customerId|anonymousId, answers, complete} (public key)',
        security: publicKey,
        parameters: [id],
        responses: { 200: { description: '{completed}' }, ...errors(422) },
      },
    },
    '/api/v1/webhooks': {
      post: {
        summary: 'Signed webhook on completed responses: {url} → {id, url, secret}',
        security: secret,
        responses: { 201: { description: 'Webhook with its signing secret (shown once)' }, ...errors(422) },
      },
    },
    '/s/{token}': {
      get: {
        summary: 'The hosted survey page (?score=N preselects, records nothing)',
        parameters: [token],
        responses: { 200: { description: 'HTML' } },
      },
      post: {
        summary: 'The page without script: form answers',
        parameters: [token],
        responses: { 200: { description: 'HTML' } },
      },
    },
    '/s/{token}/answers': {
      post: {
        summary: 'Save answers {answers, complete}',
        parameters: [token],
        responses: { 200: { description: '{completed}' }, ...errors(404, 422) },
      },
    },
  };
}
