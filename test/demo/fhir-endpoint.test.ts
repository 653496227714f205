/**
 * The embedded demo FHIR endpoint answers what the CDS Hooks Sandbox asks of a FHIR server:
 * metadata, the Patient list without a 401, Patient/{id},
 * Condition?patient=, the service's prefetch queries (GET and POST _search with a form body);
 * read-only, CORS `*`, open and unthrottled; and it does not exist under NODE_ENV=production.
 */
import type { FastifyInstance } from 'fastify';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import copOrderSelect from '../../hooks/cop-order-select.js';
import { buildApp } from '../../src/app.js';
import { DEFAULT_AUTH_SETTINGS } from '../../src/auth/settings.js';
import { fillTemplate } from '../../src/cds/prefetch.js';
import { loadConfig } from '../../src/config.js';
import { DEMO_FHIR_TYPES } from '../../src/demo/fhir-endpoint.js';
import { DEMO_PATIENTS } from '../../src/demo/patients.js';
import { makeKey } from '../auth/tokens.js';
import { testConfig } from '../fixtures/config.js';

type Json = Record<string, any>;

const FHIR = '/demo/fhir';
const PID = 'cop-demo-on-steroids';
const SANDBOX = 'https://sandbox.cds-hooks.org';
const NOW = new Date('2026-03-02T10:00:00Z');

let app: FastifyInstance;
const http = () => supertest(app.server);

beforeAll(async () => {
  const key = await makeKey('ES384', 'demo-1');
  // Production-like otherwise: authentication on, CORS limited to one origin, a tight rate limit.
  const config = testConfig({
    demoFhir: true,
    publicBaseUrl: 'http://localhost:8080',
    corsOrigins: ['https://ehr.example.org'],
    rateLimit: { max: 3, windowMs: 60_000 },
    auth: {
      ...DEFAULT_AUTH_SETTINGS,
      enabled: true,
      explicit: true,
      trustedClients: [{ iss: 'https://ehr.example.org', jwks: { keys: [key.publicJwk] }, jkuAllowlist: [] }],
    },
  });
  app = await buildApp(config, { clock: () => NOW });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
});

const entries = (bundle: Json): Json[] => (bundle.entry ?? []).map((e: Json) => e.resource);
const context = { userId: 'Practitioner/COREPRACTITIONER1', patientId: PID };

describe('what the CDS Hooks Sandbox asks', () => {
  it('GET /metadata: a CapabilityStatement for FHIR 4.0.1 listing every type served', async () => {
    const res = await http().get(`${FHIR}/metadata`).expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/fhir\+json/);
    expect(res.body.resourceType).toBe('CapabilityStatement');
    expect(res.body.fhirVersion).toBe('4.0.1');
    const types = res.body.rest[0].resource.map((r: Json) => r.type);
    expect(types).toEqual(DEMO_FHIR_TYPES);
    const observation = res.body.rest[0].resource.find((r: Json) => r.type === 'Observation');
    expect(observation.searchParam.map((p: Json) => p.name)).toEqual(expect.arrayContaining(['patient', 'code', 'status', '_id']));
  });

  it('GET /Patient lists every demo patient without a token (authentication is on for the CDS routes)', async () => {
    await http().get('/cds-services').expect(401);
    const res = await http().get(`${FHIR}/Patient`).expect(200);
    expect(res.body).toMatchObject({ resourceType: 'Bundle', type: 'searchset', total: DEMO_PATIENTS.length });
    expect(entries(res.body).map((p) => p.id)).toEqual(DEMO_PATIENTS.map((p) => p.id));
    expect(res.body.link).toEqual([{ relation: 'self', url: 'http://localhost:8080/demo/fhir/Patient' }]);
    expect(res.body.entry[0].fullUrl).toBe(`http://localhost:8080/demo/fhir/Patient/${DEMO_PATIENTS[0]!.id}`);
  });

  it('GET /Patient/{id} reads one patient, aged as of the clock', async () => {
    const res = await http().get(`${FHIR}/Patient/cop-demo-teen`).expect(200);
    expect(res.body).toMatchObject({ resourceType: 'Patient', id: 'cop-demo-teen' });
    const [y, m, d] = (res.body.birthDate as string).split('-').map(Number) as [number, number, number];
    const age = NOW.getUTCFullYear() - y - (NOW.getUTCMonth() + 1 < m || (NOW.getUTCMonth() + 1 === m && NOW.getUTCDate() < d) ? 1 : 0);
    expect(age).toBe(16);
  });

  it('GET /Condition?patient={id}: that patient only (bare id or Patient/id)', async () => {
    const res = await http().get(`${FHIR}/Condition`).query({ patient: PID }).expect(200);
    expect(res.body.total).toBe(2);
    for (const c of entries(res.body)) expect(c.subject.reference).toBe(`Patient/${PID}`);
    const byRef = await http().get(`${FHIR}/Condition`).query({ subject: `Patient/${PID}` }).expect(200);
    expect(byRef.body.total).toBe(2);
  });

  it("answers the service's own prefetch queries (code list, _sort=-date, _count)", async () => {
    const pft = fillTemplate(copOrderSelect.prefetch.pft!.template, context)!;
    const res = await http().get(`${FHIR}/${pft}`).expect(200);
    const dates = entries(res.body).map((o) => o.effectiveDateTime as string);
    expect(dates.length).toBe(4);
    expect([...dates].sort().reverse()).toEqual(dates); // newest first
    for (const o of entries(res.body)) expect(['19872-1', '20152-5']).toContain(o.code.coding[0].code);

    const weight = fillTemplate(copOrderSelect.prefetch.weight!.template, context)!.replace('_count=3', '_count=1');
    const one = await http().get(`${FHIR}/${weight}`).expect(200);
    expect(one.body.total).toBe(1);
    expect(entries(one.body)).toHaveLength(1);

    const meds = await http().get(`${FHIR}/${fillTemplate(copOrderSelect.prefetch.meds!.template, context)!}`).expect(200);
    expect(entries(meds.body).map((m) => m.medicationCodeableConcept.coding[0].code).sort()).toEqual(['312615', '860975']);
    const stopped = await http().get(`${FHIR}/MedicationRequest`).query({ patient: PID, status: 'stopped' }).expect(200);
    expect(stopped.body.total).toBe(0);
  });

  it('POST /{Type}/_search with a form body answers like the GET', async () => {
    const get = await http().get(`${FHIR}/Observation`).query({ patient: PID, code: 'http://loinc.org|85354-9', _sort: '-date', _count: '3' }).expect(200);
    const post = await http()
      .post(`${FHIR}/Observation/_search`)
      .type('form')
      .send({ patient: PID, code: 'http://loinc.org|85354-9', _sort: '-date', _count: '3' })
      .expect(200);
    expect(post.headers['content-type']).toMatch(/^application\/fhir\+json/);
    expect(entries(post.body)).toEqual(entries(get.body));
    expect(post.body.total).toBe(1);
  });

  it('ignores unknown parameters', async () => {
    const res = await http().get(`${FHIR}/Condition`).query({ patient: PID, _elements: 'code', 'made-up': 'x' }).expect(200);
    expect(res.body.total).toBe(2);
  });
});

describe('errors and read-only', () => {
  it('404 OperationOutcome for an unknown id and for a type not served', async () => {
    const res = await http().get(`${FHIR}/Patient/nobody`).expect(404);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.headers['content-type']).toMatch(/^application\/fhir\+json/);
    await http().get(`${FHIR}/Practitioner/COREPRACTITIONER1`).expect(404);
    const notServed = await http().get(`${FHIR}/Practitioner`).expect(404);
    // The SMART launcher asks for Practitioner: its error code must say "not found", not a media type.
    for (const body of [res.body, notServed.body]) expect(body.issue[0].details.coding[0].code).toBe('COP_ERR_NOT_FOUND');
  });

  it('405 OperationOutcome for anything that would write', async () => {
    const res = await http().post(`${FHIR}/Patient`).send({ resourceType: 'Patient' }).expect(405);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].details.coding[0].code).toBe('COP_ERR_READ_ONLY');
    await http().put(`${FHIR}/Patient/${PID}`).send({ resourceType: 'Patient', id: PID }).expect(405);
    await http().delete(`${FHIR}/Patient/${PID}`).expect(405);
    await http().post(FHIR).send({ resourceType: 'Bundle', type: 'transaction' }).expect(405);
  });
});

describe('open to a browser on another origin', () => {
  it('CORS * on answers and preflights, even when CORS_ORIGINS lists other origins', async () => {
    const res = await http().get(`${FHIR}/Patient/${PID}`).set('origin', SANDBOX).expect(200);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin');
    const pre = await http()
      .options(`${FHIR}/Observation/_search`)
      .set('origin', SANDBOX)
      .set('access-control-request-method', 'POST')
      .set('access-control-request-headers', 'content-type')
      .expect(204);
    expect(pre.headers['access-control-allow-origin']).toBe('*');
    expect(pre.headers['access-control-allow-methods']).toMatch(/POST/);
    expect(pre.headers['access-control-allow-headers']?.toLowerCase()).toMatch(/content-type/);
    // The CDS routes keep the configured origins.
    const cds = await http().get('/cds-services').set('origin', SANDBOX);
    expect(cds.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('is not rate limited (RATE_LIMIT_MAX is 3 here)', async () => {
    for (let i = 0; i < 8; i += 1) await http().get(`${FHIR}/metadata`).expect(200);
    // …while the rest of the service is.
    const statuses: number[] = [];
    for (let i = 0; i < 5; i += 1) statuses.push((await http().get('/evidence/cop')).status);
    expect(statuses).toContain(429);
  });
});

describe('off in production', () => {
  it('DEMO_FHIR: on by default, off with DEMO_FHIR=off, always off under NODE_ENV=production', () => {
    expect(loadConfig({}).demoFhir).toBe(true);
    expect(loadConfig({ DEMO_FHIR: 'off' }).demoFhir).toBe(false);
    expect(loadConfig({ NODE_ENV: 'production', CDS_AUTH: 'off' }).demoFhir).toBe(false);
    expect(loadConfig({ NODE_ENV: 'production', CDS_AUTH: 'off', DEMO_FHIR: 'on' }).demoFhir).toBe(false);
    expect(() => loadConfig({ DEMO_FHIR: 'yes' })).toThrow(/DEMO_FHIR/);
  });

  it('is not registered when off', async () => {
    const off = await buildApp(testConfig({ ...loadConfig({ NODE_ENV: 'production', CDS_AUTH: 'off' }), logLevel: 'silent', store: { sqlitePath: ':memory:' } }));
    try {
      for (const path of [`${FHIR}/metadata`, `${FHIR}/Patient`, `${FHIR}/Patient/${PID}`]) {
        const res = await off.inject({ method: 'GET', url: path });
        expect(res.statusCode, path).toBe(404);
        expect(res.json().issue[0].diagnostics).toMatch(/^No route GET/);
      }
    } finally {
      await off.close();
    }
  });
});
