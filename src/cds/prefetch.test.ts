import { describe, expect, it, vi } from 'vitest';
import { PreconditionFailedError } from '../errors.js';
import type { FhirFallback } from './fhir-fallback.js';
import { noFhirFallback } from './fhir-fallback.js';
import { classifyPrefetchValue, fillTemplate, resolvePrefetch } from './prefetch.js';
import type { CdsServiceDefinition } from './service-definition.js';

const context = { userId: 'Practitioner/doc-1', patientId: 'pat-1' };

const service: CdsServiceDefinition = {
  id: 'test-service',
  hook: 'order-sign',
  title: 't',
  description: 'd',
  prefetch: {
    patient: { template: 'Patient/{{context.patientId}}', required: true },
    weight: { template: 'Observation?patient={{context.patientId}}&code=http://loinc.org|29463-7', required: false },
    encounter: { template: 'Encounter/{{context.encounterId}}', required: false },
  },
  rules: ['COP-R03'],
};

const patient = { resourceType: 'Patient', id: 'pat-1' };
const weightBundle = (n: number, next = false) => ({
  resourceType: 'Bundle',
  type: 'searchset',
  entry: Array.from({ length: n }, (_, i) => ({ resource: { resourceType: 'Observation', id: `w${i}`, status: 'final', code: {} } })),
  ...(next ? { link: [{ relation: 'next', url: 'https://ehr.example/next' }] } : {}),
});
const errorOutcome = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception' }] };

describe('classifyPrefetchValue', () => {
  it('tells a missing key, a null value, an error and data apart', () => {
    expect(classifyPrefetchValue(undefined)).toEqual({ kind: 'missing' });
    expect(classifyPrefetchValue(null)).toEqual({ kind: 'empty' });
    expect(classifyPrefetchValue(errorOutcome).kind).toBe('error');
    expect(classifyPrefetchValue(patient)).toEqual({ kind: 'resources', resources: [patient], partial: false });
  });

  it('treats a non-resource value (the spec example "user": "123") as invalid, not as data', () => {
    expect(classifyPrefetchValue('123').kind).toBe('invalid');
    expect(classifyPrefetchValue([patient]).kind).toBe('invalid');
    expect(classifyPrefetchValue({ id: 'x' }).kind).toBe('invalid');
  });

  it('reads an empty searchset as available with no data, and flags a next link as partial', () => {
    expect(classifyPrefetchValue(weightBundle(0))).toEqual({ kind: 'resources', resources: [], partial: false });
    const paged = classifyPrefetchValue(weightBundle(2, true));
    expect(paged).toMatchObject({ kind: 'resources', partial: true });
  });

  it('treats a Bundle holding only an error OperationOutcome as a failed fetch', () => {
    const bundle = { resourceType: 'Bundle', type: 'searchset', entry: [{ resource: errorOutcome }] };
    expect(classifyPrefetchValue(bundle).kind).toBe('error');
  });

  it('keeps data entries and drops informational outcomes in a searchset', () => {
    const info = { resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational' }] };
    const bundle = { resourceType: 'Bundle', type: 'searchset', entry: [{ resource: info }, ...weightBundle(1).entry] };
    const state = classifyPrefetchValue(bundle);
    expect(state.kind).toBe('resources');
    expect(state.kind === 'resources' && state.resources.map((r) => r.resourceType)).toEqual(['Observation']);
  });
});

describe('fillTemplate', () => {
  it('fills root-level context tokens and URL-encodes values', () => {
    expect(fillTemplate('Patient/{{context.patientId}}', context)).toBe('Patient/pat-1');
    expect(fillTemplate('X?p={{context.patientId}}', { ...context, patientId: 'a-b.1' })).toBe('X?p=a-b.1');
    // Issue 12: a token that is not a FHIR id (or dots that would step off the path) is refused.
    for (const patientId of ['a b', '.', '..', 'a/b']) expect(() => fillTemplate('Patient/{{context.patientId}}', { ...context, patientId })).toThrow(/context\.patientId must be a FHIR id/);
  });

  it('fills user tokens from userId and leaves the key unfetchable when a token has no value', () => {
    expect(fillTemplate('Practitioner/{{userPractitionerId}}', context)).toBe('Practitioner/doc-1');
    expect(fillTemplate('PractitionerRole/{{userPractitionerRoleId}}', context)).toBeUndefined();
    expect(fillTemplate('Encounter/{{context.encounterId}}', context)).toBeUndefined();
  });
});

describe('resolvePrefetch', () => {
  const base = { service, context, hookInstance: 'hi-1', fallback: noFhirFallback };

  it('answers 412 when a required key is missing and cannot be fetched', async () => {
    await expect(resolvePrefetch({ ...base, prefetch: { weight: null } })).rejects.toBeInstanceOf(PreconditionFailedError);
    await expect(resolvePrefetch({ ...base, prefetch: undefined })).rejects.toThrow(/patient/);
  });

  it('answers 412 when a required key holds the EHR\'s OperationOutcome', async () => {
    await expect(resolvePrefetch({ ...base, prefetch: { patient: errorOutcome } })).rejects.toBeInstanceOf(PreconditionFailedError);
  });

  it('does not refetch a null value: it is available and empty', async () => {
    const fallback = vi.fn<FhirFallback>(noFhirFallback);
    const result = await resolvePrefetch({ ...base, fallback, prefetch: { patient, weight: null } });
    expect(result.pool.domains.weight).toBe('available');
    expect(result.pool.observations).toEqual([]);
    // encounter has no token value, so nothing is fetched for it either
    expect(fallback).not.toHaveBeenCalled();
    expect(result.pool.domains.encounter).toBe('unavailable');
  });

  it('marks an optional key unavailable (not empty) when it cannot be got', async () => {
    const result = await resolvePrefetch({ ...base, prefetch: { patient } });
    expect(result.pool.domains.weight).toBe('unavailable');
    expect(result.sources.weight).toBe('unavailable');
  });

  it('fetches missing keys through the fallback with the filled template and the token', async () => {
    const fallback = vi.fn<FhirFallback>(async (req) =>
      req.key === 'patient' ? { status: 'ok', resource: patient as never } : { status: 'ok', resource: weightBundle(2) as never },
    );
    const result = await resolvePrefetch({ ...base, fallback, fhirServer: 'https://ehr.example/fhir', accessToken: 'tok', prefetch: {} });
    expect(fallback).toHaveBeenCalledWith(expect.objectContaining({ key: 'patient', relativeUrl: 'Patient/pat-1', accessToken: 'tok' }));
    expect(result.pool.patient?.id).toBe('pat-1');
    expect(result.pool.observations).toHaveLength(2);
    expect(result.sources).toMatchObject({ patient: 'fetched', weight: 'fetched' });
  });

  it('passes the hook call\'s deadline signal to every fetch', async () => {
    const deadline = new AbortController().signal;
    const fallback = vi.fn<FhirFallback>(async () => ({ status: 'ok', resource: patient as never }));
    await resolvePrefetch({ ...base, fallback, signal: deadline, fhirServer: 'https://ehr.example/fhir', prefetch: { weight: null } });
    expect(fallback).toHaveBeenCalledWith(expect.objectContaining({ key: 'patient', signal: deadline }));
  });

  it('pools resources once per type/id and records partial keys', async () => {
    const result = await resolvePrefetch({ ...base, prefetch: { patient, weight: weightBundle(2, true), encounter: weightBundle(2) } });
    expect(result.pool.observations).toHaveLength(2);
    expect(result.partialKeys).toEqual(['weight']);
  });
});

describe('resolvePrefetch: paginated prefetch Bundles (R-PF-14)', () => {
  const base = { service, context, hookInstance: 'hi-1' };
  const page1 = { ...weightBundle(2), link: [{ relation: 'next', url: 'https://ehr.example/fhir/Observation?patient=pat-1&page=2' }] };
  const page2 = { resourceType: 'Bundle', type: 'searchset', entry: [{ resource: { resourceType: 'Observation', id: 'w9', status: 'final', code: {} } }] };

  it('reads the remaining pages from fhirServer and merges them; the key is then complete', async () => {
    const fallback = vi.fn<FhirFallback>(async () => ({ status: 'ok', resource: page2 as never }));
    const result = await resolvePrefetch({ ...base, fallback, fhirServer: 'https://ehr.example/fhir/', accessToken: 'tok', prefetch: { patient, weight: page1 } });
    expect(fallback).toHaveBeenCalledTimes(1);
    expect(fallback).toHaveBeenCalledWith(
      expect.objectContaining({ key: 'weight', relativeUrl: 'Observation?patient=pat-1&page=2', pagesAlreadyRead: 1, accessToken: 'tok' }),
    );
    expect(result.pool.observations.map((o) => o.id)).toEqual(['w0', 'w1', 'w9']);
    expect(result.partialKeys).toEqual([]);
    expect(result.sources.weight).toBe('prefetch');
  });

  it('keeps the key partial when the fetched rest is itself partial', async () => {
    const fallback = vi.fn<FhirFallback>(async () => ({ status: 'ok', resource: { ...page2, link: page1.link } as never }));
    const result = await resolvePrefetch({ ...base, fallback, fhirServer: 'https://ehr.example/fhir', prefetch: { patient, weight: page1 } });
    expect(result.pool.observations).toHaveLength(3);
    expect(result.partialKeys).toEqual(['weight']);
  });

  it('keeps the partial data without fhirServer, for a link off fhirServer, or when the rest cannot be read', async () => {
    const unavailable = vi.fn<FhirFallback>(async () => ({ status: 'unavailable', reason: 'down' }));
    for (const fhirServer of [undefined, 'https://other.example/fhir', 'https://ehr.example/fhir']) {
      const result = await resolvePrefetch({ ...base, fallback: unavailable, ...(fhirServer ? { fhirServer } : {}), prefetch: { patient, weight: page1 } });
      expect(result.pool.observations).toHaveLength(2);
      expect(result.pool.domains.weight).toBe('available');
      expect(result.partialKeys).toEqual(['weight']);
    }
    expect(unavailable).toHaveBeenCalledTimes(1); // only for the link on fhirServer
  });
});
