import { describe, expect, it } from 'vitest';
import type { Observation } from 'fhir/r4.js';
import { indexObservations } from './observation-index.js';
import { LOINC_CODES } from '../valuesets.js';

const NOW = new Date('2026-12-01T12:00:00Z');
const obs = (id: string, code: string, date: string): Observation => ({
  resourceType: 'Observation', id, status: 'final', code: { coding: [{ system: 'http://loinc.org', code }] }, effectiveDateTime: date,
});

describe('indexObservations', () => {
  it('indexes the read codes, newest first', () => {
    const index = indexObservations([obs('a', LOINC_CODES.bodyWeight, '2026-11-01'), obs('b', LOINC_CODES.bodyWeight, '2026-11-20')], NOW);
    expect(index.byLoinc(LOINC_CODES.bodyWeight).map((o) => o.resource.id)).toEqual(['b', 'a']);
  });

  it('leaves out observations by codes no reader asks for, even with a date it could not parse', () => {
    const index = indexObservations([obs('t', '8310-5', 'not-a-date'), obs('w', LOINC_CODES.bodyWeight, '2026-11-20')], NOW);
    expect(index.byLoinc(LOINC_CODES.bodyWeight).map((o) => o.resource.id)).toEqual(['w']);
  });

  it('refuses to be asked for a code it did not index (that would read as "none")', () => {
    const index = indexObservations([obs('t', '8310-5', '2026-11-20')], NOW);
    expect(() => index.byLoinc('8310-5')).toThrow(/8310-5/);
  });
});
