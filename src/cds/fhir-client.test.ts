/**
 * The HTTP fallback against a scripted server on 127.0.0.1: each answer a FHIR server may give,
 * and what the fallback makes of it. (The real FHIR server is in test/integration.)
 */
import type { Bundle } from 'fhir/r4.js';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../config.js';
import { createFhirFallback, type FhirClient } from './fhir-client.js';
import type { FhirFetchRequest } from './fhir-fallback.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let handler: Handler;
const seen: { url: string; authorization?: string }[] = [];
const server = createServer((req, res) => {
  seen.push({ url: req.url ?? '', ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
  handler(req, res);
});
let base = '';
let client: FhirClient;
const slowTimers = new Set<NodeJS.Timeout>();

const json = (status: number, body: unknown): Handler => (_req, res) => {
  res.writeHead(status, { 'content-type': 'application/fhir+json' });
  res.end(JSON.stringify(body));
};
const searchset = (ids: string[], next?: string) => ({
  resourceType: 'Bundle',
  type: 'searchset',
  total: 9,
  entry: ids.map((id) => ({ resource: { resourceType: 'Observation', id } })),
  ...(next ? { link: [{ relation: 'self', url: 'x' }, { relation: 'next', url: next }] } : {}),
});

beforeAll(async () => {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/fhir`;
  const fhir = { ...defaultConfig().fhir, allowHttp: [base], requestTimeoutMs: 150, deadlineMs: 3000, maxPages: 3 };
  client = createFhirFallback(fhir);
});
afterAll(async () => {
  for (const t of slowTimers) clearTimeout(t);
  await client.close();
  server.closeAllConnections();
  server.close();
});
beforeEach(() => {
  seen.length = 0;
});

const fetchReq = (relativeUrl: string, extra: Partial<FhirFetchRequest> = {}): FhirFetchRequest => ({
  key: 'k',
  relativeUrl,
  fhirServer: base,
  hookInstance: 'hi',
  signal: new AbortController().signal,
  ...extra,
});

describe('createFhirFallback', () => {
  it('reads a resource with Accept: application/fhir+json and the Bearer token', async () => {
    handler = json(200, { resourceType: 'Patient', id: 'p1' });
    const result = await client.fallback(fetchReq('Patient/p1', { accessToken: 'tok-1' }));
    expect(result).toEqual({ status: 'ok', resource: { resourceType: 'Patient', id: 'p1' } });
    expect(seen).toEqual([{ url: '/fhir/Patient/p1', authorization: 'Bearer tok-1' }]);
  });

  it('sends no Authorization header without a token', async () => {
    handler = json(200, { resourceType: 'Patient', id: 'p1' });
    await client.fallback(fetchReq('Patient/p1'));
    expect(seen[0]!.authorization).toBeUndefined();
  });

  it('reads a 404 on a read as "no such resource", but a 404 on a search as unavailable', async () => {
    handler = json(404, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found' }] });
    expect(await client.fallback(fetchReq('Encounter/e1'))).toEqual({ status: 'ok', resource: null });
    expect(await client.fallback(fetchReq('Observation?patient=p1'))).toMatchObject({ status: 'unavailable', reason: expect.stringMatching(/HTTP 404/) });
  });

  it.each([
    [401, /refused access \(HTTP 401\)/],
    [403, /refused access \(HTTP 403\)/],
    [500, /answered HTTP 500/],
    [503, /answered HTTP 503/],
  ])('makes HTTP %i unavailable', async (status, reason) => {
    handler = json(status, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception', diagnostics: 'Patient p1 Smith' }] });
    const result = await client.fallback(fetchReq('Patient/p1', { accessToken: 'tok-secret' }));
    expect(result).toMatchObject({ status: 'unavailable', reason: expect.stringMatching(reason) });
    expect(JSON.stringify(result)).not.toMatch(/tok-secret|p1|Smith/);
  });

  it('makes an OperationOutcome answered with 200 unavailable, naming issue codes only', async () => {
    handler = json(200, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'too-costly', diagnostics: 'for Patient p1' }] });
    const result = await client.fallback(fetchReq('Observation?patient=p1'));
    expect(result).toEqual({ status: 'unavailable', reason: 'the FHIR server answered with an OperationOutcome (too-costly)' });
  });

  it('makes a body that is not JSON, or JSON that is not a resource, unavailable', async () => {
    handler = (_req, res) => res.end('<html>login</html>');
    expect(await client.fallback(fetchReq('Patient/p1'))).toMatchObject({ status: 'unavailable', reason: expect.stringMatching(/not JSON/) });
    handler = json(200, [1, 2]);
    expect(await client.fallback(fetchReq('Patient/p1'))).toMatchObject({ status: 'unavailable', reason: expect.stringMatching(/not a FHIR resource/) });
  });

  it('does not follow a redirect (it could lead off the allowed server)', async () => {
    handler = (_req, res) => {
      res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' });
      res.end();
    };
    expect(await client.fallback(fetchReq('Patient/p1'))).toMatchObject({ status: 'unavailable', reason: expect.stringMatching(/HTTP 302/) });
    expect(seen).toHaveLength(1);
  });

  it('gives up on one call after FHIR_REQUEST_TIMEOUT_MS', async () => {
    handler = (_req, res) => {
      slowTimers.add(setTimeout(() => json(200, { resourceType: 'Patient' })(_req, res), 2000));
    };
    const start = performance.now();
    const result = await client.fallback(fetchReq('Patient/p1'));
    expect(result).toMatchObject({ status: 'unavailable', reason: expect.stringMatching(/did not answer within 150 ms/) });
    expect(performance.now() - start).toBeLessThan(1000);
  });

  it('stops at the hook call deadline and does not start a call after it', async () => {
    handler = (_req, res) => {
      slowTimers.add(setTimeout(() => json(200, { resourceType: 'Patient' })(_req, res), 2000));
    };
    const deadline = new AbortController();
    setTimeout(() => deadline.abort(), 50);
    const result = await client.fallback(fetchReq('Patient/p1', { signal: deadline.signal }));
    expect(result).toMatchObject({ status: 'unavailable', reason: expect.stringMatching(/deadline/) });
    seen.length = 0;
    expect(await client.fallback(fetchReq('Patient/p1', { signal: deadline.signal }))).toMatchObject({ status: 'unavailable' });
    expect(seen).toEqual([]);
  });

  it('reports a server that cannot be reached by error code', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const deadBase = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/fhir`;
    closed.close();
    await once(closed, 'close');
    const deadClient = createFhirFallback({ ...defaultConfig().fhir, allowHttp: [deadBase] });
    try {
      const result = await deadClient.fallback(fetchReq('Patient/p1', { fhirServer: deadBase }));
      expect(result).toEqual({ status: 'unavailable', reason: 'the FHIR server could not be reached (ECONNREFUSED)' });
    } finally {
      await deadClient.close();
    }
  });

  it('calls nothing without fhirServer, or for a server not allowed', async () => {
    handler = json(200, { resourceType: 'Patient' });
    const { fhirServer: _none, ...noServer } = fetchReq('Patient/p1');
    expect(await client.fallback(noServer)).toMatchObject({ status: 'unavailable' });
    expect(await client.fallback(fetchReq('Patient/p1', { fhirServer: `${base}-other` }))).toMatchObject({ status: 'unavailable', reason: expect.stringMatching(/not an allowed/) });
    expect(seen).toEqual([]);
  });
});

describe('createFhirFallback: paging', () => {
  it('follows next links (absolute or relative) on the same server and merges the pages', async () => {
    handler = (req, res) => {
      const page = new URL(req.url!, 'http://x').searchParams.get('page');
      if (!page) return json(200, searchset(['a', 'b'], `${base}/Observation?patient=p1&page=2`))(req, res);
      return page === '2'
        ? json(200, searchset(['c'], 'Observation?patient=p1&page=3'))(req, res) // a relative link
        : json(200, searchset(['d']))(req, res);
    };
    const result = await client.fallback(fetchReq('Observation?patient=p1'));
    expect(seen.map((s) => s.url)).toEqual(['/fhir/Observation?patient=p1', '/fhir/Observation?patient=p1&page=2', '/fhir/Observation?patient=p1&page=3']);
    expect(result).toEqual({
      status: 'ok',
      resource: {
        resourceType: 'Bundle',
        type: 'searchset',
        total: 9,
        entry: ['a', 'b', 'c', 'd'].map((id) => ({ resource: { resourceType: 'Observation', id } })),
      },
    });
  });

  it('stops at FHIR_MAX_PAGES and leaves the next link, so the result reads as partial', async () => {
    let n = 0;
    handler = (req, res) => json(200, searchset([`o${++n}`], `${base}/Observation?page=${n + 1}`))(req, res);
    const result = await client.fallback(fetchReq('Observation?patient=p1'));
    expect(seen).toHaveLength(3);
    expect(result.status === 'ok' && result.resource).toMatchObject({ link: [{ relation: 'next', url: `${base}/Observation?page=4` }] });
  });

  it('counts pages the caller already holds', async () => {
    let n = 0;
    handler = (req, res) => json(200, searchset([`o${++n}`], `${base}/Observation?page=${n + 1}`))(req, res);
    await client.fallback(fetchReq('Observation?page=2', { pagesAlreadyRead: 1 }));
    expect(seen).toHaveLength(2);
    seen.length = 0;
    expect(await client.fallback(fetchReq('Observation?page=2', { pagesAlreadyRead: 3 }))).toMatchObject({ status: 'unavailable' });
    expect(seen).toEqual([]);
  });

  it('never follows a next link off the server, and keeps page 1 as partial', async () => {
    handler = json(200, searchset(['a'], 'https://evil.example/fhir/Observation?page=2'));
    const result = await client.fallback(fetchReq('Observation?patient=p1', { accessToken: 'tok' }));
    expect(seen).toHaveLength(1);
    expect(result.status === 'ok' && result.resource).toMatchObject({ entry: [{ resource: { id: 'a' } }], link: [{ relation: 'next' }] });
  });

  it('keeps the pages read when a later page fails', async () => {
    handler = (req, res) =>
      req.url!.includes('page=2') ? json(500, {})(req, res) : json(200, searchset(['a'], `${base}/Observation?page=2`))(req, res);
    const result = await client.fallback(fetchReq('Observation?patient=p1'));
    expect(result.status === 'ok' && result.resource).toMatchObject({ entry: [{ resource: { id: 'a' } }], link: [{ relation: 'next' }] });
  });
});

describe('createFhirFallback: a broken server (issue 12 #5)', () => {
  // Each broken answer counts against the server: without a breaker, so that every case reaches it.
  let client: FhirClient;
  beforeAll(() => {
    client = createFhirFallback({ ...defaultConfig().fhir, allowHttp: [base], requestTimeoutMs: 2000, maxPages: 3, breakerFailures: 0 });
  });
  afterAll(() => client.close());
  const bundle = (extra: Record<string, unknown>) => ({ resourceType: 'Bundle', type: 'searchset', ...extra });
  it.each([
    ['link a string', bundle({ link: 'x' })],
    ['entry a number', bundle({ entry: 7 })],
    ['entry [null]', bundle({ entry: [null] })],
    ['entry without resource', bundle({ entry: [{ fullUrl: 'x' }] })],
    ['OperationOutcome.issue a string', { resourceType: 'OperationOutcome', issue: 'x' }],
    ['resourceType __proto__ in an entry', bundle({ entry: [{ resource: { resourceType: '__proto__' } }] })],
    ['nested deeper than MAX_JSON_DEPTH', bundle({ meta: JSON.parse('{"a":'.repeat(80) + '1' + '}'.repeat(80)) })],
  ])('makes an answer with %s unavailable, never a crash', async (_name, body) => {
    handler = json(200, body);
    expect(await client.fallback(fetchReq('Observation?patient=p1'))).toMatchObject({ status: 'unavailable', reason: expect.stringMatching(/malformed FHIR|nested too deep/) });
  });

  it('keeps page 1 as partial when a next page is malformed', async () => {
    handler = (req, res) => (req.url!.includes('page=2') ? json(200, bundle({ entry: 7 }))(req, res) : json(200, searchset(['a'], `${base}/Observation?page=2`))(req, res));
    const result = await client.fallback(fetchReq('Observation?patient=p1'));
    expect(result.status === 'ok' && result.resource).toMatchObject({ entry: [{ resource: { id: 'a' } }], link: [{ relation: 'next' }] });
  });

  it('merges a next page of 150,000 entries without overflowing the stack', async () => {
    const big = createFhirFallback({ ...defaultConfig().fhir, allowHttp: [base], maxPages: 3, requestTimeoutMs: 10_000, callBudget: { maxBytes: 64 * 1024 * 1024, maxEntries: 1_000_000, maxDepth: 64 } });
    const page2 = JSON.stringify(bundle({ entry: Array.from({ length: 150_000 }, () => ({ resource: { resourceType: 'Observation' } })) }));
    handler = (req, res) => (req.url!.includes('page=2') ? res.end(page2) : json(200, searchset(['a'], `${base}/Observation?page=2`))(req, res));
    try {
      const result = await big.fallback(fetchReq('Observation?patient=p1'));
      expect(result.status === 'ok' && (result.resource as Bundle).entry?.length).toBe(150_001);
    } finally {
      await big.close();
    }
  }, 30_000);
});

describe('createFhirFallback: one byte and entry budget per hook call (issue 12 #6)', () => {
  let small: FhirClient;
  beforeAll(() => {
    small = createFhirFallback({ ...defaultConfig().fhir, allowHttp: [base], maxPages: 5, requestTimeoutMs: 2000, callBudget: { maxBytes: 20_000, maxEntries: 10, maxDepth: 64 } });
  });
  afterAll(() => small.close());

  it('stops reading an answer past the byte budget: the key is unavailable, the rest of the body unread', async () => {
    handler = json(200, { resourceType: 'Patient', id: 'p1', text: { div: 'x'.repeat(50_000) } });
    const result = await small.fallback(fetchReq('Patient/p1', { budget: { bytes: 0, items: 0 } }));
    expect(result).toEqual({ status: 'unavailable', reason: expect.stringMatching(/size limit \(BODY_LIMIT_BYTES/) });
  });

  it('shares the budget between the fetches of one call: the second key finds it spent', async () => {
    handler = json(200, { resourceType: 'Patient', id: 'p1', text: { div: 'x'.repeat(12_000) } });
    const budget = { bytes: 0, items: 0 };
    expect(await small.fallback(fetchReq('Patient/p1', { budget }))).toMatchObject({ status: 'ok' });
    expect(await small.fallback(fetchReq('Patient/p1', { budget }))).toMatchObject({ status: 'unavailable', reason: expect.stringMatching(/size limit/) });
    // Another hook call has its own budget.
    expect(await small.fallback(fetchReq('Patient/p1', { budget: { bytes: 0, items: 0 } }))).toMatchObject({ status: 'ok' });
  });

  it('stops paging at the entry budget and leaves the next link: partial, not silently complete', async () => {
    let n = 0;
    handler = (req, res) => json(200, searchset(Array.from({ length: 4 }, (_, i) => `o${n}-${i}`), `${base}/Observation?page=${++n + 1}`))(req, res);
    const result = await small.fallback(fetchReq('Observation?patient=p1', { budget: { bytes: 0, items: 0 } }));
    expect(seen).toHaveLength(3); // 4 + 4 entries taken, the third page would pass 10
    expect(result.status === 'ok' && result.resource).toMatchObject({ link: [{ relation: 'next' }] });
    expect(result.status === 'ok' && (result.resource as Bundle).entry).toHaveLength(8);
  });

  it('does not count a spent budget against the server (the circuit stays closed)', async () => {
    handler = json(200, { resourceType: 'Patient', id: 'p1', text: { div: 'x'.repeat(50_000) } });
    for (let i = 0; i < 8; i++) await small.fallback(fetchReq('Patient/p1', { budget: { bytes: 0, items: 0 } }));
    handler = json(200, { resourceType: 'Patient', id: 'p1' });
    expect(await small.fallback(fetchReq('Patient/p1', { budget: { bytes: 0, items: 0 } }))).toMatchObject({ status: 'ok' });
  });
});
