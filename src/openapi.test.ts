/**
 * The OpenAPI document's CDS Hooks shapes are generated from the zod schemas of src/cds/wire.ts:
 * a valid request, response, feedback post and discovery document validate against it (with
 * ajv), known-invalid ones do not, and openapi.ts holds no hand-written copy of a wire shape.
 */
import { Ajv } from 'ajv';
import Fastify, { type FastifyInstance } from 'fastify';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { requestRefusals } from './cds/request-checks.js';
import { feedbackSchema, wireSchemas } from './cds/wire.js';
import { registerOpenApi, wireComponents } from './openapi.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const example = (name: string): Json => JSON.parse(readFileSync(new URL(`../examples/${name}`, import.meta.url), 'utf8')) as Json;

interface Doc {
  paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: Json }> }; responses: Record<string, Json> }>>;
  components: { schemas: Record<string, Json> };
}

/** The operational answers, written in openapi.ts: everything else is generated. */
const OPERATION_COMPONENTS = ['OperationOutcome', 'Health', 'Readiness'];

let app: FastifyInstance;
let doc: Doc;
let validator: (name: string) => (value: unknown) => boolean;

beforeAll(async () => {
  app = Fastify();
  await registerOpenApi(app);
  const ok = async () => ({});
  app.get('/cds-services', ok);
  app.post('/cds-services/:id', ok);
  app.post('/cds-services/:id/feedback', ok);
  await app.ready();
  doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as Doc;

  // OpenAPI 3.0 schemas are JSON Schema with a few keywords of their own: strict mode off.
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addFormat('uri', (s: string) => URL.canParse(s));
  ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)));
  ajv.addSchema({ $id: 'openapi.json', components: doc.components }, 'openapi.json');
  validator = (name) => {
    const validate = ajv.getSchema(`openapi.json#/components/schemas/${name}`);
    if (!validate) throw new Error(`no component ${name}`);
    return (value) => validate(value) as boolean;
  };
});
afterAll(() => app.close());

describe('components generated from src/cds/wire.ts', () => {
  it('one per wire schema, as z.toJSONSchema gives it, beside the operational answers only', () => {
    const generated = z.toJSONSchema(wireSchemas, { target: 'openapi-3.0', io: 'input', uri: (id) => `#/components/schemas/${id}` }).schemas;
    const wireIds = Object.keys(generated);
    expect(wireIds).toEqual(expect.arrayContaining(['HookRequest', 'FhirAuthorization', 'CdsResponse', 'Card', 'Suggestion', 'Action', 'Link', 'Coding', 'Discovery', 'FeedbackRequest']));
    expect(Object.keys(doc.components.schemas).sort()).toEqual([...wireIds, ...OPERATION_COMPONENTS].sort());
    for (const id of wireIds) {
      const { $id: _id, ...schema } = JSON.parse(JSON.stringify(generated[id])) as Json;
      const served = doc.components.schemas[id]!;
      if (id === 'HookRequest') {
        // The context is offered as the hooks' contexts (the service checks it per hook).
        expect(served.properties.context).toEqual({
          anyOf: ['PatientViewContext', 'OrderSelectContext', 'OrderSignContext'].map((c) => ({ $ref: `#/components/schemas/${c}` })),
          description: schema.properties.context.description,
        });
        schema.properties.context = served.properties.context;
      }
      expect(served, id).toEqual(schema);
    }
    expect(JSON.stringify(doc)).not.toContain('"$id"');
  });

  it('the operations name them', () => {
    const invoke = doc.paths['/cds-services/{id}']!.post!;
    expect(invoke.requestBody!.content['application/json']!.schema).toEqual({ $ref: '#/components/schemas/HookRequest' });
    expect(invoke.responses['200']!.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/CdsResponse' });
    expect(doc.paths['/cds-services/{id}/feedback']!.post!.requestBody!.content['application/json']!.schema).toEqual({ $ref: '#/components/schemas/FeedbackRequest' });
    expect(doc.paths['/cds-services']!.get!.responses['200']!.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Discovery' });
  });

  it('openapi.ts names no field of a wire shape (no hand-written copy)', () => {
    const source = readFileSync(new URL('./openapi.ts', import.meta.url), 'utf8');
    const fields = new Set<string>();
    const collect = (schema: unknown): void => {
      if (Array.isArray(schema)) schema.forEach(collect);
      else if (schema && typeof schema === 'object') {
        for (const [key, value] of Object.entries(schema)) {
          if (key === 'properties') Object.keys(value as Json).forEach((f) => fields.add(f));
          collect(value);
        }
      }
    };
    collect(wireComponents());
    // Words the OpenAPI document itself uses (operation and schema keywords, the probes' fields).
    const openApiWords = new Set(['description', 'summary', 'title', 'type', 'code', 'resourceType', 'services', 'id']);
    // A field written as an object key (`hookInstance: {…}`), as a hand-written schema would.
    const named = [...fields].filter((f) => !openApiWords.has(f) && new RegExp(`(?:^|[{,])\\s*${f}\\s*:`, 'm').test(source));
    expect(fields.size).toBeGreaterThan(40);
    expect(named).toEqual([]);
  });
});

describe('a valid message validates against the document, a known-invalid one does not', () => {
  const feedback = { feedback: [{ card: 'c669daef-180f-4c80-8ab7-f136d6ca67dc', outcome: 'overridden', overrideReason: { reason: { system: 'https://cop-cds.example.org/reasons', code: 'specialist-plan' } }, outcomeTimestamp: '2026-11-25T10:00:00Z' }] };
  const discovery = { services: [{ hook: 'order-select', id: 'cop-order-select', title: 'COP', description: 'd', prefetch: { patient: 'Patient/{{context.patientId}}' } }] };

  it('requests', () => {
    const valid = validator('HookRequest');
    for (const name of ['order-select-request.json', 'order-sign-request.json', 'patient-view-request.json']) {
      const request = example(name);
      expect(valid(request), name).toBe(true);
      expect(requestRefusals(request), name).toEqual([]);
    }
    const request = example('order-select-request.json');
    const invalid: [string, Json][] = [
      ['no hookInstance', { ...request, hookInstance: undefined }],
      ['hookInstance of 257 characters', { ...request, hookInstance: 'x'.repeat(257) }],
      ['an empty hook', { ...request, hook: '' }],
      ['fhirServer not a URL', { ...request, fhirServer: 'not a url' }],
      ['fhirAuthorization without a token', { ...request, fhirServer: 'https://ehr.example.org/fhir', fhirAuthorization: { token_type: 'Bearer', expires_in: 300, scope: 's', subject: 'x' } }],
      ['a context without patientId', { ...request, context: { userId: 'Practitioner/1' } }],
      ['a patientId that is a reference', { ...request, context: { ...request.context, patientId: 'Patient/1' } }],
      ['prefetch not an object', { ...request, prefetch: 'x' }],
    ];
    for (const [what, body] of invalid) {
      const sent = JSON.parse(JSON.stringify(body)) as Json;
      expect(valid(sent), what).toBe(false);
      // …and the service refuses it too.
      expect(requestRefusals(sent).length, what).toBeGreaterThan(0);
    }
  });

  it('responses: cards and discovery', () => {
    const response = example('order-select-response.json');
    expect(validator('CdsResponse')(response)).toBe(true);
    expect(validator('CdsResponse')({ cards: [] })).toBe(true);
    const card = response.cards[0];
    expect(validator('CdsResponse')({ cards: [{ ...card, indicator: 'hard-stop' }] })).toBe(false);
    expect(validator('CdsResponse')({ cards: [{ ...card, source: undefined }] })).toBe(false);
    expect(validator('CdsResponse')({ cards: [{ ...card, summary: 'x'.repeat(140) }] })).toBe(false);
    expect(validator('CdsResponse')({})).toBe(false);
    expect(validator('Discovery')(discovery)).toBe(true);
    expect(validator('Discovery')({ services: [{ ...discovery.services[0], id: undefined }].map((s) => JSON.parse(JSON.stringify(s))) })).toBe(false);
  });

  it('feedback', () => {
    expect(validator('FeedbackRequest')(feedback)).toBe(true);
    expect(feedbackSchema.safeParse(feedback).success).toBe(true);
    for (const body of [{ feedback: [] }, { feedback: [{ ...feedback.feedback[0], outcome: 'maybe' }] }, { feedback: [{ ...feedback.feedback[0], outcomeTimestamp: 'yesterday' }] }]) {
      expect(validator('FeedbackRequest')(body)).toBe(false);
      expect(feedbackSchema.safeParse(body).success).toBe(false);
    }
  });
});
