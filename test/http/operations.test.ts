/**
 * Operators' endpoints: Prometheus metrics, the OpenAPI description, liveness and readiness.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import supertest from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { probeRoutes } from '../../src/probes.js';
import { openStore } from '../../src/store/index.js';
import type { CdsStore } from '../../src/store/types.js';
import { testConfig } from '../fixtures/config.js';
import { orderSelectRequest, PATIENT_ID } from '../fixtures/requests.js';
import { useApp } from './harness.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const EXAMPLE = JSON.parse(readFileSync(path.join(ROOT, 'examples/order-select-request.json'), 'utf8')) as Record<string, unknown>;
const SELECT = '/cds-services/cop-order-select';

/** The value of one series in the text exposition format (undefined when absent). */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('GET /metrics', () => {
  const { http } = useApp({}, { clock: () => new Date('2026-11-25T12:00:00Z') });

  it('counts calls, latency, cards per rule, feedback per rule and outcome', async () => {
    const res = await http().post(SELECT).send(EXAMPLE).expect(200);
    const r01 = (res.body.cards as { uuid: string; source: { topic?: { code: string } } }[]).find((c) => c.source.topic?.code === 'COP-R01')!;
    expect(r01).toBeDefined();
    await http().post(SELECT).send({ hook: 'order-select' }).expect(400);
    await http().post('/cds-services/no-such-service').send(EXAMPLE).expect(404);

    const feedback = { feedback: [{ card: r01.uuid, outcome: 'overridden', outcomeTimestamp: '2026-11-25T12:01:00Z' }] };
    await http().post(`${SELECT}/feedback`).send(feedback).expect(200);
    await http().post(`${SELECT}/feedback`).send(feedback).expect(200); // a repeat: not counted again
    await http()
      .post(`${SELECT}/feedback`)
      .send({ feedback: [{ card: 'never-shown', outcome: 'accepted', acceptedSuggestions: [{ id: 's' }], outcomeTimestamp: '2026-11-25T12:02:00Z' }] })
      .expect(200);

    const metrics = await http().get('/metrics').expect(200);
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    const text = metrics.text;
    expect(sample(text, 'cds_service_calls_total{service="cop-order-select",status_code="200"}')).toBe(1);
    expect(sample(text, 'cds_service_calls_total{service="cop-order-select",status_code="400"}')).toBe(1);
    expect(text).not.toContain('no-such-service');
    expect(sample(text, 'cds_service_duration_seconds_count{service="cop-order-select"}')).toBe(2);
    expect(sample(text, 'cds_service_duration_seconds_bucket{le="1",service="cop-order-select"}')).toBe(2);
    expect(text).toContain('cds_service_duration_seconds_bucket{le="0.005",service="cop-order-select"}');
    expect(sample(text, 'cds_cards_total{rule="COP-R01",indicator="info"}')).toBe(1);
    expect(sample(text, 'cds_feedback_total{outcome="overridden",rule="COP-R01"}')).toBe(1);
    // A card the store does not know yet may be another replica's, still queued: it waits for its
    // record (up to 30 s, src/cds/feedback-metrics.test.ts) rather than being counted as unknown now.
    expect(sample(text, 'cds_feedback_total{outcome="accepted",rule="unknown"}')).toBeUndefined();
    expect(sample(text, 'cds_fhir_fallback_calls_total')).toBe(0);
    expect(sample(text, 'cds_fhir_fallback_failures_total{reason="timeout"}')).toBe(0);
    // Default Node process metrics.
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    // No patient data in names or labels.
    const context = EXAMPLE.context as { patientId: string };
    expect(text).not.toContain(context.patientId);
  });

  it('is open and never rate limited (like /health)', async () => {
    await http().get('/metrics').expect(200);
  });
});

describe('FHIR fallback metrics', () => {
  it('counts fallback calls and failures by reason class', async () => {
    // A port nothing listens on: a network failure.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const base = `http://127.0.0.1:${port}/fhir`;
    const config = testConfig();
    const app = await buildApp({ ...config, fhir: { ...config.fhir, allowHttp: [base] } });
    await app.ready();
    try {
      const request = orderSelectRequest();
      delete (request.prefetch as Record<string, unknown>).weight;
      await supertest(app.server).post(SELECT).send({ ...request, fhirServer: base }).expect(412);
      const text = (await supertest(app.server).get('/metrics').expect(200)).text;
      expect(sample(text, 'cds_fhir_fallback_calls_total')).toBe(1);
      expect(sample(text, 'cds_fhir_fallback_failures_total{reason="network"}')).toBe(1);
      expect(sample(text, 'cds_service_calls_total{service="cop-order-select",status_code="412"}')).toBe(1);
      expect(text).not.toContain(PATIENT_ID);
    } finally {
      await app.close();
    }
  });
});

describe('METRICS_ENABLED', () => {
  it('defaults to true and can be turned off', () => {
    expect(loadConfig({}).metricsEnabled).toBe(true);
    expect(loadConfig({ METRICS_ENABLED: 'false' }).metricsEnabled).toBe(false);
  });

  it('false: no /metrics route', async () => {
    const app = await buildApp(testConfig({ metricsEnabled: false }));
    await app.ready();
    try {
      await supertest(app.server).get('/metrics').expect(404);
      await supertest(app.server).post(SELECT).send(orderSelectRequest()).expect(200);
    } finally {
      await app.close();
    }
  });
});

describe('OpenAPI at /docs', () => {
  const { http, app } = useApp();

  it('/docs/json is an OpenAPI 3 document naming every route', async () => {
    const doc = (await http().get('/docs/json').expect(200)).body as {
      openapi: string;
      info: { title: string; version: string };
      paths: Record<string, Record<string, { responses: Record<string, unknown>; requestBody?: unknown }>>;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info.version).toMatch(/^\d+\.\d+\.\d+/);
    for (const [p, method] of [
      ['/cds-services', 'get'],
      ['/cds-services/{id}', 'post'],
      ['/cds-services/{id}/feedback', 'post'],
      ['/health', 'get'],
      ['/health/live', 'get'],
      ['/health/ready', 'get'],
      ['/metrics', 'get'],
      ['/evidence/cop', 'get'],
    ] as const) {
      expect(doc.paths[p]?.[method], `${method} ${p}`).toBeDefined();
    }
    const invoke = doc.paths['/cds-services/{id}']!.post!;
    expect(invoke.requestBody).toBeDefined();
    expect(Object.keys(invoke.responses)).toEqual(expect.arrayContaining(['200', '400', '412']));
    for (const name of ['HookRequest', 'CdsResponse', 'Card', 'FeedbackRequest', 'Discovery', 'OperationOutcome', 'Readiness']) {
      expect(doc.components.schemas[name], name).toBeDefined();
    }
    // Every $ref points at a schema that exists.
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(5);
    for (const name of refs) expect(doc.components.schemas[name], name).toBeDefined();
    expect(app().hasRoute({ method: 'GET', url: '/docs' })).toBe(true);
  });

  it('serves Swagger UI at /docs', async () => {
    const res = await http().get('/docs').redirects(2).expect(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
  });
});

describe('documentation never strips data from real answers', () => {
  it('a card keeps its full MedicationRequest and any extension through serialisation', async () => {
    const app = await buildApp(testConfig(), { clock: () => new Date('2026-11-25T12:00:00Z') });
    // Adds what no schema-driven serialiser would keep unless told: extensions on a card and its resource.
    app.addHook('preSerialization', async (request, _reply, payload: unknown) => {
      if (request.url !== SELECT) return payload;
      const body = payload as { cards: { extension?: unknown; suggestions?: { actions: { resource?: Record<string, unknown> }[] }[] }[] };
      for (const card of body.cards) {
        card.extension = { 'org.example.trace': { n: 1 } };
        const resource = card.suggestions?.[0]?.actions[0]?.resource;
        if (resource) resource.extension = [{ url: 'http://example.org/x', valueString: 'kept' }];
      }
      return body;
    });
    await app.ready();
    try {
      const res = await supertest(app.server).post(SELECT).send(EXAMPLE).expect(200);
      const card = (res.body.cards as Record<string, any>[]).find((c) => c.source.topic?.code === 'COP-R01')!;
      expect(card.extension).toEqual({ 'org.example.trace': { n: 1 } });
      const resource = card.suggestions[0].actions[0].resource;
      expect(resource.resourceType).toBe('MedicationRequest');
      expect(resource.extension).toEqual([{ url: 'http://example.org/x', valueString: 'kept' }]);
      expect(resource.dosageInstruction[0].doseAndRate[0].doseQuantity.value).toBe(45);
      expect(resource.medicationCodeableConcept.coding[0].code).toEqual(expect.any(String));
      expect(resource.subject.reference).toMatch(/^Patient\//);
      expect(resource.intent).toBe('order');
    } finally {
      await app.close();
    }
  });

  it('no body schema: a request zod rejects keeps its 400 message', async () => {
    const app = await buildApp(testConfig());
    await app.ready();
    try {
      const res = await supertest(app.server).post(SELECT).send({ hook: 'order-select', hookInstance: 42, context: {} }).expect(400);
      expect(res.body.issue[0].diagnostics).toBe('Invalid CDS Hooks request');
    } finally {
      await app.close();
    }
  });
});

describe('probes', () => {
  const { http } = useApp();

  it('liveness: 200', async () => {
    expect((await http().get('/health/live').expect(200)).body).toEqual({ status: 'live' });
  });

  it('readiness: 200 when the store answers', async () => {
    expect((await http().get('/health/ready').expect(200)).body).toEqual({ status: 'ready', checks: { store: 'ok', shuttingDown: false } });
  });

  it('the old /health is unchanged', async () => {
    expect((await http().get('/health').expect(200)).body).toMatchObject({ status: 'ok', services: 3 });
  });
});

describe('readiness with a failing store', () => {
  it('503 with a JSON body, liveness still 200', async () => {
    const real = await openStore({ sqlitePath: ':memory:' });
    const failing: CdsStore = Object.assign(Object.create(real) as CdsStore, {
      ping: async () => {
        throw new Error('database is down');
      },
      close: () => real.close(),
    });
    const app = await buildApp(testConfig(), { store: failing });
    await app.ready();
    try {
      const res = await supertest(app.server).get('/health/ready').expect(503);
      expect(res.headers['content-type']).toMatch(/application\/json/);
      expect(res.body).toEqual({ status: 'not-ready', checks: { store: 'failed', shuttingDown: false }, reason: 'store: store error' });
      expect(res.text).not.toContain('database is down');
      await supertest(app.server).get('/health/live').expect(200);
    } finally {
      await app.close();
    }
  });

  it('503 while shutting down', async () => {
    const app = Fastify();
    const store = await openStore({ sqlitePath: ':memory:' });
    await app.register(probeRoutes, { store, shuttingDown: () => true });
    try {
      const res = await app.inject({ method: 'GET', url: '/health/ready' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({ status: 'not-ready', checks: { store: 'ok', shuttingDown: true } });
    } finally {
      await app.close();
      await store.close();
    }
  });
});
