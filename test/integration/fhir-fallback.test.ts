/**
 * The FHIR fallback against a real FHIR server (medplum in memory, test/fixtures/fhir-server.ts):
 * keys the EHR did not send are fetched with the service's own templates and give the same cards
 * as a full prefetch; null and OperationOutcome values are not re-queried; failures of required
 * data answer 412; pages are followed on the same server only; a server not allowed gets 403 and
 * no request at all.
 */
import { describe, expect, it } from 'vitest';
import copOrderSelect from '../../hooks/cop-order-select.js';
import { fillTemplate } from '../../src/cds/prefetch.js';
import { cardFor, expectWellFormed, type WireCard } from '../http/cards-contract.js';
import { fullPrefetch, PATIENT_ID } from './chart.js';
import { essentials, useFhirIntegration, withoutUuids } from './harness.js';

type Json = Record<string, unknown>;

const SELECT = '/cds-services/cop-order-select';
const { http, server, other, request } = useFhirIntegration();

const context = { userId: 'Practitioner/COREPRACTITIONER1', patientId: PATIENT_ID };
/** The relative URL the service must GET for a key: its template, filled (decoded for comparison). */
const urlFor = (key: keyof typeof copOrderSelect.prefetch): string =>
  decodeURIComponent(fillTemplate(copOrderSelect.prefetch[key]!.template, context)!);
const LABS = urlFor('labs');

const token = { access_token: 'tok-integration-77', token_type: 'Bearer', expires_in: 300, scope: 'user/*.read', subject: 'cop-cds' };

async function call(body: Json, status = 200): Promise<{ cards: WireCard[] }> {
  const res = await http().post(SELECT).send(body);
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  if (status === 200) expectWellFormed(res.body);
  return res.body;
}

let fullAnswer: { cards: WireCard[] } | undefined;
/** The cards for the chart sent as a complete prefetch (no FHIR call needed). */
async function fullPrefetchCards(): Promise<{ cards: WireCard[] }> {
  fullAnswer ??= await call(request(fullPrefetch()));
  return fullAnswer;
}

const without = (prefetch: Json, ...keys: string[]): Json =>
  Object.fromEntries(Object.entries(prefetch).filter(([k]) => !keys.includes(k)));

describe('missing prefetch: fetched from the FHIR server', () => {
  it('fetches every key with its template and answers exactly as for a full prefetch', async () => {
    const expected = await fullPrefetchCards();
    expect(server().requests).toEqual([]); // a full prefetch needs no call
    const fetched = await call(request(undefined));

    expect(essentials(fetched)).toEqual(essentials(expected));
    expect(withoutUuids(fetched)).toEqual(withoutUuids(expected));
    // Weight 60 kg of this patient (not the other patient's newer 90 kg), GGT from the labs search.
    expect(cardFor(fetched, 'COP-R01').summary).toMatch(/45 mg/);
    expect(cardFor(fetched, 'COP-R09').summary).toMatch(/GGT 2\.4× ULN/);

    const keys = ['patient', 'conditions', 'weight', 'oxygenation', 'pft', 'labs', 'meds', 'pregnancy', 'allergies', 'followUp'] as const;
    expect([...server().paths()].sort()).toEqual(keys.map(urlFor).sort()); // encounter: no encounterId, so not fetchable
    for (const r of server().requests) {
      expect(r.method).toBe('GET');
      expect(r.accept).toBe('application/fhir+json');
    }
  });

  it('fetches only the keys missing from a partial prefetch', async () => {
    const partial = without(fullPrefetch(), 'labs', 'meds', 'oxygenation');
    const fetched = await call(request(partial));
    expect(essentials(fetched)).toEqual(essentials(await fullPrefetchCards()));
    expect([...server().paths()].sort()).toEqual([urlFor('labs'), urlFor('meds'), urlFor('oxygenation')].sort());
  });

  it('does not refetch a key sent as null: it ran and found nothing', async () => {
    const prefetch = { ...without(fullPrefetch(), 'oxygenation'), pregnancy: null, labs: null };
    const fetched = await call(request(prefetch));
    expect(server().paths()).toEqual([urlFor('oxygenation')]);
    // labs null = no results, so no GGT: not "could not be read" either.
    const r09 = cardFor(fetched, 'COP-R09');
    expect(r09.detail).not.toMatch(/GGT 130/);
    expect(r09.detail).not.toMatch(/could not be read/);
  });

  it('sends the token as a Bearer header on every call when fhirAuthorization gives one', async () => {
    await call(request(without(fullPrefetch(), 'weight', 'labs'), { fhirAuthorization: token }));
    expect(server().requests).toHaveLength(2);
    for (const r of server().requests) expect(r.authorization).toBe(`Bearer ${token.access_token}`);
  });

  it('sends no Authorization header without fhirAuthorization (as the CDS Hooks Sandbox calls)', async () => {
    await call(request(without(fullPrefetch(), 'weight', 'labs')));
    expect(server().requests).toHaveLength(2);
    for (const r of server().requests) expect(r.authorization).toBeUndefined();
  });
});

describe('FHIR server failures', () => {
  it('answers 412 when the server refuses a required key (401), naming the key and not the token', async () => {
    server().behave({ unauthorized: /^MedicationRequest\?/ });
    const res = await http().post(SELECT).send(request(without(fullPrefetch(), 'meds'), { fhirAuthorization: token })).expect(412);
    expect(res.body.resourceType).toBe('OperationOutcome');
    const text = JSON.stringify(res.body);
    expect(text).toMatch(/meds: the FHIR server refused access \(HTTP 401\)/);
    expect(text).not.toContain(token.access_token);
    expect(text).not.toContain(PATIENT_ID);
  });

  it('goes on without an optional key the server refuses, and says the data could not be read', async () => {
    server().behave({ unauthorized: /^Observation\?.*2324-2/ });
    const body = await call(request(without(fullPrefetch(), 'labs')));
    expect(cardFor(body, 'COP-R09').detail).toMatch(/Liver enzymes \(GGT\/ALP\) could not be read/);
  });

  it('answers 412 when the server answers a required key with an OperationOutcome', async () => {
    server().behave({ outcome: /^Observation\?.*29463-7/ });
    const res = await http().post(SELECT).send(request(without(fullPrefetch(), 'weight'))).expect(412);
    expect(JSON.stringify(res.body)).toMatch(/weight: the FHIR server answered with an OperationOutcome \(exception\)/);
  });

  it('answers 412 for a required key sent as an OperationOutcome, without asking the server again', async () => {
    const outcome = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'timeout' }] };
    const res = await http().post(SELECT).send(request({ ...fullPrefetch(), weight: outcome })).expect(412);
    expect(JSON.stringify(res.body)).toMatch(/weight: the EHR reported an OperationOutcome/);
    expect(server().requests).toEqual([]);
  });

  it('treats an optional key sent as an OperationOutcome as unreadable, without asking the server again', async () => {
    const outcome = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception' }] };
    const body = await call(request({ ...fullPrefetch(), labs: outcome }));
    expect(cardFor(body, 'COP-R09').detail).toMatch(/could not be read/);
    expect(server().requests).toEqual([]);
  });
});

describe('paginated results', () => {
  it('follows next links and merges every page of a fetched search', async () => {
    server().behave({ pageSize: 2 });
    const fetched = await call(request(without(fullPrefetch(), 'labs')));
    expect(server().paths()).toEqual([LABS, `${LABS}&_page=2`, `${LABS}&_page=3`]);
    // The GGT is the last result (page 3): the card shows it only if every page was merged.
    expect(essentials(fetched)).toEqual(essentials(await fullPrefetchCards()));
    expect(cardFor(fetched, 'COP-R09').summary).toMatch(/GGT 2\.4× ULN/);
  });

  it('reads the remaining pages of a paginated prefetch Bundle from fhirServer', async () => {
    server().behave({ pageSize: 2 });
    const firstPage = (await (await fetch(`${server().base}/${LABS}`)).json()) as Json;
    expect(firstPage.link).toBeDefined();
    server().reset();
    server().behave({ pageSize: 2 });

    const fetched = await call(request({ ...fullPrefetch(), labs: firstPage }));
    expect(server().paths()).toEqual([`${LABS}&_page=2`, `${LABS}&_page=3`]);
    expect(cardFor(fetched, 'COP-R09').summary).toMatch(/GGT 2\.4× ULN/);
  });

  it('keeps the partial data of a paginated prefetch Bundle when there is no fhirServer', async () => {
    server().behave({ pageSize: 2 });
    const firstPage = (await (await fetch(`${server().base}/${LABS}`)).json()) as Json;
    server().reset();

    const body = request({ ...fullPrefetch(), labs: firstPage });
    delete body.fhirServer;
    const answer = await call(body);
    expect(server().requests).toEqual([]);
    expect(cardFor(answer, 'COP-R09').detail).toMatch(/No GGT or ALP within/);
  });

  it('never follows a next link onto another server: stops, keeps page 1', async () => {
    server().behave({ pageSize: 2, nextLinkBase: other().base });
    const answer = await call(request(without(fullPrefetch(), 'labs')));
    expect(server().paths()).toEqual([LABS]);
    expect(other().requests).toEqual([]);
    expect(cardFor(answer, 'COP-R09').detail).toMatch(/No GGT or ALP within/);
  });
});

describe('only allowed FHIR servers', () => {
  const expectForbidden = async (fhirServer: string, prefetch: Json | undefined): Promise<void> => {
    const res = await http().post(SELECT).send(request(prefetch, { fhirServer, fhirAuthorization: token })).expect(403);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].code).toBe('forbidden');
    expect(res.body.issue[0].diagnostics).toContain(JSON.stringify(fhirServer));
    expect(res.body.issue[0].diagnostics).toContain('CDS_FHIR_ALLOWLIST');
    expect(server().requests).toEqual([]);
    expect(other().requests).toEqual([]);
  };

  it('answers 403 with no outbound request for a server not on the allow-list', async () => {
    await expectForbidden(other().base, undefined);
  });

  it('answers 403 even when the prefetch is complete and nothing would be fetched', async () => {
    await expectForbidden(other().base, fullPrefetch());
  });

  it('matches the whole base URL: no prefix, user-info, host-name or path tricks', async () => {
    const { host } = new URL(server().base);
    const port = host.split(':')[1];
    for (const trick of [
      `http://127.0.0.1:${port}/fhir-evil`,
      `http://127.0.0.1:${port}/fhir/Patient`,
      `http://127.0.0.1:${port}/`,
      `http://localhost:${port}/fhir`,
      `http://127.0.0.1@127.0.0.1:${port}/fhir`,
      `http://127.0.0.1:${port}/fhir?x=1`,
      `https://127.0.0.1:${port}/fhir`,
      other().base,
    ]) {
      await expectForbidden(trick, undefined);
    }
  });

  it('accepts the allowed server however its scheme, host case and trailing slash are written', async () => {
    const variant = server().base.replace('http://', 'HTTP://') + '/';
    await call(request(without(fullPrefetch(), 'weight'), { fhirServer: variant }));
    expect(server().paths()).toEqual([urlFor('weight')]);
  });
});
