/**
 * `cop-cds call` against the real app listening on 127.0.0.1: a patient file (a full request, or
 * a prefetch object with --draft), a FHIR server whose templates the CLI resolves like an EHR,
 * the raw JSON with --json, and HTTP errors (OperationOutcome diagnostics, exit code 1).
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkResponse } from '../../src/cli/check.js';
import { testConfig } from '../fixtures/config.js';
import { startFhirServer, type FhirTestServer } from '../fixtures/fhir-server.js';
import { PATIENT_ID, sandboxPrednisoneDraft } from '../fixtures/requests.js';
import { serverResources } from '../integration/chart.js';
import { example, listen, runCli, scratch } from './harness.js';

let app: FastifyInstance;
let url: string;
let fhir: FhirTestServer;
const files = scratch();

beforeAll(async () => {
  fhir = await startFhirServer();
  await fhir.seed(...serverResources());
  const config = testConfig({ publicBaseUrl: 'https://cds.example.test' });
  ({ app, url } = await listen({ ...config, fhir: { ...config.fhir, allowHttp: [fhir.base] } }));
});
afterAll(async () => {
  await app?.close();
  await fhir?.close();
  files.remove();
});

describe('cop-cds call with a patient file', () => {
  it('prints the COP-R01 card with 45 mg and the suggestions table', async () => {
    const { code, out, err } = await runCli(['call', url, '--patient-file', example('order-select-request.json')]);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toContain('cop-order-select (order-select): 4 cards');
    expect(out).toMatch(/● INFO +COP-R01 +COP: suggested starting prednisone 45 mg once daily/);
    expect(out).toMatch(/#\s+Label\s+Action\s+Resource\s+Medication \/ code\s+mg\/day\s+Duration/);
    // The recommended 4-week start and the 24-week taper, as table rows.
    expect(out).toMatch(/1\s+★ Order prednisone 45 mg daily x 4 weeks\s+update\s+MedicationRequest\s+312617 prednisone 5 MG Oral Tablet\s+45\s+4 wk/);
    expect(out).toMatch(/2\s+Order prednisone 24-week taper.*update\s+MedicationRequest\s+312617 .*45→30→20→10→5\s+24 wk/);
    expect(out).toMatch(/COP-R15 .*No recent PFTs/);
    expect(out).toContain('source: COP CDS · https://cds.example.test/evidence/cop');
    // Not a terminal, no NO_COLOR needed: no escape codes.
    expect(out).not.toContain('\u001b[');
  });

  it('--json prints the raw response as valid JSON (and it conforms)', async () => {
    const { code, out } = await runCli(['call', `${url}/cds-services/cop-order-select`, '--patient-file', example('order-select-request.json'), '--json']);
    expect(code).toBe(0);
    const body = JSON.parse(out) as { cards: { source: { topic: { code: string } } }[] };
    expect(body.cards.map((c) => c.source.topic.code)).toEqual(['COP-R01', 'COP-R05', 'COP-R09', 'COP-R15']);
    expect(checkResponse(body).filter((p) => p.severity === 'error')).toEqual([]);
  });

  it('calls order-sign and patient-view from their examples (hook taken from the file)', async () => {
    const sign = await runCli(['call', url, '--patient-file', example('order-sign-request.json')]);
    expect(sign.code).toBe(0);
    expect(sign.out).toContain('cop-order-sign (order-sign)');
    expect(sign.out).toMatch(/COP-R10 .*bone protection/);
    expect(sign.out).toMatch(/create\s+ServiceRequest/);
    const view = await runCli(['call', url, '--patient-file', example('patient-view-request.json')]);
    expect(view.code).toBe(0);
    expect(view.out).toContain('cop-patient-view (patient-view)');
    expect(view.out).toMatch(/COP-R04 .*already on prednisone 45 mg\/day/);
  });

  it('builds the request from a prefetch object and --draft, selecting the draft', async () => {
    const request = (await import(example('order-select-request.json'), { with: { type: 'json' } })).default as { prefetch: unknown };
    const prefetchFile = files.write('prefetch.json', request.prefetch);
    const draftFile = files.write('draft.json', { ...sandboxPrednisoneDraft('draft-x'), subject: { reference: 'Patient/cop-example-1' } });
    const { code, out } = await runCli(['call', url, '--hook', 'order-select', '--patient-file', prefetchFile, '--draft', draftFile, '--json']);
    expect(code).toBe(0);
    const body = JSON.parse(out) as { cards: { source: { topic: { code: string } }; suggestions?: { actions: { resource?: { id?: string } }[] }[] }[] };
    const r01 = body.cards.find((c) => c.source.topic.code === 'COP-R01');
    expect(r01?.suggestions?.[0]?.actions[0]?.resource?.id).toBe('draft-x');
  });

  it('an HTTP error prints the OperationOutcome diagnostics and exits 1', async () => {
    const prefetchOnly = files.write('partial.json', { patient: { resourceType: 'Patient', id: 'p-1', birthDate: '1960-01-01' } });
    const draftFile = files.write('draft2.json', sandboxPrednisoneDraft('d-2'));
    const { code, out, err } = await runCli(['call', url, '--hook', 'order-select', '--patient-file', prefetchOnly, '--draft', draftFile]);
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toMatch(/POST http:\/\/127\.0\.0\.1:\d+\/cds-services\/cop-order-select: HTTP 412/);
    expect(err).toMatch(/error incomplete: .+/);
  });

  it('an unknown service or hook exits non-zero and lists what discovery offers', async () => {
    const { code, err } = await runCli(['call', `${url}/cds-services/nope`, '--patient-file', example('order-select-request.json')]);
    expect(code).toBe(1);
    expect(err).toContain('cop-order-select (order-select)');
    const unreachable = await runCli(['call', 'http://127.0.0.1:1', '--patient-file', example('order-select-request.json')]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.err).toMatch(/GET http:\/\/127\.0\.0\.1:1\/cds-services: /);
  });

  it('usage errors exit 2', async () => {
    expect((await runCli(['call', url])).code).toBe(2);
    expect((await runCli(['call', url, '--bogus'])).code).toBe(2);
    expect((await runCli(['frobnicate'])).code).toBe(2);
  });
});

describe('cop-cds call --fhir: prefetch resolved against a FHIR server like an EHR', () => {
  it('GETs every template of the service for the patient and sends the result', async () => {
    const draftFile = files.write('draft-fhir.json', sandboxPrednisoneDraft());
    fhir.reset();
    const { code, out, err } = await runCli([
      'call', url, '--hook', 'order-select', '--fhir', fhir.base, '--patient', PATIENT_ID, '--draft', draftFile, '--omit-fhir-server',
    ]);
    expect(code).toBe(0);
    expect(out).toMatch(/COP-R01 +COP: suggested starting prednisone 45 mg/);
    const paths = fhir.paths();
    expect(paths).toContain(`Patient/${PATIENT_ID}`);
    expect(paths.some((p) => p.startsWith(`Observation?patient=${PATIENT_ID}&code=http://loinc.org|29463-7`))).toBe(true);
    expect(paths.some((p) => p.startsWith('Encounter/'))).toBe(false); // no encounterId: key left out
    expect(err).toContain('prefetch encounter: left out');
    expect(err).toMatch(/prefetch weight: Bundle, 1 entry/);
  });
});
