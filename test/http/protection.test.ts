/**
 * The service's self-protection: security headers (@fastify/helmet), overload shedding
 * (@fastify/under-pressure: 503 + Retry-After), a per-client rate limit (@fastify/rate-limit: 429 +
 * Retry-After), and real faults answered 500 with a correlation id and nothing internal.
 */
import { Writable } from 'node:stream';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp, type AppOverrides } from '../../src/app.js';
import type { AppConfig } from '../../src/config.js';
import { testConfig } from '../fixtures/config.js';
import { NOW } from '../fixtures/facts.js';
import { orderSelectRequest } from '../fixtures/requests.js';

const SELECT = '/cds-services/cop-order-select';
const apps: FastifyInstance[] = [];

async function start(config: Partial<AppConfig> = {}, overrides: AppOverrides = {}, beforeReady?: (app: FastifyInstance) => void) {
  const app = await buildApp(testConfig(config), { clock: () => NOW, ...overrides });
  beforeReady?.(app);
  await app.ready();
  apps.push(app);
  return app;
}
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

const post = (app: FastifyInstance, url: string, body: unknown, extra: { remoteAddress?: string; headers?: Record<string, string> } = {}) =>
  app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json', ...extra.headers }, payload: JSON.stringify(body), ...(extra.remoteAddress ? { remoteAddress: extra.remoteAddress } : {}) });

function expectOutcome(res: LightMyRequestResponse, status: number, code: string) {
  expect(res.statusCode).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = res.json() as { resourceType: string; issue: { code: string; diagnostics: string }[] };
  expect(body.resourceType).toBe('OperationOutcome');
  expect(body.issue[0]!.code).toBe(code);
  expect(res.body).not.toMatch(/\bat .*\.(ts|js):\d+/);
  return body;
}

describe('security headers (@fastify/helmet)', () => {
  it('sends them on JSON answers, errors and the evidence page; no HSTS unless configured', async () => {
    const app = await start();
    const responses = [
      await app.inject({ method: 'GET', url: '/cds-services' }),
      await app.inject({ method: 'GET', url: '/nowhere' }),
      await post(app, SELECT, { hook: 1 }),
      await app.inject({ method: 'GET', url: '/evidence/cop' }),
    ];
    expect(responses.map((r) => r.statusCode)).toEqual([200, 404, 400, 200]);
    for (const res of responses) {
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-security-policy']).toMatch(/default-src 'none'/);
      expect(res.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['x-powered-by']).toBeUndefined();
      expect(res.headers['strict-transport-security']).toBeUndefined();
    }
    // The evidence page needs nothing the CSP forbids: no script, style, image or form.
    expect(responses[3]!.body).not.toMatch(/<(script|style|img|form|iframe)\b|style=/i);
  });

  it('sends HSTS when HSTS_MAX_AGE_SECONDS is set', async () => {
    const app = await start({ hstsMaxAgeSeconds: 31_536_000 });
    const res = await app.inject({ method: 'GET', url: '/cds-services' });
    expect(res.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
  });
});

describe('overload (@fastify/under-pressure)', () => {
  it('answers 503 with Retry-After and an OperationOutcome while under pressure; /health reports it', async () => {
    let healthy = false;
    const app = await start({ pressure: { ...testConfig().pressure, retryAfterSeconds: 7 } }, { pressureCheck: async () => healthy });
    for (const res of [await post(app, SELECT, orderSelectRequest()), await app.inject({ method: 'GET', url: '/cds-services' }), await post(app, `${SELECT}/feedback`, {})]) {
      expectOutcome(res, 503, 'transient');
      expect(res.headers['retry-after']).toBe('7');
    }
    const health = await app.inject({ method: 'GET', url: '/health' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toMatchObject({ status: 'under-pressure', pressure: { underPressure: true } });

    healthy = true;
    const deadline = Date.now() + 3000;
    while (app.isUnderPressure() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect((await post(app, SELECT, orderSelectRequest())).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/health' })).json()).toMatchObject({ status: 'ok' });
  });

  it('sheds load on a configured threshold (heap used above 1 byte: always, once sampled)', async () => {
    const app = await start({ pressure: { ...testConfig().pressure, maxHeapUsedBytes: 1 } });
    const deadline = Date.now() + 5000;
    while (!app.isUnderPressure() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expectOutcome(await post(app, SELECT, orderSelectRequest()), 503, 'transient');
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
  });
});

describe('rate limit (@fastify/rate-limit)', () => {
  const limited = { rateLimit: { max: 3, windowMs: 60_000 } };

  it('answers 429 with Retry-After and an OperationOutcome past RATE_LIMIT_MAX, per client address', async () => {
    const app = await start(limited);
    const a = { remoteAddress: '10.0.0.1' };
    for (let i = 0; i < 3; i++) expect((await app.inject({ method: 'GET', url: '/cds-services', ...a })).statusCode).toBe(200);
    const res = await app.inject({ method: 'GET', url: '/cds-services', ...a });
    expectOutcome(res, 429, 'throttled');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expectOutcome(await post(app, SELECT, orderSelectRequest(), a), 429, 'throttled');
    // Another client is not affected; health checks and CORS preflights are never limited.
    expect((await app.inject({ method: 'GET', url: '/cds-services', remoteAddress: '10.0.0.2' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/health', ...a })).statusCode).toBe(200);
    const preflight = await app.inject({
      method: 'OPTIONS', url: SELECT, ...a,
      headers: { origin: 'https://sandbox.cds-hooks.org', 'access-control-request-method': 'POST' },
    });
    expect(preflight.statusCode).toBe(204);
  });

  it('keys on the authenticated client (JWT iss) when there is one, whatever its address', async () => {
    // Stands in for the authentication hook, which sets request.cdsClient before the rate limit runs.
    const app = await start(limited, {}, (instance) => {
      instance.addHook('onRequest', async (request) => {
        const iss = request.headers['x-test-iss'];
        if (typeof iss === 'string') request.cdsClient = { iss, jti: 'j' };
      });
    });
    const as = (iss: string, remoteAddress: string) => app.inject({ method: 'GET', url: '/cds-services', remoteAddress, headers: { 'x-test-iss': iss } });
    expect((await as('https://ehr-a', '10.0.0.1')).statusCode).toBe(200);
    expect((await as('https://ehr-a', '10.0.0.2')).statusCode).toBe(200);
    expect((await as('https://ehr-a', '10.0.0.3')).statusCode).toBe(200);
    expect((await as('https://ehr-a', '10.0.0.4')).statusCode).toBe(429);
    expect((await as('https://ehr-b', '10.0.0.1')).statusCode).toBe(200);
  });
});

describe('real faults: 500 with a correlation id, nothing internal', () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const internal = 'SECRET-internal-detail /srv/app/src/x.ts:12';

  it('carries the hookInstance as correlation id in the body, a header and the log line', async () => {
    const app = await start(
      { logLevel: 'info', fhir: { ...testConfig().fhir, allowlist: ['https://ehr.example/fhir'] } },
      { logStream: sink, fhirFallback: async () => { throw new TypeError(internal); } },
    );
    const request = orderSelectRequest();
    delete (request.prefetch as Record<string, unknown>).weight;
    lines.length = 0;
    const res = await post(app, SELECT, { ...request, fhirServer: 'https://ehr.example/fhir' });
    const body = expectOutcome(res, 500, 'exception');
    const hookInstance = request.hookInstance as string;
    expect(body.issue.map((i) => i.diagnostics)).toContain(`correlation id: ${hookInstance}`);
    expect(res.headers['x-correlation-id']).toBe(hookInstance);
    expect(res.body).not.toContain('SECRET');
    expect(res.body).not.toContain('TypeError');
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'unexpected error');
    expect(logged).toMatchObject({ correlationId: hookInstance, level: 50 });
  });

  it('uses the request id when there is no hookInstance (a store that fails on feedback: 503, retry later)', async () => {
    const { openStore } = await import('../../src/store/index.js');
    const real = await openStore({ sqlitePath: ':memory:' });
    const store = Object.assign(Object.create(real) as typeof real, {
      recordFeedback: async () => { throw new Error(internal); },
      close: () => real.close(),
    });
    const app = await start({ logLevel: 'info' }, { logStream: sink, store });
    lines.length = 0;
    const res = await post(app, `${SELECT}/feedback`, { feedback: [{ card: 'c1', outcome: 'accepted', outcomeTimestamp: '2026-11-25T10:00:00Z', acceptedSuggestions: [{ id: 's1' }] }] });
    expectOutcome(res, 503, 'transient');
    expect(res.headers['retry-after']).toBeDefined();
    expect(res.body).not.toContain('SECRET');
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'feedback not stored: the store is unavailable');
    expect(logged).toHaveProperty('reqId');
    expect(JSON.stringify(logged)).not.toContain('SECRET');
  });
});
