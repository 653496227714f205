/**
 * The hook on its own: which routes need a token, how `aud` is derived (PUBLIC_BASE_URL + route,
 * never the Host header) and the `request.cdsClient` decoration other plugins key on.
 */
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { clientAuth, expectedAudiences, registerClientAuth } from '../../src/auth/plugin.js';
import { DEFAULT_AUTH_SETTINGS } from '../../src/auth/settings.js';
import { makeKey, signToken } from './tokens.js';

const BASE = 'https://cds.example.org/base';
const NOW = new Date('2026-11-25T10:00:00Z');

describe('expectedAudiences', () => {
  it('discovery, a service, and feedback (feedback URL or service URL), from the configured base', () => {
    expect(expectedAudiences('/cds-services', {}, BASE)).toEqual([`${BASE}/cds-services`]);
    expect(expectedAudiences('/cds-services/:id', { id: 'cop-order-sign' }, BASE)).toEqual([`${BASE}/cds-services/cop-order-sign`]);
    expect(expectedAudiences('/cds-services/:id/feedback', { id: 'cop-order-sign' }, BASE)).toEqual([
      `${BASE}/cds-services/cop-order-sign/feedback`,
      `${BASE}/cds-services/cop-order-sign`,
    ]);
  });

  it('none for routes that are open', () => {
    expect(expectedAudiences('/health', {}, BASE)).toBeUndefined();
    expect(expectedAudiences('/evidence/cop', {}, BASE)).toBeUndefined();
    expect(expectedAudiences(undefined, {}, BASE)).toBeUndefined();
  });
});

describe('registerClientAuth', () => {
  it('decorates request.cdsClient: null when off, the verified client when on', async () => {
    const key = await makeKey('RS384', 'r1');
    const settings = {
      ...DEFAULT_AUTH_SETTINGS,
      enabled: true,
      trustedClients: [{ iss: 'urn:ehr', jwks: { keys: [key.publicJwk] }, jkuAllowlist: [] }],
    };
    const on = Fastify();
    registerClientAuth(on, { settings, publicBaseUrl: `${BASE}/`, clock: () => NOW });
    on.get('/cds-services', async (request) => ({ client: request.cdsClient }));
    on.get('/health', async (request) => ({ client: request.cdsClient }));
    const jwt = await signToken(key, NOW, { iss: 'urn:ehr', aud: `${BASE}/cds-services`, tenant: 't', jti: 'j' });
    const res = await on.inject({ url: '/cds-services', headers: { authorization: `Bearer ${jwt}`, host: 'attacker.example' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ client: { iss: 'urn:ehr', tenant: 't', jti: 'j' } });
    expect((await on.inject({ url: '/health' })).json()).toEqual({ client: null });
    await on.close();

    const off = Fastify();
    registerClientAuth(off, { settings: DEFAULT_AUTH_SETTINGS, clock: () => NOW });
    off.get('/cds-services', async (request) => ({ client: request.cdsClient }));
    expect((await off.inject({ url: '/cds-services' })).json()).toEqual({ client: null });
    await off.close();
  });

  // Settings are checked once, by loadConfig (test/auth/config.test.ts: "CDS_AUTH=on refuses to
  // start without trusted clients or without PUBLIC_BASE_URL"); the hook takes them as given.
  it('takes the settings as given: with no trusted client every token is refused; without a base URL it cannot run', async () => {
    const key = await makeKey('ES384', 'n1');
    const on = Fastify();
    registerClientAuth(on, { settings: { ...DEFAULT_AUTH_SETTINGS, enabled: true }, publicBaseUrl: BASE, clock: () => NOW });
    on.get('/cds-services', async (request) => ({ client: request.cdsClient }));
    const jwt = await signToken(key, NOW, { iss: 'urn:ehr', aud: `${BASE}/cds-services` });
    expect((await on.inject({ url: '/cds-services', headers: { authorization: `Bearer ${jwt}` } })).statusCode).toBe(401);
    await on.close();
    const withClient = { ...DEFAULT_AUTH_SETTINGS, enabled: true, trustedClients: [{ iss: 'x', jwksUrl: 'https://x.example/jwks', jkuAllowlist: [] }] };
    expect(() => registerClientAuth(Fastify(), { settings: withClient, clock: () => NOW })).toThrow(/publicBaseUrl/);
  });
});

describe('clientAuth (the plugin)', () => {
  it('guards the routes of the context it is registered in, and no other', async () => {
    const key = await makeKey('ES384', 'c1');
    const settings = { ...DEFAULT_AUTH_SETTINGS, enabled: true, trustedClients: [{ iss: 'urn:ehr', jwks: { keys: [key.publicJwk] }, jkuAllowlist: [] }] };
    const app = Fastify();
    await app.register(async (scope) => {
      await scope.register(clientAuth, { settings, publicBaseUrl: BASE, clock: () => NOW });
      scope.get('/cds-services', async (request) => ({ client: request.cdsClient }));
    });
    // The same route pattern outside the context: the hook never sees it.
    await app.register(async (other) => {
      other.get('/cds-services/:id', async (request) => ({ client: request.cdsClient ?? 'absent' }));
    });
    expect((await app.inject({ url: '/cds-services' })).statusCode).toBe(401);
    const jwt = await signToken(key, NOW, { iss: 'urn:ehr', aud: `${BASE}/cds-services`, jti: 'c' });
    expect((await app.inject({ url: '/cds-services', headers: { authorization: `Bearer ${jwt}` } })).json()).toEqual({ client: { iss: 'urn:ehr', jti: 'c' } });
    expect((await app.inject({ url: '/cds-services/x' })).json()).toEqual({ client: 'absent' });
    await app.close();
  });
});
