/**
 * `cop-cds call --key`: against the app with authentication on (inline JWKS, as in test/auth), a
 * signed call (discovery and service, each with its own aud and jti) succeeds; unsigned, or with
 * an aud the service does not know itself by, it gets 401 and a non-zero exit code.
 */
import { exportJWK } from 'jose';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_AUTH_SETTINGS } from '../../src/auth/settings.js';
import { noFhirFallback } from '../../src/cds/fhir-fallback.js';
import { testConfig } from '../fixtures/config.js';
import { makeKey, type TestKey } from '../auth/tokens.js';
import { example, listen, runCli, scratch } from './harness.js';

const BASE = 'https://cds.example.org';
const EHR = 'https://ehr.example.org';
let app: FastifyInstance;
let url: string;
let es: TestKey;
let rs: TestKey;
const files = scratch();
let esKeyFile: string;
let rsKeyFile: string;

beforeAll(async () => {
  [es, rs] = await Promise.all([makeKey('ES384', 'cli-es-1'), makeKey('RS384', 'cli-rs-1')]);
  esKeyFile = files.write('es.jwk.json', { ...(await exportJWK(es.privateKey)), kid: es.kid });
  // An RSA key without alg or kid in the file: alg from kty, kid from --kid.
  rsKeyFile = files.write('rs.jwk.json', await exportJWK(rs.privateKey));
  const config = testConfig({
    publicBaseUrl: BASE,
    auth: {
      ...DEFAULT_AUTH_SETTINGS,
      enabled: true,
      explicit: true,
      trustedClients: [{ iss: EHR, jwks: { keys: [es.publicJwk, rs.publicJwk] }, jkuAllowlist: [] }],
    },
  });
  // The service checks iat/exp against its clock and the CLI signs with the real one: the app
  // runs on the real clock here, and the example is re-dated to today (--redate).
  ({ app, url } = await listen(config, { fhirFallback: noFhirFallback, clock: () => new Date() }));
});
afterAll(async () => {
  await app?.close();
  files.remove();
});

const callArgs = () => ['call', url, '--patient-file', example('order-select-request.json'), '--redate', '--aud', BASE];

describe('cop-cds call with signing', () => {
  it('--key (ES384) --iss: discovery and service accept the tokens', async () => {
    const { code, out, err } = await runCli([...callArgs(), '--key', esKeyFile, '--iss', EHR]);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toMatch(/COP-R01 +COP: suggested starting prednisone 45 mg/);
  });

  it('RS384 key with --kid, twice (a fresh jti per call: no replay)', async () => {
    for (let i = 0; i < 2; i++) {
      const { code } = await runCli([...callArgs(), '--key', rsKeyFile, '--kid', rs.kid, '--iss', EHR, '--json']);
      expect(code).toBe(0);
    }
  });

  it('without --key: 401, exit code 1', async () => {
    const { code, out, err } = await runCli(callArgs());
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toMatch(/GET http:\/\/127\.0\.0\.1:\d+\/cds-services: HTTP 401/);
    expect(err).toContain('login: Authentication required');
  });

  it('an aud the service does not know itself by (no --aud): 401', async () => {
    const { code, err } = await runCli(['call', url, '--patient-file', example('order-select-request.json'), '--redate', '--key', esKeyFile, '--iss', EHR]);
    expect(code).toBe(1);
    expect(err).toContain('HTTP 401');
  });

  it('an untrusted issuer, and key-file mistakes', async () => {
    expect((await runCli([...callArgs(), '--key', esKeyFile, '--iss', 'https://other.example.org'])).code).toBe(1);
    expect(await runCli([...callArgs(), '--key', rsKeyFile, '--iss', EHR])).toMatchObject({ code: 2, err: expect.stringContaining('no "kid"') });
    const publicOnly = files.write('public.jwk.json', es.publicJwk);
    expect(await runCli([...callArgs(), '--key', publicOnly, '--iss', EHR])).toMatchObject({ code: 2, err: expect.stringContaining('not a private JWK') });
    expect(await runCli([...callArgs(), '--key', esKeyFile])).toMatchObject({ code: 2, err: expect.stringContaining('--key needs --iss') });
  });
});
