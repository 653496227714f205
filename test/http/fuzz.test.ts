/**
 * Hostile input at every endpoint (discovery, each service, each feedback route, unknown paths,
 * CORS preflight, other methods): random JSON, valid requests with random parts replaced, deep
 * nesting, huge strings and arrays, prototype-pollution keys, wrong types, random and wrong
 * content types, bytes that are not UTF-8, empty bodies. Whatever comes in, the answer is never a
 * 5xx, and every answer with a body is JSON (application/json or application/fhir+json) with no
 * stack trace. FUZZ_RUNS scales the runs (default keeps the file at a few seconds).
 */
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { basePrefetch, orderSelectRequest, orderSignRequest, PATIENT_ID } from '../fixtures/requests.js';
import { useApp } from './harness.js';

// A small body limit and small structural limits, so that the fuzz reaches them cheaply.
const { app } = useApp({ bodyLimitBytes: 256 * 1024, maxJsonDepth: 32, maxJsonArrayLength: 500 });

const RUNS = Number(process.env.FUZZ_RUNS ?? 0) || 600;
const SEED = Number(process.env.FUZZ_SEED ?? 20261125);
const SERVICES = ['cop-order-select', 'cop-order-sign', 'cop-patient-view'];

type Json = Record<string, unknown>;
type Method = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'HEAD' | 'OPTIONS';

function patientViewRequest(): Json {
  const prefetch: Json = { ...basePrefetch() };
  delete prefetch.allergies;
  return { hook: 'patient-view', hookInstance: 'c2f3b4d5-0000-4000-8000-000000000001', context: { userId: 'Practitioner/COREPRACTITIONER1', patientId: PATIENT_ID }, prefetch };
}
const feedback = (): Json => ({
  feedback: [{
    card: 'card-1', outcome: 'overridden', outcomeTimestamp: '2026-11-25T10:00:00Z',
    overrideReason: { reason: { code: 'r', system: 'https://example.org' }, userComment: 'x' },
    acceptedSuggestions: [{ id: 's1' }],
  }],
});
/**
 * Medications as real EHRs send them (decision 10): an active order naming `Medication/{id}` with the
 * Medication beside it in the Bundle, and a draft naming a contained product with an ingredient
 * strength, so the mutations reach every Medication element the service reads.
 */
function medicationFormsRequest(): Json {
  const tab = { system: 'http://terminology.hl7.org/CodeSystem/v3-orderableDrugForm', code: 'TAB', unit: 'TAB' };
  const timing = { repeat: { frequency: 1, period: 1, periodUnit: 'd' } };
  const active = {
    resourceType: 'MedicationRequest', id: 'active-ref', status: 'active', intent: 'order', subject: { reference: `Patient/${PATIENT_ID}` },
    medicationReference: { reference: 'Medication/pred5', display: 'prednisone 5 mg tablet' },
    dosageInstruction: [{ text: 'Take 8 tablets daily', timing, doseAndRate: [{ doseQuantity: { value: 8, ...tab } }] }],
  };
  const medication = {
    resourceType: 'Medication', id: 'pred5', code: { coding: [{ system: 'http://snomed.info/sct', code: '373994007' }] }, form: { coding: [tab] },
    ingredient: [{ itemCodeableConcept: { text: 'prednisone' }, strength: { numerator: { value: 5, unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' }, denominator: { value: 1, ...tab } } }],
  };
  const draft = {
    resourceType: 'MedicationRequest', id: 'draft-contained', status: 'draft', intent: 'order', subject: { reference: `Patient/${PATIENT_ID}` },
    contained: [{ ...medication, id: 'c1' }], medicationReference: { reference: '#c1' },
    dosageInstruction: [{ timing, doseAndRate: [{ doseQuantity: { value: 9, ...tab } }] }],
  };
  const body = orderSelectRequest({ drafts: [draft] });
  (body.prefetch as Json).meds = { resourceType: 'Bundle', type: 'searchset', entry: [{ resource: active }, { resource: medication }] };
  return body;
}

const VALID: (() => Json)[] = [() => orderSelectRequest(), () => orderSignRequest(), patientViewRequest, feedback, medicationFormsRequest];

/** Every path to a value inside `v` (objects and arrays), for replacing one at random. */
function paths(v: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...prefix, i], out));
  else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) paths(x, [...prefix, k], out);
  return out;
}

function replaceAt(root: unknown, path: (string | number)[], value: unknown, remove: boolean): unknown {
  if (path.length === 0) return value;
  let node = root as Record<string | number, unknown>;
  for (const step of path.slice(0, -1)) node = node[step] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (remove && !Array.isArray(node)) delete node[last];
  else node[last] = value;
  return root;
}

const weird = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(null, true, false, 0, -0, -1, 1e308, -1e308, 5e-324, 2 ** 53 + 1, '', ' ', 'NaN', 'Infinity', '2026-02-30', '0000-00-00',
    '../../etc/passwd', 'http://169.254.169.254/latest', '<script>alert(1)</script>', '\u0000', '\ud800', 'é'.repeat(1000), [], {}, [[[[]]]],
    { resourceType: 'Bundle' }, { resourceType: 'OperationOutcome', issue: [{ severity: 'fatal' }] }, { resourceType: 42 }),
  fc.string({ maxLength: 50, unit: 'binary' }),
);

/** A valid request of any endpoint with 1–4 parts replaced or removed (wrong types in every field, over the runs). */
const mutated = fc
  .tuple(fc.integer({ min: 0, max: VALID.length - 1 }), fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), weird, fc.boolean()), { minLength: 1, maxLength: 4 }))
  .map(([which, edits]) => {
    let body: unknown = VALID[which]!();
    for (const [at, value, remove] of edits) {
      const all = paths(body);
      body = replaceAt(body, all[Math.floor(at * all.length)]!, value, remove);
    }
    return JSON.stringify(body) ?? '';
  });

const deep = fc.tuple(fc.integer({ min: 20, max: 5000 }), fc.constantFrom('[', '{"a":'), fc.boolean()).map(([n, open, closed]) => {
  const close = open === '[' ? ']' : '}';
  return `${open.repeat(n)}1${closed ? close.repeat(n) : ''}`;
});
const protoKeys = fc.constantFrom('__proto__', 'constructor', 'prototype', '__defineGetter__', 'hasOwnProperty', 'toString', 'valueOf');
const pollution = fc.tuple(fc.integer({ min: 0, max: VALID.length - 1 }), protoKeys, fc.constantFrom('{"polluted":true}', '{"prototype":{"polluted":true}}', '"x"', 'null', '[1]')).map(
  ([which, key, value]) => {
    const text = JSON.stringify(VALID[which]!());
    // Injected as raw text: JSON.stringify would drop a __proto__ key.
    const at = text.indexOf('{', 1);
    return at > 0 && Math.random() < 0.5 ? `${text.slice(0, at + 1)}"${key}":${value},${text.slice(at + 1)}` : `{"${key}":${value},${text.slice(1)}`;
  },
);
const huge = fc.tuple(fc.integer({ min: 1, max: 400 }), fc.constantFrom('string', 'array', 'keys')).map(([kb, kind]) => {
  const base = orderSelectRequest();
  if (kind === 'string') return JSON.stringify({ ...base, hookInstance: 'x'.repeat(kb * 1024) });
  if (kind === 'array') return JSON.stringify({ ...base, prefetch: { ...(base.prefetch as Json), weight: { resourceType: 'Bundle', type: 'searchset', entry: Array.from({ length: kb * 10 }, () => ({})) } } });
  return JSON.stringify({ ...base, context: { ...(base.context as Json), ...Object.fromEntries(Array.from({ length: kb * 20 }, (_, i) => [`k${i}`, i])) } });
});

const jsonText = fc.oneof(
  { arbitrary: fc.jsonValue({ maxDepth: 5 }).map((v) => JSON.stringify(v) ?? ''), weight: 3 },
  { arbitrary: mutated, weight: 6 },
  { arbitrary: deep, weight: 1 },
  { arbitrary: pollution, weight: 2 },
  { arbitrary: huge, weight: 1 },
  { arbitrary: fc.string({ maxLength: 200 }), weight: 1 },
  { arbitrary: fc.constantFrom('', ' ', 'null', '[]', '{}', '""', '{"hook":', '{"a":1}}', '\ufeff{}', '{"a":1,"a":2}', '1e999', '-', 'nul'), weight: 1 },
);

/** Bytes: the JSON texts, and also random bytes and invalid UTF-8 sequences. */
const payload = fc.oneof(
  { arbitrary: jsonText.map((t) => Buffer.from(t, 'utf8')), weight: 8 },
  { arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)), weight: 1 },
  { arbitrary: fc.constantFrom(Buffer.from([0xc3, 0x28]), Buffer.from([0xff, 0xfe, 0x7b, 0x7d]), Buffer.from('{"hook":"\xed\xa0\x80"}', 'latin1'), Buffer.from([0x7b, 0x22, 0x80, 0x22, 0x3a, 0x31, 0x7d]), Buffer.alloc(0)), weight: 1 },
);

const JSONISH_TYPES = ['application/json', 'application/json; charset=utf-8', 'application/json;charset=UTF-8', 'APPLICATION/JSON'];
const contentType = fc.oneof(
  { arbitrary: fc.constantFrom(...JSONISH_TYPES), weight: 6 },
  {
    arbitrary: fc.constantFrom(undefined, '', 'text/plain', 'application/fhir+json', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x',
      'application/jsonx', 'application/json-patch+json', 'application/json; charset=latin1', 'application/json; charset=utf-16', 'text/json', '*/*', 'json', ';', 'application/'),
    weight: 3,
  },
  { arbitrary: fc.string({ maxLength: 40, unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) }), weight: 1 },
);

const endpoint: fc.Arbitrary<{ method: Method; url: string }> = fc.oneof(
  { arbitrary: fc.constantFrom(...SERVICES).map((s) => ({ method: 'POST' as const, url: `/cds-services/${s}` })), weight: 6 },
  { arbitrary: fc.constantFrom(...SERVICES).map((s) => ({ method: 'POST' as const, url: `/cds-services/${s}/feedback` })), weight: 3 },
  { arbitrary: fc.constantFrom({ method: 'GET' as const, url: '/cds-services' }, { method: 'POST' as const, url: '/cds-services' }, { method: 'GET' as const, url: '/health' }), weight: 1 },
  {
    arbitrary: fc.tuple(fc.constantFrom<Method>('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'), fc.oneof(
      fc.constantFrom('/', '/cds-services/', '/cds-services/nope', '/cds-services/cop-order-select/feedback/x', '/cds-services/%00', '/cds-services/%E0%A4%A',
        '/cds-services/..%2f..%2fetc', '/cds-services/cop-order-select?x=%ZZ', `/cds-services/${'a'.repeat(5000)}`, '/health/', '//cds-services', '/cds-services/__proto__',
        '/cds-services/constructor/feedback', '/cds-services/cop-order-select/../cop-order-sign'),
      fc.webPath(),
    )).map(([method, url]) => ({ method, url: url.startsWith('/') ? url : `/${url}` })),
    weight: 2,
  },
);

const headers = fc.record({
  origin: fc.option(fc.constantFrom('https://sandbox.cds-hooks.org', 'null', 'http://evil.example')),
  acrm: fc.option(fc.constantFrom('POST', 'GET', 'DELETE', 'X')),
  authorization: fc.option(fc.constantFrom('Bearer x', 'Bearer', 'Basic Zm9vOmJhcg==', 'Bearer ' + 'a'.repeat(10_000))),
  accept: fc.option(fc.constantFrom('application/json', 'text/html', '*/*', 'application/xml')),
});

function expectWellBehaved(res: LightMyRequestResponse, what: string) {
  if (res.statusCode >= 500) throw new Error(`${what}: HTTP ${res.statusCode}: ${res.body.slice(0, 300)}`);
  if (res.statusCode === 204 || res.statusCode === 304 || res.body.length === 0) {
    // Only a preflight, HEAD, or feedback's empty 200 may come without a body.
    if (!(res.statusCode === 204 || what.startsWith('HEAD') || /\/feedback /.test(what))) throw new Error(`${what}: empty ${res.statusCode}`);
    return;
  }
  const type = String(res.headers['content-type'] ?? '');
  if (!/^application\/(fhir\+)?json\b/.test(type)) throw new Error(`${what}: HTTP ${res.statusCode} with content-type "${type}": ${res.body.slice(0, 200)}`);
  JSON.parse(res.body);
  if (/\bat .*\.(ts|js):\d+|node_modules|FST_ERR|Error:/.test(res.body)) throw new Error(`${what}: internals in body: ${res.body.slice(0, 300)}`);
}

describe('fuzz: hostile requests at every endpoint', () => {
  it('never answers 5xx, always answers JSON', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(endpoint, payload, contentType, headers, async (ep, body, type, h) => {
        const sendsBody = ep.method !== 'GET' && ep.method !== 'HEAD' && ep.method !== 'OPTIONS';
        const res = await app().inject({
          method: ep.method,
          url: ep.url,
          headers: {
            ...(type !== undefined && sendsBody ? { 'content-type': type } : {}),
            ...(h.origin ? { origin: h.origin } : {}),
            ...(h.acrm ? { 'access-control-request-method': h.acrm } : {}),
            ...(h.authorization ? { authorization: h.authorization } : {}),
            ...(h.accept ? { accept: h.accept } : {}),
          },
          ...(sendsBody ? { payload: body } : {}),
        });
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        expectWellBehaved(res, `${ep.method} ${ep.url.slice(0, 80)} [${type}]`);
      }),
      { numRuns: RUNS * 5, seed: SEED },
    );
    console.info('fuzz status distribution', Object.fromEntries(statuses));
    // Worth something only if requests get past parsing to validation and to the rules.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(RUNS / 20);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(RUNS / 10);
  });

  it('refuses prototype-pollution keys without polluting anything', async () => {
    for (const key of ['__proto__', 'constructor']) {
      const text = `{"${key}":{"polluted":true,"prototype":{"polluted":true}},${JSON.stringify(orderSelectRequest()).slice(1)}`;
      const res = await app().inject({ method: 'POST', url: '/cds-services/cop-order-select', headers: { 'content-type': 'application/json' }, payload: text });
      expect(res.statusCode).toBe(400);
      expectWellBehaved(res, key);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('answers 413 with JSON for a body over BODY_LIMIT_BYTES, too deep or with too long an array', async () => {
    const big = JSON.stringify({ ...orderSelectRequest(), hookInstance: 'x'.repeat(300 * 1024) });
    const deepText = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    const wide = JSON.stringify({ ...orderSelectRequest(), extra: Array.from({ length: 501 }, () => 0) });
    for (const payload of [big, deepText, wide]) {
      const res = await app().inject({ method: 'POST', url: '/cds-services/cop-order-select', headers: { 'content-type': 'application/json' }, payload });
      expect(res.statusCode).toBe(413);
      expectWellBehaved(res, 'limits');
    }
  });
});
