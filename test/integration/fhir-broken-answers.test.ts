/**
 * A hook call against an allowed FHIR server that answers broken FHIR or too much of it (issue 12
 * #5, #6): the key is unavailable (412 when required, a "could not be read" note when optional) and
 * the call answers within its deadline, never 500. Fetched answers get the same envelope checks and
 * the same byte and entry limits as prefetch, counted once per hook call.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bundleOf, fhirish, resourceOf } from '../fixtures/fhirish.js';
import { cardFor, expectWellFormed } from '../http/cards-contract.js';
import { fullPrefetch } from './chart.js';
import { useFhirIntegration } from './harness.js';

type Json = Record<string, unknown>;

const SELECT = '/cds-services/cop-order-select';
const LIVER = /2324-2/; // the labs search (GGT, ALP): an optional key
const WEIGHT = /29463-7/; // a required key
const BUDGET_BYTES = 256 * 1024;
const { http, server, request } = useFhirIntegration({
  deadlineMs: 2000, requestTimeoutMs: 1500, breakerFailures: 0,
  callBudget: { maxBytes: BUDGET_BYTES, maxEntries: 500, maxDepth: 64 },
});

const without = (prefetch: Json, ...keys: string[]): Json => Object.fromEntries(Object.entries(prefetch).filter(([k]) => !keys.includes(k)));
const bundle = (extra: Json): Json => ({ resourceType: 'Bundle', type: 'searchset', ...extra });

describe('a FHIR server answering broken FHIR', () => {
  const broken: [string, unknown][] = [
    ['link a string', bundle({ link: 'x' })],
    ['entry a number', bundle({ entry: 7 })],
    ['entry [null]', bundle({ entry: [null] })],
    ['OperationOutcome.issue a string', { resourceType: 'OperationOutcome', issue: 'x' }],
    ['an Observation id that is an object', bundle({ entry: [{ resource: { resourceType: 'Observation', id: { a: 1 } } }] })],
  ];
  for (const [name, body] of broken) {
    it(`${name}: an optional key is noted as unreadable, a required one answers 412`, async () => {
      server().behave({ answer: { match: LIVER, body } });
      const optional = await http().post(SELECT).send(request(without(fullPrefetch(), 'labs')));
      expect(optional.status).toBe(200);
      expectWellFormed(optional.body);
      expect(cardFor(optional.body, 'COP-R09').detail).toMatch(/Liver enzymes \(GGT\/ALP\) could not be read/);

      server().behave({ answer: { match: WEIGHT, body } });
      const required = await http().post(SELECT).send(request(without(fullPrefetch(), 'weight')));
      expect(required.status).toBe(412);
      expect(JSON.stringify(required.body)).toMatch(/weight: the FHIR server answered with malformed FHIR/);
    });
  }
});

describe('one byte and entry budget per hook call (the prefetch limits)', () => {
  it('an answer larger than the budget is not read: the key is unavailable, the call answers at once', async () => {
    const huge = bundle({ entry: [{ resource: { resourceType: 'Observation', id: 'big', status: 'final', note: [{ text: 'x'.repeat(4 * BUDGET_BYTES) }] } }] });
    server().behave({ answer: { match: LIVER, body: huge } });
    const start = performance.now();
    const res = await http().post(SELECT).send(request(without(fullPrefetch(), 'labs'))).expect(200);
    expect(performance.now() - start).toBeLessThan(1500);
    expect(cardFor(res.body, 'COP-R09').detail).toMatch(/Liver enzymes \(GGT\/ALP\) could not be read/);
  });

  it('a search past the entry budget is refused: too many entries is never read as all of them', async () => {
    const many = bundle({ entry: Array.from({ length: 501 }, (_, i) => ({ resource: { resourceType: 'Observation', id: `o${i}`, status: 'final' } })) });
    server().behave({ answer: { match: LIVER, body: many } });
    const res = await http().post(SELECT).send(request(without(fullPrefetch(), 'labs'))).expect(200);
    expect(cardFor(res.body, 'COP-R09').detail).toMatch(/Liver enzymes \(GGT\/ALP\) could not be read/);
  });

  it('the budget is per hook call: the next call reads again', async () => {
    server().behave({});
    await http().post(SELECT).send(request(without(fullPrefetch(), 'labs'))).expect(200);
    const res = await http().post(SELECT).send(request(without(fullPrefetch(), 'labs'))).expect(200);
    expect(cardFor(res.body, 'COP-R09').detail).not.toMatch(/could not be read/);
  });
});

describe('generated FHIR server answers', () => {
  /** Answers a broken server gives: random JSON, FHIR-like resources, Bundles with a part replaced. */
  const bad = fc.constantFrom<unknown>('x', 7, null, [null], [1], {}, [{}], { resource: null }, [{ resource: 'x' }]);
  const answer = fc.oneof(
    fc.jsonValue(),
    fhirish,
    resourceOf('Observation'),
    bundleOf('Observation'),
    fc.tuple(bundleOf('Observation'), fc.constantFrom('entry', 'link', 'total', 'type'), bad).map(([b, key, value]) => ({ ...b, [key]: value })),
    fc.tuple(fc.constantFrom('OperationOutcome', 'constructor', '__proto__', 'Bundle'), bad).map(([resourceType, issue]) => ({ resourceType, issue })),
  );

  it('never answers 5xx, whatever an allowed server answers for a required or an optional key', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(answer, fc.boolean(), async (body, required) => {
        server().behave({ answer: { match: required ? WEIGHT : LIVER, body } });
        const res = await http().post(SELECT).send(request(without(fullPrefetch(), required ? 'weight' : 'labs')));
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        expect(res.status === 200 || res.status === 412, `HTTP ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`).toBe(true);
        if (res.status === 200) expectWellFormed(res.body);
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 0) || 150, seed: Number(process.env.FUZZ_SEED ?? 20261202) },
    );
    expect(statuses.get(200) ?? 0).toBeGreaterThan(20);
    expect(statuses.get(412) ?? 0).toBeGreaterThan(20);
  }, 60_000);
});
