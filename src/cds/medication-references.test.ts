import type { Medication, MedicationRequest, Resource } from 'fhir/r4.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FhirFetchResult } from './fhir-fallback.js';
import { createMedicationResolver, MAX_MEDICATION_READS } from './medication-references.js';

const BASE = 'https://ehr.example.org/fhir';
const med = (id: string): Medication => ({ resourceType: 'Medication', id, code: { text: `drug ${id}` } });
const order = (reference: string, id = reference): MedicationRequest => ({
  resourceType: 'MedicationRequest', id: `mr-${id.replace(/[^A-Za-z0-9]/g, '')}`, status: 'active', intent: 'order',
  subject: { reference: 'Patient/p' }, medicationReference: { reference },
});

/** A fake fallback that records reads and answers from a table (missing → 404), optionally after a delay. */
function fakeServer(answers: Record<string, FhirFetchResult | (() => Promise<FhirFetchResult>)> = {}) {
  const reads: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  return {
    reads,
    maxInFlight: () => maxInFlight,
    read: async (relativeUrl: string): Promise<FhirFetchResult> => {
      reads.push(relativeUrl);
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight -= 1;
      const answer = answers[relativeUrl];
      if (typeof answer === 'function') return answer();
      if (answer) return answer;
      const id = relativeUrl.split('/')[1] ?? '';
      return id.startsWith('ok') ? { status: 'ok', resource: med(id) } : { status: 'ok', resource: null };
    },
  };
}

describe('external Medication references', () => {
  it('uses a Medication sent with the request before reading anything', async () => {
    const server = fakeServer();
    const resolver = createMedicationResolver({ fhirServer: BASE, read: server.read });
    resolver.addResources([med('m1')]);
    resolver.resolveOrdersOf([order('Medication/m1')]);
    const result = await resolver.settle();
    expect(server.reads).toEqual([]);
    expect(result.medications.get('Medication/m1')?.id).toBe('m1');
    expect(result.counts).toEqual({ inRequest: 1, read: 0, unresolved: 0 });
  });

  it('resolves urn:uuid and absolute references by the entry fullUrl', async () => {
    const server = fakeServer();
    const resolver = createMedicationResolver({ fhirServer: BASE, read: server.read });
    resolver.addResources([med('a'), { resourceType: 'Medication', code: { text: 'no id' } } as Resource], [undefined, 'urn:uuid:6f1f6a3e-8d0b-4d8e-9d4b-1b2d3c4e5f60']);
    resolver.resolveOrdersOf([order('urn:uuid:6f1f6a3e-8d0b-4d8e-9d4b-1b2d3c4e5f60')]);
    const result = await resolver.settle();
    expect(result.medications.get('urn:uuid:6f1f6a3e-8d0b-4d8e-9d4b-1b2d3c4e5f60')?.code?.text).toBe('no id');
    expect(server.reads).toEqual([]);
  });

  it('reads each missing Medication once per call, all in parallel', async () => {
    const server = fakeServer();
    const resolver = createMedicationResolver({ fhirServer: BASE, read: server.read });
    resolver.resolveOrdersOf([order('Medication/ok1', 'a'), order('Medication/ok1', 'b'), order('Medication/ok2'), order(`${BASE}/Medication/ok1`, 'c')]);
    resolver.resolveOrdersOf([order('Medication/ok2', 'd'), order('Medication/ok3/_history/4')]);
    const result = await resolver.settle();
    expect([...server.reads].sort()).toEqual(['Medication/ok1', 'Medication/ok2', 'Medication/ok3']);
    expect(server.maxInFlight()).toBe(3);
    expect(result.medications.get(`${BASE}/Medication/ok1`)?.id).toBe('ok1');
    expect(result.medications.get('Medication/ok3/_history/4')?.id).toBe('ok3');
    expect(result.counts.read).toBe(4);
  });

  it('never calls a server the request did not name; says why', async () => {
    const server = fakeServer();
    const resolver = createMedicationResolver({ fhirServer: BASE, read: server.read });
    const refs = ['https://evil.example.com/fhir/Medication/ok1', 'https://ehr.example.org.evil.example/fhir/Medication/ok1', 'http://ehr.example.org/fhir/Medication/ok1', 'https://ehr.example.org/other/Medication/ok1'];
    resolver.resolveOrdersOf(refs.map((r, i) => order(r, String(i))));
    const result = await resolver.settle();
    expect(server.reads).toEqual([]);
    for (const r of refs) expect(result.unresolved.get(r)).toMatch(/another server/);
  });

  it('without fhirServer nothing is read, and the reason says so', async () => {
    const server = fakeServer();
    const resolver = createMedicationResolver({ read: server.read });
    resolver.resolveOrdersOf([order('Medication/ok1')]);
    const result = await resolver.settle();
    expect(server.reads).toEqual([]);
    expect(result.unresolved.get('Medication/ok1')).toMatch(/no FHIR server was named/);
  });

  it.each([
    ['404', { status: 'ok', resource: null } as FhirFetchResult, /not found/],
    ['server down', { status: 'unavailable', reason: 'the FHIR server answered HTTP 500' } as FhirFetchResult, /could not be read/],
    ['another resource type', { status: 'ok', resource: { resourceType: 'Patient', id: 'x1' } } as FhirFetchResult, /something other/],
    ['another Medication id', { status: 'ok', resource: med('other') } as FhirFetchResult, /something other/],
    ['malformed Medication', { status: 'ok', resource: { resourceType: 'Medication', id: 'x1', code: 'prednisone' } as unknown as Resource } as FhirFetchResult, /malformed/],
  ])('a read that gives no usable Medication (%s) leaves the reference unresolved', async (_label, answer, reason) => {
    const server = fakeServer({ 'Medication/x1': answer });
    const resolver = createMedicationResolver({ fhirServer: BASE, read: server.read });
    resolver.resolveOrdersOf([order('Medication/x1')]);
    const result = await resolver.settle();
    expect(result.medications.size).toBe(0);
    expect(result.unresolved.get('Medication/x1')).toMatch(reason);
  });

  it('a read that throws is a failed read, not a failed call', async () => {
    const resolver = createMedicationResolver({ fhirServer: BASE, read: () => Promise.reject(new Error('boom')) });
    resolver.resolveOrdersOf([order('Medication/x1')]);
    expect((await resolver.settle()).unresolved.get('Medication/x1')).toMatch(/could not be read/);
  });

  it(`reads at most ${MAX_MEDICATION_READS} Medications in one call`, async () => {
    const server = fakeServer();
    const resolver = createMedicationResolver({ fhirServer: BASE, read: server.read });
    resolver.resolveOrdersOf(Array.from({ length: MAX_MEDICATION_READS + 5 }, (_, i) => order(`Medication/ok${i}`)));
    const result = await resolver.settle();
    expect(server.reads).toHaveLength(MAX_MEDICATION_READS);
    expect(result.unresolved.get(`Medication/ok${MAX_MEDICATION_READS + 1}`)).toMatch(/too many/);
  });

  it('contained and coded orders need no read', async () => {
    const server = fakeServer();
    const resolver = createMedicationResolver({ fhirServer: BASE, read: server.read });
    resolver.resolveOrdersOf([order('#m1'), { ...order('x'), medicationReference: undefined, medicationCodeableConcept: { text: 'prednisone' } } as MedicationRequest]);
    expect((await resolver.settle()).counts).toEqual({ inRequest: 0, read: 0, unresolved: 0 });
    expect(server.reads).toEqual([]);
  });

  it('any reference string: reads only Medication/{id} paths on the named server, never throws', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(fc.string({ maxLength: 80 }), fc.webUrl(), fc.constantFrom('Medication/', 'Medication/a/b', 'Medication/../x', 'Medication/..', 'Medication/.', `${BASE}/Medication/ok1?x=1`, `${BASE}/../Medication/ok1`)), { maxLength: 8 }), async (refs) => {
        const server = fakeServer();
        const resolver = createMedicationResolver({ fhirServer: BASE, read: server.read });
        resolver.resolveOrdersOf(refs.map((r, i) => order(r, String(i))));
        await resolver.settle();
        for (const path of server.reads) {
          expect(path).toMatch(/^Medication\/[A-Za-z0-9\-.]{1,64}$/);
          expect(path).not.toMatch(/^Medication\/\.+$/);
        }
      }),
      { numRuns: 200 },
    );
  });
});
