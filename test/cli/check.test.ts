/**
 * `cop-cds check`: each planted problem is found with its JSON path and rule id; the examples
 * and a real response from the app pass; exit codes and output lines.
 */
import { readFileSync } from 'node:fs';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { checkRequest, checkResponse, type Problem } from '../../src/cli/check.js';
import { testConfig } from '../fixtures/config.js';
import { NOW } from '../fixtures/facts.js';
import { orderSignRequest } from '../fixtures/requests.js';
import { example, runCli, scratch } from './harness.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const load = (name: string): Json => JSON.parse(readFileSync(example(name), 'utf8')) as Json;
const errors = (problems: Problem[]) => problems.filter((p) => p.severity === 'error');
const brief = (problems: Problem[]) => errors(problems).map((p) => `${p.path} ${p.rule}`);

const files = scratch();
afterAll(() => files.remove());

describe('check response: planted problems', () => {
  const response = () => load('order-select-response.json');

  it('the example response (produced by the service) is clean', () => {
    expect(checkResponse(response())).toEqual([]);
  });

  it('a summary of 140 characters', () => {
    const body = response();
    body.cards[1].summary = 'x'.repeat(140);
    expect(errors(checkResponse(body))).toEqual([
      { path: '$.cards[1].summary', rule: 'R-CARD-02', message: 'summary is 140 characters; it must be fewer than 140', severity: 'error' },
    ]);
    body.cards[1].summary = 'x'.repeat(139);
    expect(checkResponse(body)).toEqual([]);
  });

  it('suggestions without selectionBehavior', () => {
    const body = response();
    delete body.cards[0].selectionBehavior;
    expect(brief(checkResponse(body))).toEqual(['$.cards[0].selectionBehavior R-CARD-06']);
  });

  it('a delete with resource instead of resourceId', () => {
    const body = response();
    body.cards[3].suggestions[0].actions.push({ type: 'delete', description: 'Remove the old order', resource: 'MedicationRequest/old-1' });
    expect(brief(checkResponse(body))).toEqual([
      '$.cards[3].suggestions[0].actions[1].resource R-ACT-03',
      '$.cards[3].suggestions[0].actions[1].resourceId R-ACT-04',
    ]);
    body.cards[3].suggestions[0].actions[1] = { type: 'delete', description: 'Remove the old order', resourceId: 'MedicationRequest/old-1' };
    expect(checkResponse(body)).toEqual([]);
  });

  it('a null value', () => {
    const body = response();
    body.cards[2].detail = null;
    body.cards[0].links = [];
    expect(brief(checkResponse(body))).toEqual(['$.cards[2].detail R-CARD-03', '$.cards[0].links R-GEN-04', '$.cards[2].detail R-GEN-02']);
    expect(checkResponse({ cards: [] })).toEqual([]);
  });

  it('two recommended suggestions with at-most-one', () => {
    const body = response();
    body.cards[0].suggestions[1].isRecommended = true;
    expect(brief(checkResponse(body))).toEqual(['$.cards[0].suggestions[1].isRecommended R-SUG-03']);
    body.cards[0].selectionBehavior = 'any';
    expect(checkResponse(body)).toEqual([]);
  });

  it('an overrideReason without display', () => {
    const body = response();
    body.cards[0].overrideReasons = [{ system: 'http://example.org/reasons', code: 'patient-declined', display: 'Patient declined' }, { system: 'http://example.org/reasons', code: 'other' }];
    expect(brief(checkResponse(body))).toEqual(['$.cards[0].overrideReasons[1].display R-CARD-08']);
  });

  it('link type and appContext on an absolute link; indicator, source.label, uuid', () => {
    const body = response();
    body.cards[0].links[1].appContext = '{"x":1}';
    delete body.cards[0].links[2].type;
    body.cards[1].indicator = 'hard-stop';
    delete body.cards[2].source.label;
    body.cards[3].uuid = body.cards[0].uuid;
    expect(brief(checkResponse(body))).toEqual([
      '$.cards[0].links[1].appContext R-LINK-04',
      '$.cards[0].links[2].type R-LINK-03',
      '$.cards[1].indicator R-CARD-04',
      '$.cards[2].source.label R-SRC-01',
      '$.cards[3].uuid R-CARD-01',
    ]);
  });

  it('no cards array; an OperationOutcome is not a response', () => {
    expect(brief(checkResponse({}))).toEqual(['$.cards R-RESP-01', '$ R-GEN-03']);
    expect(brief(checkResponse({ resourceType: 'OperationOutcome', issue: [] }))).toEqual(['$ R-RESP-01']);
  });

  it('discovery documents: required fields and prefetch tokens', () => {
    expect(checkResponse({ services: [] })).toEqual([]);
    expect(brief(checkResponse({ services: [{ hook: 'order-select', id: 'x', title: 'X', prefetch: { d: 'Bundle/{{context.draftOrders}}' } }] }))).toEqual([
      '$.services[0].description R-DISC-04',
      '$.services[0].prefetch.d R-PF-03',
    ]);
  });
});

describe('check request: planted problems', () => {
  it('the example requests are clean', () => {
    for (const name of ['order-select-request.json', 'order-sign-request.json', 'patient-view-request.json']) {
      expect(checkRequest(load(name)), name).toEqual([]);
    }
  });

  it('fhirAuthorization without fhirServer', () => {
    const body = load('order-select-request.json');
    body.fhirAuthorization = { access_token: 'abc', token_type: 'Bearer', expires_in: 300, scope: 'patient/*.read', subject: 'cop-cds' };
    expect(brief(checkRequest(body))).toEqual(['$.fhirServer R-REQ-03']);
    body.fhirServer = 'https://ehr.example.org/fhir';
    expect(checkRequest(body)).toEqual([]);
  });

  it('selections not in draftOrders', () => {
    const body = load('order-select-request.json');
    body.context.selections = ['MedicationRequest/draft-prednisone-1', 'MedicationRequest/not-there'];
    expect(errors(checkRequest(body))).toEqual([
      {
        path: '$.context.selections[1]',
        rule: 'R-REQ-05',
        message: 'MedicationRequest/not-there is not in context.draftOrders (each selection must point to a draft order)',
        severity: 'error',
      },
    ]);
  });

  it('zod field problems from the service’s own schemas, and prefetch null allowed', () => {
    const body = load('order-select-request.json');
    delete body.hookInstance;
    body.context.patientId = 'Patient/cop-example-1';
    body.fhirAuthorization = { access_token: 'abc', token_type: 'bearer', expires_in: 300, scope: 'x', subject: 's' };
    body.fhirServer = 'https://ehr.example.org/fhir';
    body.prefetch.allergies = null;
    body.prefetch.user = '123';
    expect(brief(checkRequest(body))).toEqual([
      '$.hookInstance R-REQ-02',
      '$.fhirAuthorization.token_type R-AUTHZ-02',
      '$.context.patientId R-REQ-05',
      '$.prefetch.user R-REQ-06',
      '$.prefetch.patient.id R-REQ-06', // Patient/cop-example-1 is not context.patientId any more
    ]);
  });
});

describe('cop-cds check (command)', () => {
  let realResponse: unknown;
  beforeAll(async () => {
    const app = await buildApp(testConfig(), { clock: () => NOW });
    await app.ready();
    realResponse = (await supertest(app.server).post('/cds-services/cop-order-sign').send(orderSignRequest()).expect(200)).body;
    await app.close();
  });

  it('passes a real response from the app and the examples: exit 0', async () => {
    const file = files.write('real.json', realResponse);
    const real = await runCli(['check', 'response', file]);
    expect(real).toMatchObject({ code: 0, err: '' });
    expect(real.out).toMatch(/^✓ .*real\.json: conforms/);
    expect((await runCli(['check', 'response', example('order-select-response.json')])).code).toBe(0);
    for (const hook of ['order-select', 'order-sign', 'patient-view']) {
      expect((await runCli(['check', 'request', example(`${hook}-request.json`)])).code, hook).toBe(0);
    }
  });

  it('prints one line per problem (path, rule id, message) and exits 1', async () => {
    const body = load('order-select-response.json');
    body.cards[0].summary = 'y'.repeat(150);
    delete body.cards[3].selectionBehavior;
    const file = files.write('bad.json', body);
    const { code, out } = await runCli(['check', 'response', file]);
    expect(code).toBe(1);
    expect(out.split('\n')).toEqual([
      '✗ error   $.cards[0].summary  R-CARD-02  summary is 150 characters; it must be fewer than 140',
      '✗ error   $.cards[3].selectionBehavior  R-CARD-06  required when the card has suggestions ("at-most-one" or "any")',
      `${file}: 2 problems`,
      '',
    ]);
    const json = await runCli(['check', 'response', file, '--json']);
    expect((JSON.parse(json.out) as Problem[]).map((p) => p.rule)).toEqual(['R-CARD-02', 'R-CARD-06']);
    const colour = await runCli(['check', 'response', file], {}, true);
    expect(colour.out).toContain('\u001b[31m');
    expect((await runCli(['check', 'response', file], { NO_COLOR: '1' }, true)).out).not.toContain('\u001b[');
  });

  it('not JSON, and usage errors', async () => {
    const file = files.write('broken.json', '{"cards": [');
    expect(await runCli(['check', 'request', file])).toMatchObject({ code: 1, out: expect.stringMatching(/\$ {2}R-GEN-01 {2}not JSON/) });
    expect((await runCli(['check', 'card', file])).code).toBe(2);
    expect((await runCli(['check', 'request', `${file}.missing`])).code).toBe(2);
  });
});
