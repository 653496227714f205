/**
 * The per-client rate limit with real client authentication: the authentication hook (in the CDS
 * routes' context, onRequest) names the client before the rate limit (preHandler) counts, so the
 * limit keys on the verified JWT issuer whatever the caller's address, and a refused token is
 * answered 401 without being counted.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { DEFAULT_AUTH_SETTINGS } from '../../src/auth/settings.js';
import { noFhirFallback } from '../../src/cds/fhir-fallback.js';
import { testConfig } from '../fixtures/config.js';
import { NOW } from '../fixtures/facts.js';
import { makeKey, signToken, type TestKey } from './tokens.js';

const BASE = 'https://cds.example.org';
const EHR_A = 'https://ehr-a.example.org';
const EHR_B = 'https://ehr-b.example.org';

let app: FastifyInstance;
let a: TestKey;
let b: TestKey;

beforeAll(async () => {
  [a, b] = await Promise.all([makeKey('ES384', 'a-1'), makeKey('ES384', 'b-1')]);
  const config = testConfig({
    publicBaseUrl: BASE,
    rateLimit: { max: 3, windowMs: 60_000 },
    auth: {
      ...DEFAULT_AUTH_SETTINGS,
      enabled: true,
      explicit: true,
      failureLimit: 0,
      trustedClients: [
        { iss: EHR_A, jwks: { keys: [a.publicJwk] }, jkuAllowlist: [] },
        { iss: EHR_B, jwks: { keys: [b.publicJwk] }, jkuAllowlist: [] },
      ],
    },
  });
  app = await buildApp(config, { clock: () => NOW, fhirFallback: noFhirFallback });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
});

const discover = async (remoteAddress: string, key?: TestKey, iss?: string) => {
  const headers: Record<string, string> = key ? { authorization: `Bearer ${await signToken(key, NOW, { iss: iss!, aud: `${BASE}/cds-services` })}` } : {};
  return app.inject({ method: 'GET', url: '/cds-services', remoteAddress, headers });
};

describe('rate limit keyed on the authenticated client', () => {
  it('one issuer from several addresses shares one budget; refused tokens are not counted; another issuer has its own', async () => {
    // Refused before the rate limit counts: none of these uses up the address's or an issuer's budget.
    for (let i = 0; i < 5; i++) expect((await discover('10.0.0.9')).statusCode).toBe(401);
    expect((await discover('10.0.0.9', b, EHR_A)).statusCode).toBe(401); // signed by another client's key

    for (const address of ['10.0.0.1', '10.0.0.2', '10.0.0.9']) expect((await discover(address, a, EHR_A)).statusCode).toBe(200);
    const limited = await discover('10.0.0.4', a, EHR_A);
    expect(limited.statusCode).toBe(429);
    expect(limited.json()).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'throttled' }] });
    // Authentication still answers first for a caller without a token.
    expect((await discover('10.0.0.4')).statusCode).toBe(401);
    expect((await discover('10.0.0.1', b, EHR_B)).statusCode).toBe(200);
  });
});
