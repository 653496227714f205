/**
 * The bounds of FHIR fetching against a real server: the per-hook-call deadline (a slow server
 * cannot hold the answer past FHIR_DEADLINE_MS) and the page limit (FHIR_MAX_PAGES).
 */
import { describe, expect, it } from 'vitest';
import copOrderSelect from '../../hooks/cop-order-select.js';
import { fillTemplate } from '../../src/cds/prefetch.js';
import { cardFor, expectWellFormed } from '../http/cards-contract.js';
import { fullPrefetch, PATIENT_ID } from './chart.js';
import { useFhirIntegration } from './harness.js';

type Json = Record<string, unknown>;

const DEADLINE_MS = 600;
/** Scheduling slack on a loaded machine; the slow server itself would take 5 s. */
const MARGIN_MS = 500;
const SELECT = '/cds-services/cop-order-select';
// The per-call timeout is longer than the deadline, so only the deadline can end a slow call.
const { http, server, request } = useFhirIntegration({ deadlineMs: DEADLINE_MS, requestTimeoutMs: 3000, maxPages: 2 });

const LABS = decodeURIComponent(fillTemplate(copOrderSelect.prefetch.labs!.template, { userId: 'Practitioner/x', patientId: PATIENT_ID })!);
const without = (prefetch: Json, ...keys: string[]): Json =>
  Object.fromEntries(Object.entries(prefetch).filter(([k]) => !keys.includes(k)));

async function timed<T>(run: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const start = performance.now();
  const result = await run();
  return { result, ms: performance.now() - start };
}

describe('deadline for one hook call', () => {
  it('answers 412 at the deadline when a required key is slow', async () => {
    server().behave({ slow: { ms: 5000, match: /29463-7/ } });
    const { result: res, ms } = await timed(() => http().post(SELECT).send(request(without(fullPrefetch(), 'weight'))));
    expect(res.status).toBe(412);
    expect(JSON.stringify(res.body)).toMatch(/weight: the FHIR deadline of this hook call \(FHIR_DEADLINE_MS\) passed/);
    expect(ms).toBeGreaterThanOrEqual(DEADLINE_MS - 10);
    expect(ms).toBeLessThan(DEADLINE_MS + MARGIN_MS);
  });

  it('bounds all keys together: a server slow for everything still gets one deadline, not one per key', async () => {
    server().behave({ slow: { ms: 5000 } });
    const { result: res, ms } = await timed(() => http().post(SELECT).send(request(undefined)));
    expect(res.status).toBe(412);
    expect(ms).toBeLessThan(DEADLINE_MS + MARGIN_MS);
    expect(server().requests.length).toBe(10); // every key was asked for at once (encounter has no encounterId)
  });

  it('answers with cards at the deadline when only an optional key is slow, noting the missing data', async () => {
    server().behave({ slow: { ms: 5000, match: /2324-2/ } });
    const { result: res, ms } = await timed(() => http().post(SELECT).send(request(without(fullPrefetch(), 'labs'))));
    expect(res.status).toBe(200);
    expectWellFormed(res.body);
    expect(cardFor(res.body, 'COP-R09').detail).toMatch(/Liver enzymes \(GGT\/ALP\) could not be read/);
    expect(ms).toBeLessThan(DEADLINE_MS + MARGIN_MS);
  });
});

describe('page limit (FHIR_MAX_PAGES = 2)', () => {
  it('reads at most two pages of a fetched search and treats the rest as not seen', async () => {
    server().behave({ pageSize: 2 });
    const res = await http().post(SELECT).send(request(without(fullPrefetch(), 'labs'))).expect(200);
    expect(server().paths()).toEqual([LABS, `${LABS}&_page=2`]);
    expect(cardFor(res.body, 'COP-R09').detail).not.toMatch(/GGT 130/); // the GGT is on page 3
  });

  it('counts the page a paginated prefetch Bundle brought: one more page only', async () => {
    server().behave({ pageSize: 2 });
    const firstPage = (await (await fetch(`${server().base}/${LABS}`)).json()) as Json;
    server().reset();
    server().behave({ pageSize: 2 });
    await http().post(SELECT).send(request({ ...fullPrefetch(), labs: firstPage })).expect(200);
    expect(server().paths()).toEqual([`${LABS}&_page=2`]);
  });
});
