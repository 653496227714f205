/**
 * Issue 13 #2: /demo/fhir as a SMART-enabled demo server. The CDS Hooks Sandbox asks
 * `POST {fhirServer}/_services/smart/Launch` for a launch id; the app, opened with `launch` and
 * `iss`, does a standard SMART EHR launch (smart-configuration, authorize with PKCE S256, token)
 * and gets the patient, the card's appContext and need_patient_banner. Codes are single-use and go
 * back only to the launched app's origin.
 */
import { createHash } from 'node:crypto';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { testConfig } from '../fixtures/config.js';

const APP = 'http://localhost:8080/smart/launch.html';
const REDIRECT = 'http://localhost:8080/smart/index.html';
const VERIFIER = 'v'.repeat(20) + '-verifier-of-forty-three-or-more-characters';
const CHALLENGE = createHash('sha256').update(VERIFIER).digest('base64url');
const APP_CONTEXT = JSON.stringify({ weightKg: 72, weightDate: '2026-11-21' });

let app: Awaited<ReturnType<typeof buildApp>>;
let http: ReturnType<typeof supertest>;
beforeAll(async () => {
  app = await buildApp(testConfig({ demoFhir: true, publicBaseUrl: 'http://localhost:8080' }));
  await app.ready();
  http = supertest(app.server);
});
afterAll(() => app.close());

async function launchId(patient = 'cop-demo-untreated'): Promise<string> {
  const res = await http.post('/demo/fhir/_services/smart/Launch').send({ launchUrl: APP, parameters: { patient, appContext: APP_CONTEXT, smart_messaging_origin: 'https://sandbox.cds-hooks.org' } }).expect(200);
  expect(res.body).toEqual({ launch_id: expect.stringMatching(/^[A-Za-z0-9_-]{20,}$/) });
  return res.body.launch_id as string;
}

const authorize = (launch: string, extra: Record<string, string> = {}) =>
  http.get('/demo/fhir/auth/authorize').query({
    response_type: 'code', client_id: 'cop-taper-plan', redirect_uri: REDIRECT, scope: 'launch patient/Patient.r patient/Observation.rs',
    state: 'st-1', launch, code_challenge: CHALLENGE, code_challenge_method: 'S256', aud: 'http://localhost:8080/demo/fhir', ...extra,
  });

const token = (code: string, extra: Record<string, string> = {}) =>
  http.post('/demo/fhir/auth/token').type('form').send({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: 'cop-taper-plan', code_verifier: VERIFIER, ...extra });

describe('SMART EHR launch against /demo/fhir', () => {
  it('publishes its SMART configuration (EHR launch, public client, PKCE S256, v1 and v2 scopes)', async () => {
    const res = await http.get('/demo/fhir/.well-known/smart-configuration').expect(200);
    expect(res.body).toMatchObject({
      authorization_endpoint: 'http://localhost:8080/demo/fhir/auth/authorize',
      token_endpoint: 'http://localhost:8080/demo/fhir/auth/token',
      code_challenge_methods_supported: ['S256'],
      capabilities: expect.arrayContaining(['launch-ehr', 'client-public', 'context-ehr-patient', 'permission-v2']),
    });
    expect(res.headers['access-control-allow-origin']).toBe('*');
  });

  it('launch id → code → token with the patient, the card\'s appContext and need_patient_banner', async () => {
    const res = await authorize(await launchId()).expect(302);
    const location = new URL(res.headers.location!);
    expect(location.origin + location.pathname).toBe(REDIRECT);
    expect(location.searchParams.get('state')).toBe('st-1');
    const code = location.searchParams.get('code')!;
    const answer = await token(code).expect(200);
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(answer.body).toMatchObject({ token_type: 'Bearer', patient: 'cop-demo-untreated', appContext: APP_CONTEXT, need_patient_banner: true, scope: 'launch patient/Patient.r patient/Observation.rs' });
    expect(answer.body.access_token).toEqual(expect.any(String));
    // Single use.
    expect((await token(code).expect(400)).body.error).toBe('invalid_grant');
  });

  it('refuses what a real server refuses: unknown launch, another origin, no PKCE, a wrong verifier, a patient not in the demo', async () => {
    expect((await authorize('no-such-launch').expect(400)).body.error).toBe('invalid_request');
    expect((await authorize(await launchId(), { redirect_uri: 'https://evil.example/cb' }).expect(400)).body.error_description).toMatch(/origin/);
    expect((await authorize(await launchId(), { code_challenge_method: 'plain' }).expect(400)).body.error).toBe('invalid_request');
    const code = new URL((await authorize(await launchId()).expect(302)).headers.location!).searchParams.get('code')!;
    expect((await token(code, { code_verifier: 'w'.repeat(43) }).expect(400)).body.error).toBe('invalid_grant');
    await http.post('/demo/fhir/_services/smart/Launch').send({ launchUrl: APP, parameters: { patient: 'someone-else' } }).expect(404);
    await http.post('/demo/fhir/_services/smart/Launch').send({ launchUrl: 'javascript:alert(1)', parameters: { patient: 'cop-demo-untreated' } }).expect(400);
  });
});
