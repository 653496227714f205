/**
 * `cop-cds check request` and the service share one set of request checks
 * (src/cds/request-checks.ts): a request the service refuses with 400 is never "conforms", the
 * checker says what is wrong in the service's words, and the shared checks give exactly the
 * service's answer.
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import copOrderSelect from '../../hooks/cop-order-select.js';
import copOrderSign from '../../hooks/cop-order-sign.js';
import { buildApp } from '../../src/app.js';
import { requestRefusals } from '../../src/cds/request-checks.js';
import type { CdsServiceDefinition } from '../../src/cds/service-definition.js';
import { checkRequest, type Problem } from '../../src/cli/check.js';
import { operationOutcome } from '../../src/errors.js';
import { testConfig } from '../fixtures/config.js';
import { NOW } from '../fixtures/facts.js';
import { example, runCli, scratch } from './harness.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const load = (name: string): Json => JSON.parse(readFileSync(example(name), 'utf8')) as Json;
const errors = (problems: Problem[]) => problems.filter((p) => p.severity === 'error');

interface Case {
  name: string;
  service: CdsServiceDefinition;
  body: () => Json;
  /** Where the checker puts the problem. */
  path: string;
}

/** Requests the service refuses and the checker (before the checks were shared) said conform to. */
const CASES: Case[] = [
  {
    name: 'a draft order malformed where the service reads it (dosageInstruction not a list)',
    service: copOrderSelect,
    body: () => {
      const body = load('order-select-request.json');
      body.context.draftOrders.entry[0].resource.dosageInstruction = { text: '45 mg daily' };
      return body;
    },
    path: '$.context.draftOrders.entry[0].resource',
  },
  {
    name: 'a prefetch Bundle whose entry is not a list',
    service: copOrderSelect,
    body: () => {
      const body = load('order-select-request.json');
      body.prefetch.conditions = { resourceType: 'Bundle', type: 'searchset', entry: { resource: body.prefetch.patient } };
      return body;
    },
    path: '$.prefetch.conditions',
  },
  {
    name: 'a prefetch resource malformed where the service reads it (birthDate not a date)',
    service: copOrderSign,
    body: () => {
      const body = load('order-sign-request.json');
      body.prefetch.patient.birthDate = 1970;
      return body;
    },
    path: '$.prefetch.patient',
  },
];

const files = scratch();
let app: FastifyInstance;
beforeAll(async () => {
  app = await buildApp(testConfig(), { clock: () => NOW });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  files.remove();
});

const post = async (service: CdsServiceDefinition, body: Json) => supertest(app.server).post(`/cds-services/${service.id}`).send(body);

describe('a request the service refuses is one the checker refuses, in the service’s words', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const body = c.body();
      const res = await post(c.service, body);
      expect(res.status).toBe(400);
      const [first, ...details] = (res.body as { issue: { diagnostics: string }[] }).issue.map((i) => i.diagnostics);

      const problems = errors(checkRequest(body));
      expect(problems.length).toBeGreaterThan(0);
      for (const detail of details) {
        expect(problems).toContainEqual({ path: c.path, rule: expect.stringMatching(/^R-REQ-0[56]$/), message: `${first}: ${detail}`, severity: 'error' });
      }

      const file = files.write(`${c.service.id}.json`, body);
      const run = await runCli(['check', 'request', file]);
      expect(run.code).toBe(1);
      expect(run.out).not.toContain('conforms');
      expect(run.out).toContain(`${first}: ${details[0]}`);
    });
  }

  it('a selection on order-sign that names no draft order', async () => {
    const body = load('order-sign-request.json');
    body.context.selections = ['MedicationRequest/not-there'];
    const res = await post(copOrderSign, body);
    expect(res.status).toBe(400);
    expect(res.body.issue[1].diagnostics).toBe('not in draftOrders: MedicationRequest/not-there');
    expect(errors(checkRequest(body))).toEqual([
      {
        path: '$.context.selections[0]',
        rule: 'R-REQ-05',
        message: 'MedicationRequest/not-there is not in context.draftOrders (each selection must point to a draft order)',
        severity: 'error',
      },
    ]);
  });
});

describe('the shared checks give the service’s answer, byte for byte', () => {
  const more: Case[] = [
    ...CASES,
    {
      name: 'a patientId that is a reference',
      service: copOrderSign,
      body: () => {
        const body = load('order-sign-request.json');
        body.context.patientId = 'Patient/cop-example-1';
        return body;
      },
      path: '$.context.patientId',
    },
    {
      name: 'no hookInstance and a bad fhirAuthorization',
      service: copOrderSelect,
      body: () => {
        const body = load('order-select-request.json');
        delete body.hookInstance;
        body.fhirAuthorization = { access_token: 'secret-token', token_type: 'Bearer', expires_in: -1 };
        return body;
      },
      path: '$.hookInstance',
    },
    {
      name: 'the hook of another service',
      service: copOrderSign,
      body: () => load('order-select-request.json'),
      path: '$.hook',
    },
    {
      name: 'a selection not in draftOrders',
      service: copOrderSelect,
      body: () => {
        const body = load('order-select-request.json');
        body.context.selections.push('MedicationRequest/elsewhere');
        return body;
      },
      path: '$.context.selections[1]',
    },
    {
      name: 'a prefetched Patient that is not the context patient',
      service: copOrderSelect,
      body: () => {
        const body = load('order-select-request.json');
        body.prefetch.patient.id = 'someone-else';
        return body;
      },
      path: '$.prefetch.patient.id',
    },
    {
      name: 'more malformed draft orders than the answer lists',
      service: copOrderSelect,
      body: () => {
        const body = load('order-select-request.json');
        const draft = body.context.draftOrders.entry[0].resource;
        body.context.draftOrders.entry = Array.from({ length: 25 }, (_, i) => ({ resource: { ...draft, id: `d${i}`, dosageInstruction: {} } }));
        body.context.selections = ['MedicationRequest/d0'];
        return body;
      },
      path: '$.context.draftOrders.entry[24].resource',
    },
  ];

  for (const c of more) {
    it(c.name, async () => {
      const body = c.body();
      const res = await post(c.service, body);
      expect(res.status).toBe(400);
      const [first] = requestRefusals(body, c.service);
      expect(first).toBeDefined();
      const { message, details, code } = first!.refusal;
      expect(res.body).toEqual(operationOutcome('invalid', message, details, code));
      expect(JSON.stringify(res.body)).not.toContain('secret-token');
      if (c.service.hook === body.hook) expect(errors(checkRequest(body)).map((p) => p.path)).toContain(c.path);
    });
  }

  it('the examples pass both', async () => {
    for (const [name, service] of [['order-select-request.json', copOrderSelect], ['order-sign-request.json', copOrderSign]] as const) {
      expect(requestRefusals(load(name), service), name).toEqual([]);
      expect(errors(checkRequest(load(name))), name).toEqual([]);
    }
  });
});
