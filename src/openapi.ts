/**
 * OpenAPI 3 description (@fastify/swagger) served at /docs/json, with Swagger UI at /docs.
 *
 * Documentation only: no route carries a Fastify `schema`. A body schema would validate (and
 * coerce) before the zod checks that own the 400 messages, and a response schema would make
 * Fastify serialise with fast-json-stringify, dropping what it does not declare (a card's FHIR
 * resources, `extension`). So the shapes live in `components.schemas` and are attached to the
 * operations by swagger's `transform`, which changes the document and never the route.
 *
 * The CDS Hooks shapes (requests, cards, discovery, feedback) are generated from the zod schemas
 * of src/cds/wire.ts (z.toJSONSchema, OpenAPI 3.0 target): the document describes what the
 * service checks and nothing is written twice. Only the operations' own answers (probes, the
 * OperationOutcome of every error) are written here.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { contextSchemas, hookRequestSchema, wireSchemas } from './cds/wire.js';

type Json = Record<string, unknown>;

const COMPONENTS = '#/components/schemas/';
const ref = (name: string): Json => ({ $ref: `${COMPONENTS}${name}` });
const json = (description: string, schema: Json): Json => ({ description, content: { 'application/json': { schema } } });
const outcome = (description: string): Json => ({ description, content: { 'application/json': { schema: ref('OperationOutcome') } } });
const open = (properties: Json, required: string[] = [], description?: string): Json => ({
  type: 'object',
  ...(description ? { description } : {}),
  ...(required.length > 0 ? { required } : {}),
  properties,
  additionalProperties: true,
});

/**
 * The wire shapes, one component per id of `wireSchemas`. Read as input (`io: 'input'`), so no
 * object is closed with `additionalProperties: false`: requests may carry more than the service
 * reads, and answers carry FHIR resources whole. A request's `context` is checked per hook once
 * the service is known, so the document offers the hooks' contexts there.
 */
export function wireComponents(): Record<string, Json> {
  const byHook = Object.values(contextSchemas).map((schema) => ref(wireSchemas.get(schema)!.id));
  const { schemas } = z.toJSONSchema(wireSchemas, {
    target: 'openapi-3.0',
    io: 'input',
    uri: (id) => `${COMPONENTS}${id}`,
    override: ({ zodSchema, jsonSchema }) => {
      if (zodSchema !== hookRequestSchema.shape.context) return;
      const { description } = jsonSchema;
      for (const key of Object.keys(jsonSchema)) delete (jsonSchema as Json)[key];
      Object.assign(jsonSchema, { anyOf: byHook, ...(description ? { description } : {}) });
    },
  });
  // `$id` is not an OpenAPI 3.0 schema keyword: the component's name is its id.
  return Object.fromEntries(Object.entries(schemas).map(([id, { $id: _id, ...schema }]) => [id, schema as Json]));
}

/** What the operational routes answer (not CDS Hooks shapes): written here. */
const OPERATION_SCHEMAS: Record<string, Json> = {
  OperationOutcome: open(
    {
      resourceType: { type: 'string', enum: ['OperationOutcome'] },
      issue: {
        type: 'array',
        items: open({ severity: { type: 'string' }, code: { type: 'string' }, diagnostics: { type: 'string' } }, ['severity', 'code']),
      },
    },
    ['resourceType', 'issue'],
    'Every error answer (4xx, 5xx)',
  ),
  Health: open({ status: { type: 'string', enum: ['ok', 'under-pressure'] }, services: { type: 'integer' }, pressure: { type: 'object', additionalProperties: true } }, ['status']),
  Readiness: open(
    {
      status: { type: 'string', enum: ['ready', 'not-ready'] },
      checks: open({ store: { type: 'string', enum: ['ok', 'failed'] }, shuttingDown: { type: 'boolean' } }),
    },
    ['status', 'checks'],
  ),
};

/** Every component of the document: the wire shapes, then the operational answers. */
export const COMPONENT_SCHEMAS: Record<string, Json> = { ...wireComponents(), ...OPERATION_SCHEMAS };

const CDS_ERRORS = {
  400: outcome('Not valid JSON, not a valid CDS Hooks request, or a malformed resource the service reads'),
  401: outcome('Authentication on and the JWT is missing or not acceptable'),
  404: outcome('Unknown service id'),
  413: outcome('Body or JSON structure too large'),
  415: outcome('Content-Type is not application/json'),
  429: outcome('Rate limit reached (Retry-After)'),
  500: outcome('Unexpected error (x-correlation-id)'),
  503: outcome('Overloaded (Retry-After)'),
};

/** Documentation of each route, by `METHOD url` as Fastify knows it. */
const ROUTE_DOCS: Record<string, Json> = {
  'GET /cds-services': {
    tags: ['CDS Hooks'],
    summary: 'Discovery: the services, their hooks and prefetch templates',
    response: { 200: json('The services', ref('Discovery')), 401: CDS_ERRORS[401], 429: CDS_ERRORS[429] },
  },
  'POST /cds-services/:id': {
    tags: ['CDS Hooks'],
    summary: 'Invoke a service',
    description: 'Answers the cards for the hook call; `{"cards": []}` when there is nothing to say. Cards carry FHIR resources as full objects.',
    body: ref('HookRequest'),
    response: {
      200: json('Cards (possibly none)', ref('CdsResponse')),
      ...CDS_ERRORS,
      403: outcome('fhirServer is not an allowed FHIR server'),
      412: outcome('Required prefetch data missing and could not be fetched'),
    },
  },
  'POST /cds-services/:id/feedback': {
    tags: ['CDS Hooks'],
    summary: 'Feedback on shown cards (accepted / overridden)',
    description: 'Answers 200 with an empty body once committed; repeats are harmless.',
    body: ref('FeedbackRequest'),
    response: { 200: { description: 'Stored (empty body)' }, ...CDS_ERRORS },
  },
  'GET /health': {
    tags: ['Operations'],
    summary: 'Health with overload indicators',
    response: { 200: json('Up', ref('Health')) },
  },
  'GET /health/live': {
    tags: ['Operations'],
    summary: 'Liveness probe: the process is up',
    response: { 200: json('Live', open({ status: { type: 'string', enum: ['live'] } }, ['status'])) },
  },
  'GET /health/ready': {
    tags: ['Operations'],
    summary: 'Readiness probe: the store answers and the service is not shutting down',
    response: { 200: json('Ready', ref('Readiness')), 503: json('Not ready', ref('Readiness')) },
  },
  'GET /metrics': {
    tags: ['Operations'],
    summary: 'Prometheus metrics (text exposition format); unauthenticated: keep on an internal network',
    response: { 200: { description: 'Metrics', content: { 'text/plain': { schema: { type: 'string' } } } } },
  },
  'GET /evidence/cop': {
    tags: ['Evidence'],
    summary: 'The citations and rule titles every card source links to',
    response: { 200: { description: 'HTML page', content: { 'text/html': { schema: { type: 'string' } } } } },
  },
};

/** The package version, from src/ (tsx, tests) or dist/src/ (built). */
function packageVersion(): string {
  for (const relative of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'cop-cds-hooks' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // try the next location
    }
  }
  return '0.0.0';
}

/** Registers @fastify/swagger (before the routes: it records them as they are added) and the UI at /docs. */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  const version = packageVersion();
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'COP CDS Hooks service',
        description: 'CDS Hooks 2.0 decision support for the initial treatment of cryptogenic organizing pneumonia',
        version,
      },
      tags: [
        { name: 'CDS Hooks', description: 'CDS Hooks 2.0 discovery, invocation and feedback' },
        { name: 'Operations', description: 'Probes and metrics' },
        { name: 'Evidence' },
      ],
      components: {
        schemas: COMPONENT_SCHEMAS as never,
        securitySchemes: { cdsClientJwt: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
    },
    transform: ({ schema, url, route }) => {
      const method = Array.isArray(route.method) ? route.method[0] : route.method;
      const doc = ROUTE_DOCS[`${String(method)} ${route.url}`];
      if (!doc) return { schema, url };
      const security = route.url.startsWith('/cds-services') ? { security: [{ cdsClientJwt: [] }] } : {};
      return { schema: { ...(schema ?? {}), ...doc, ...security } as typeof schema, url };
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
}
