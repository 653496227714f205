/**
 * Stable error codes: every OperationOutcome issue carries one in `details.coding`
 * (urn:cop-cds-hooks:error-code), so an integrator can search for it and a test can pin it whatever
 * the wording. Each kind of refusal below is pinned to its code.
 */
import { describe, expect, it } from 'vitest';
import { ERROR_CODE_SYSTEM, ERROR_CODES } from '../../src/errors.js';
import { testConfig } from '../fixtures/config.js';
import { orderSelectRequest } from '../fixtures/requests.js';
import { useApp } from './harness.js';

const { http } = useApp({ fhir: { ...testConfig().fhir, allowlist: ['https://fhir.example.org'] } });
const SELECT = '/cds-services/cop-order-select';

interface Outcome { resourceType: string; issue: { code: string; details?: { coding?: { system?: string; code?: string }[] } }[] }

/** The one code all issues of the answer carry. */
function codeOf(body: Outcome): string | undefined {
  expect(body.resourceType).toBe('OperationOutcome');
  const codes = body.issue.map((i) => {
    expect(i.details?.coding).toHaveLength(1);
    expect(i.details!.coding![0]!.system).toBe(ERROR_CODE_SYSTEM);
    return i.details!.coding![0]!.code;
  });
  expect(new Set(codes).size).toBe(1);
  return codes[0];
}

describe('stable error codes', () => {
  it.each([
    ['a body the schema refuses', () => http().post(SELECT).send({ hook: 'order-select' }), 400, 'COP_ERR_INVALID_REQUEST'],
    ['a body that is not JSON', () => http().post(SELECT).set('content-type', 'application/json').send('{"hook":'), 400, 'COP_ERR_INVALID_JSON'],
    ['another hook than the service answers', () => http().post(SELECT).send({ ...orderSelectRequest(), hook: 'order-sign' }), 400, 'COP_ERR_WRONG_HOOK'],
    ['feedback the schema refuses', () => http().post(`${SELECT}/feedback`).send({ feedback: [{ card: 'c' }] }), 400, 'COP_ERR_INVALID_FEEDBACK'],
    ['an unknown service', () => http().post('/cds-services/no-such').send(orderSelectRequest()), 404, 'COP_ERR_NOT_FOUND'],
    ['an unknown route', () => http().get('/nowhere'), 404, 'COP_ERR_NOT_FOUND'],
    ['a FHIR server not on the allow-list', () => http().post(SELECT).send({ ...orderSelectRequest(), fhirServer: 'https://elsewhere.example.org/fhir' }), 403, 'COP_ERR_FHIR_SERVER_NOT_ALLOWED'],
    ['a text/plain body', () => http().post(SELECT).set('content-type', 'text/plain').send('hello'), 415, 'COP_ERR_UNSUPPORTED_MEDIA'],
    ['a compressed body', () => http().post(SELECT).set('content-type', 'application/json').set('content-encoding', 'gzip').send('{}'), 415, 'COP_ERR_UNSUPPORTED_MEDIA'],
    ['JSON nested too deep', () => http().post(SELECT).set('content-type', 'application/json').send(`${'['.repeat(200)}${']'.repeat(200)}`), 413, 'COP_ERR_TOO_LARGE'],
  ] as const)('%s → %i %s', async (_what, send, status, code) => {
    const res = await send();
    expect(res.status).toBe(status);
    expect(codeOf(res.body as Outcome)).toBe(code);
    expect(Object.keys(ERROR_CODES)).toContain(code);
  });

  it('an answer with one issue per problem carries the code on each', async () => {
    const res = await http().post(SELECT).send({ hook: 'order-select', hookInstance: 'x', context: {} });
    expect(res.status).toBe(400);
    expect((res.body as Outcome).issue.length).toBeGreaterThan(1);
    expect(codeOf(res.body as Outcome)).toBe('COP_ERR_INVALID_REQUEST');
  });

  it('codes are upper-case COP_ERR_* names, each with what it means', () => {
    for (const [code, meaning] of Object.entries(ERROR_CODES)) {
      expect(code).toMatch(/^COP_ERR_[A-Z_]+$/);
      expect(meaning).toMatch(/\(\d{3}|\(4xx\)/);
    }
  });
});

describe('the error codes are documented', () => {
  it('docs/api.md lists every code with its meaning, and no code that does not exist', async () => {
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
    const documented = new Map([...text.matchAll(/^\| `(COP_ERR_[A-Z_]+)` \| (.+) \|$/gm)].map((m) => [m[1]!, m[2]!]));
    expect(Object.fromEntries(documented)).toEqual(ERROR_CODES);
  });
});
