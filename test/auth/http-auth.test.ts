/**
 * Client authentication against the real app (auth on): discovery, service and feedback need a
 * valid ES384/RS384 JWT for the URL called; each kind of bad token gets the same generic 401 and
 * its reason goes to the log only. Keys are generated here; remote key sets are served on 127.0.0.1.
 */
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import supertest from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { DEFAULT_AUTH_SETTINGS } from '../../src/auth/settings.js';
import { noFhirFallback } from '../../src/cds/fhir-fallback.js';
import { testConfig } from '../fixtures/config.js';
import { NOW } from '../fixtures/facts.js';
import { orderSelectRequest } from '../fixtures/requests.js';
import { hs256WithPublicKey, makeKey, signToken, startJwksServer, tamper, unsignedToken, type JwksServer, type TestKey, type TokenOptions } from './tokens.js';

const BASE = 'https://cds.example.org';
const DISCOVERY = `${BASE}/cds-services`;
const SERVICE = `${BASE}/cds-services/cop-order-select`;
const FEEDBACK = `${SERVICE}/feedback`;
const EHR_A = 'https://ehr-a.example.org'; // inline keys
const EHR_B = 'urn:example:ehr-b'; // jwksUrl (iss is a URI, not necessarily a URL)
const EHR_C = 'https://sandbox-like.example.org'; // jku allow-list only
const EHR_D = 'https://ehr-d.example.org'; // inline keys, tenant allow-list
const nowSeconds = Math.floor(NOW.getTime() / 1000);

const GENERIC_401 = {
  resourceType: 'OperationOutcome',
  issue: [{ severity: 'error', code: 'login', details: { coding: [{ system: 'urn:cop-cds-hooks:error-code', code: 'COP_ERR_AUTH_REQUIRED' }] }, diagnostics: 'Authentication required' }],
};

const lines: string[] = [];
const sink = new Writable({
  write(chunk, _encoding, done) {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    done();
  },
});
/** Failure lines already matched to a response by `rejected`. */
let failuresSeen = 0;
beforeEach(() => {
  lines.length = 0;
  failuresSeen = 0;
});
const logged = () => lines.map((l) => JSON.parse(l) as Record<string, unknown> & { auth?: Record<string, unknown> });

let app: FastifyInstance;
let jwks: JwksServer;
let es: TestKey;
let rs: TestKey;
let b1: TestKey;
let b2: TestKey;
let c1: TestKey;
let d1: TestKey;
const http = () => supertest(app.server);

beforeAll(async () => {
  [es, rs, b1, b2, c1, d1] = await Promise.all([
    makeKey('ES384', 'a-es-1'),
    makeKey('RS384', 'a-rs-1'),
    makeKey('ES384', 'b-2026-01'),
    makeKey('RS384', 'b-2026-02'),
    makeKey('ES384', 'c-1'),
    makeKey('ES384', 'd-1'),
  ]);
  jwks = await startJwksServer();
  jwks.sets.set('/b/jwks.json', { keys: [b1.publicJwk] });
  jwks.sets.set('/c/jwks.json', { keys: [c1.publicJwk] });
  jwks.sets.set('/unlisted/jwks.json', { keys: [es.publicJwk] });
  const config = testConfig({
    logLevel: 'info',
    publicBaseUrl: BASE,
    auth: {
      ...DEFAULT_AUTH_SETTINGS,
      enabled: true,
      explicit: true,
      jwksCooldownSeconds: 0,
      failureLimit: 0,
      trustedClients: [
        { iss: EHR_A, jwks: { keys: [es.publicJwk, rs.publicJwk] }, jkuAllowlist: [] },
        { iss: EHR_B, jwksUrl: `${jwks.origin}/b/jwks.json`, jkuAllowlist: [] },
        { iss: EHR_C, jkuAllowlist: [`${jwks.origin}/c/jwks.json`] },
        { iss: EHR_D, jwks: { keys: [d1.publicJwk] }, jkuAllowlist: [], tenants: ['tenant-1'] },
      ],
    },
  });
  app = await buildApp(config, { clock: () => NOW, logStream: sink, fhirFallback: noFhirFallback });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await jwks?.close();
});

const token = (key: TestKey, options: Partial<TokenOptions> & { aud: TokenOptions['aud'] }) =>
  signToken(key, NOW, { iss: EHR_A, ...options });

const discover = (bearer?: string) => {
  const req = http().get('/cds-services');
  return bearer === undefined ? req : req.set('Authorization', `Bearer ${bearer}`);
};
const feedback = (bearer: string) =>
  http()
    .post('/cds-services/cop-order-select/feedback')
    .set('Authorization', `Bearer ${bearer}`)
    .send({ feedback: [{ card: `card-${Math.random()}`, outcome: 'overridden', outcomeTimestamp: NOW.toISOString() }] });

/** Asserts the generic 401 and returns the reason logged for it. */
async function rejected(response: supertest.Response, secret?: string): Promise<Record<string, unknown>> {
  expect(response.status).toBe(401);
  expect(response.body).toEqual(GENERIC_401);
  expect(response.headers['www-authenticate']).toBe('Bearer');
  const failures = logged().filter((l) => l.msg === 'authentication failed');
  expect(failures, 'exactly one new log line for this failure').toHaveLength(failuresSeen + 1);
  failuresSeen = failures.length;
  const failure = failures.at(-1);
  // Never the token, nor any part of it that looks like a JWT.
  expect(lines.join('\n')).not.toMatch(/eyJ[\w-]{8,}\.eyJ/);
  if (secret) expect(lines.join('\n')).not.toContain(secret.split('.')[2] || secret);
  return failure!.auth!;
}

describe('valid tokens are accepted', () => {
  it('ES384 on discovery, with iss and tenant on the request log', async () => {
    const jwt = await token(es, { aud: DISCOVERY, tenant: 'org-42' });
    const res = await discover(jwt).expect(200);
    expect((res.body as { services: unknown[] }).services.length).toBeGreaterThan(0);
    const done = logged().find((l) => l.msg === 'request completed');
    expect(done).toMatchObject({ iss: EHR_A, tenant: 'org-42' });
    expect(lines.join('\n')).not.toContain(jwt.split('.')[2]);
  });

  it('RS384 on a service call', async () => {
    const jwt = await token(rs, { aud: SERVICE });
    await http().post('/cds-services/cop-order-select').set('Authorization', `Bearer ${jwt}`).send(orderSelectRequest()).expect(200);
  });

  it('ES384 and RS384 on feedback, with aud = the feedback URL or the service URL (R-FB-07), logging which', async () => {
    await feedback(await token(es, { aud: FEEDBACK })).expect(200);
    await feedback(await token(rs, { aud: SERVICE })).expect(200);
    await feedback(await token(rs, { aud: [FEEDBACK, 'https://other.example'] })).expect(200);
    const matched = logged().filter((l) => l.msg === 'card feedback').map((l) => l.audMatched);
    expect(matched).toEqual(['feedback-url', 'service-url', 'feedback-url']);
  });

  it('a scheme in any case and an aud array holding the URL', async () => {
    const jwt = await token(es, { aud: ['https://elsewhere.example', DISCOVERY] });
    await http().get('/cds-services').set('Authorization', `bearer ${jwt}`).expect(200);
  });

  it('a token within the clock skew (iat 30 s ahead; exp 30 s ago)', async () => {
    await discover(await token(es, { aud: DISCOVERY, iat: nowSeconds + 30, exp: nowSeconds + 300 })).expect(200);
    await discover(await token(es, { aud: DISCOVERY, iat: nowSeconds - 300, exp: nowSeconds - 30 })).expect(200);
  });

  it('a client whose tenant is on its list', async () => {
    await discover(await signToken(d1, NOW, { iss: EHR_D, aud: DISCOVERY, tenant: 'tenant-1' })).expect(200);
  });
});

describe('each bad token gets the same 401, its reason only in the log', () => {
  it('no token, or not a bearer token', async () => {
    expect((await rejected(await discover())).reason).toBe('no-token');
    expect((await rejected(await http().get('/cds-services').set('Authorization', 'Basic dXNlcjpwYXNz'))).reason).toBe('no-token');
    const serviceCall = await http().post('/cds-services/cop-order-select').send(orderSelectRequest());
    expect((await rejected(serviceCall)).reason).toBe('no-token');
    const feedbackCall = await http().post('/cds-services/cop-order-select/feedback').send({ feedback: [] });
    expect((await rejected(feedbackCall)).reason).toBe('no-token');
  });

  it('garbage', async () => {
    expect((await rejected(await discover('not.a.jwt'))).reason).toBe('malformed-token');
  });

  it('alg none', async () => {
    const jwt = unsignedToken({ iss: EHR_A, aud: DISCOVERY, iat: nowSeconds, exp: nowSeconds + 300, jti: 'none-1' }, es.kid);
    expect(await rejected(await discover(jwt))).toMatchObject({ reason: 'alg-not-allowed', alg: 'none', iss: EHR_A });
  });

  it('HS256 signed with the public key (ES and RS)', async () => {
    for (const key of [es, rs]) {
      const jwt = await hs256WithPublicKey(key, { iss: EHR_A, aud: DISCOVERY, iat: nowSeconds, exp: nowSeconds + 300, jti: `hs-${key.kid}` });
      expect(await rejected(await discover(jwt), jwt)).toMatchObject({ reason: 'alg-not-allowed', alg: 'HS256' });
    }
  });

  it('wrong aud: another endpoint, a client id, or the Host-derived URL; the received aud is logged', async () => {
    const discoveryToken = await token(es, { aud: DISCOVERY });
    const res = await http().post('/cds-services/cop-order-select').set('Authorization', `Bearer ${discoveryToken}`).send(orderSelectRequest());
    expect(await rejected(res, discoveryToken)).toMatchObject({ reason: 'aud-mismatch', aud: DISCOVERY, expectedAud: [SERVICE] });
    expect((await rejected(await discover(await token(es, { aud: 'cop-cds-client-id' })))).reason).toBe('aud-mismatch');
    // The Host header is never trusted: a token for the address the request came in on is refused.
    const hostAud = await token(es, { aud: 'http://127.0.0.1/cds-services' });
    const viaHost = await http().get('/cds-services').set('Host', '127.0.0.1').set('Authorization', `Bearer ${hostAud}`);
    expect((await rejected(viaHost)).reason).toBe('aud-mismatch');
    // Feedback aud must be the feedback or the service URL, not discovery or another service.
    expect((await rejected(await feedback(await token(es, { aud: DISCOVERY })))).reason).toBe('aud-mismatch');
    expect((await rejected(await feedback(await token(es, { aud: `${BASE}/cds-services/cop-order-sign` })))).reason).toBe('aud-mismatch');
  });

  it('expired', async () => {
    const jwt = await token(es, { aud: DISCOVERY, iat: nowSeconds - 900, exp: nowSeconds - 61 });
    expect(await rejected(await discover(jwt))).toMatchObject({ reason: 'expired', iss: EHR_A });
  });

  it('iat in the future beyond the skew', async () => {
    const jwt = await token(es, { aud: DISCOVERY, iat: nowSeconds + 120, exp: nowSeconds + 400 });
    expect((await rejected(await discover(jwt))).reason).toBe('iat-in-future');
  });

  it('unknown iss, even with a valid signature', async () => {
    const jwt = await token(es, { iss: 'https://evil.example', aud: DISCOVERY });
    expect(await rejected(await discover(jwt))).toMatchObject({ reason: 'unknown-iss', iss: 'https://evil.example' });
  });

  it('a jku not on the client\'s allow-list, for a kid not on record: never fetched', async () => {
    // c1's key is not on EHR_A's record, so the jku would be the only way to its key.
    const evil = await token(c1, { aud: DISCOVERY, jku: 'https://evil.example/jwks.json' });
    expect(await rejected(await discover(evil))).toMatchObject({ reason: 'jku-not-allowed', jku: 'https://evil.example/jwks.json' });
    // The set does hold the right key, but is not this client's: no fetch, no trust.
    const listedElsewhere = await token(c1, { aud: DISCOVERY, jku: `${jwks.origin}/c/jwks.json` });
    expect((await rejected(await discover(listedElsewhere))).reason).toBe('jku-not-allowed');
    const local = await token(c1, { aud: DISCOVERY, jku: `${jwks.origin}/unlisted/jwks.json` });
    expect((await rejected(await discover(local))).reason).toBe('jku-not-allowed');
    expect(jwks.hits.get('/unlisted/jwks.json')).toBeUndefined();
  });

  it('issue 13 #3: a kid on record is verified with that key whatever the jku says, and nothing is fetched (the Sandbox\'s tokens)', async () => {
    const hitsBefore = [...jwks.hits.values()].reduce((a, b) => a + b, 0);
    for (const jku of ['https://sandbox.cds-hooks.org/.well-known/jwks.json', `${jwks.origin}/unlisted/jwks.json`]) {
      await discover(await token(es, { aud: DISCOVERY, jku })).expect(200);
    }
    expect([...jwks.hits.values()].reduce((a, b) => a + b, 0)).toBe(hitsBefore);
    // The kid picks the key: a token signed by another key under a kid on record still fails its signature.
    const forged = await signToken({ ...c1, kid: es.kid }, NOW, { iss: EHR_A, aud: DISCOVERY, jku: 'https://evil.example/jwks.json' });
    expect((await rejected(await discover(forged))).reason).toMatch(/signature|invalid/);
  });

  it('a replayed jti, on the same or another endpoint', async () => {
    const jwt = await token(es, { aud: [DISCOVERY, SERVICE], jti: 'once-only' });
    await discover(jwt).expect(200);
    expect(await rejected(await discover(jwt))).toMatchObject({ reason: 'replay', jti: 'once-only' });
    const again = await http().post('/cds-services/cop-order-select').set('Authorization', `Bearer ${jwt}`).send(orderSelectRequest());
    expect((await rejected(again)).reason).toBe('replay');
    // A fresh jti from the same client is fine.
    await discover(await token(es, { aud: DISCOVERY, jti: 'once-only-2' })).expect(200);
  });

  it('a tampered payload', async () => {
    const jwt = await token(es, { aud: DISCOVERY, tenant: 'org-1' });
    expect((await rejected(await discover(tamper(jwt, { tenant: 'org-2' })))).reason).toBe('bad-signature');
    const rsJwt = await token(rs, { aud: DISCOVERY });
    expect((await rejected(await discover(tamper(rsJwt, { exp: nowSeconds + 86_400 })))).reason).toBe('bad-signature');
  });

  it('signed by a key of another client under a known kid', async () => {
    const forged = await signToken({ ...d1, kid: es.kid }, NOW, { iss: EHR_A, aud: DISCOVERY });
    expect((await rejected(await discover(forged))).reason).toBe('bad-signature');
  });

  it('an unknown kid', async () => {
    const jwt = await signToken({ ...es, kid: 'nobody' }, NOW, { iss: EHR_A, aud: DISCOVERY });
    expect(await rejected(await discover(jwt))).toMatchObject({ reason: 'unknown-kid', kid: 'nobody' });
  });

  it('a missing exp, iat or jti', async () => {
    for (const claim of ['exp', 'iat', 'jti']) {
      const jwt = await token(es, { aud: DISCOVERY, omit: [claim] });
      expect(await rejected(await discover(jwt))).toMatchObject({ reason: 'missing-claim', detail: claim });
    }
  });

  it('a lifetime (exp − iat) over the maximum', async () => {
    const jwt = await token(es, { aud: DISCOVERY, iat: nowSeconds - 10, exp: nowSeconds + 3600 });
    expect((await rejected(await discover(jwt))).reason).toBe('lifetime-too-long');
  });

  it('a tenant not on the client\'s list, or none when it has one', async () => {
    expect((await rejected(await discover(await signToken(d1, NOW, { iss: EHR_D, aud: DISCOVERY, tenant: 'tenant-2' })))).reason).toBe('tenant-not-allowed');
    expect((await rejected(await discover(await signToken(d1, NOW, { iss: EHR_D, aud: DISCOVERY })))).reason).toBe('tenant-not-allowed');
  });

  it('a jku-only client whose token has no jku', async () => {
    const jwt = await signToken(c1, NOW, { iss: EHR_C, aud: DISCOVERY });
    expect((await rejected(await discover(jwt))).reason).toBe('no-key-source');
  });

  it('the 401 still carries CORS headers, so a browser client can read it', async () => {
    const res = await http().get('/cds-services').set('Origin', 'https://sandbox.cds-hooks.org');
    expect(res.status).toBe(401);
    expect(res.headers['access-control-allow-origin']).toBe('*');
  });
});

describe('remote key sets', () => {
  it('jwksUrl: fetched once and cached; a new kid is picked up after a refetch (rotation)', async () => {
    const before = jwks.hits.get('/b/jwks.json') ?? 0;
    await discover(await signToken(b1, NOW, { iss: EHR_B, aud: DISCOVERY })).expect(200);
    await discover(await signToken(b1, NOW, { iss: EHR_B, aud: DISCOVERY })).expect(200);
    expect(jwks.hits.get('/b/jwks.json')).toBe(before + 1);
    // The client rotates: its set now publishes b2 as well (RS384), and it signs with b2.
    jwks.sets.set('/b/jwks.json', { keys: [b1.publicJwk, b2.publicJwk] });
    await discover(await signToken(b2, NOW, { iss: EHR_B, aud: DISCOVERY })).expect(200);
    expect(jwks.hits.get('/b/jwks.json')).toBe(before + 2);
    // b1 is retired: the set no longer lists it, and after the next refetch it is refused.
    jwks.sets.set('/b/jwks.json', { keys: [b2.publicJwk] });
    const unknownKid = await signToken({ ...b1, kid: 'b-unknown' }, NOW, { iss: EHR_B, aud: DISCOVERY });
    expect((await rejected(await discover(unknownKid))).reason).toBe('unknown-kid');
    expect((await rejected(await discover(await signToken(b1, NOW, { iss: EHR_B, aud: DISCOVERY })))).reason).toBe('unknown-kid');
  });

  it('an allow-listed jku is honoured', async () => {
    const jwt = await signToken(c1, NOW, { iss: EHR_C, aud: DISCOVERY, jku: `${jwks.origin}/c/jwks.json` });
    await discover(jwt).expect(200);
    expect(jwks.hits.get('/c/jwks.json')).toBe(1);
  });

  it('a JWKS that cannot be fetched fails the token (401), logged as jwks-unavailable', async () => {
    jwks.sets.delete('/c/jwks.json');
    const jwt = await signToken({ ...c1, kid: 'c-2' }, NOW, { iss: EHR_C, aud: DISCOVERY, jku: `${jwks.origin}/c/jwks.json` });
    expect((await rejected(await discover(jwt))).reason).toBe('jwks-unavailable');
  });
});

describe('what needs no token', () => {
  it('CORS preflight', async () => {
    const res = await http()
      .options('/cds-services/cop-order-select')
      .set('Origin', 'https://sandbox.cds-hooks.org')
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'authorization,content-type');
    expect(res.status).toBe(204);
    expect(String(res.headers['access-control-allow-headers']).toLowerCase()).toContain('authorization');
  });

  it('/health and the evidence page', async () => {
    await http().get('/health').expect(200);
    await http().get('/evidence/cop').expect(200);
  });

  it('an unknown route is a 404, not a 401', async () => {
    await http().get('/nothing-here').expect(404);
  });

  it('a URL under /cds-services that no route matches is a 404 too; an unknown service id needs a token (its route does)', async () => {
    for (const url of ['/cds-services/', '/cds-services/cop-order-select/feedback/x', '/cds-services/a/b']) await http().get(url).expect(404);
    await http().get('/cds-services/cop-order-select').expect(404);
    await http().post('/cds-services/no-such-service').send({}).expect(401);
  });

  it('the SMART app and the probes', async () => {
    await http().get('/smart/launch.html').expect(200);
    await http().get('/smart/plan?weightKg=60').expect(200);
    await http().get('/health/live').expect(200);
  });
});
