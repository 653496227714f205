import { describe, expect, it } from 'vitest';
import { resourceProblems } from './schemas.js';

describe('resourceProblems', () => {
  it('accepts well-formed resources and types it does not read', () => {
    expect(resourceProblems({ resourceType: 'Observation', status: 'final', effectiveDateTime: '2026-11-20T09:30:00Z', valueQuantity: { value: 60, unit: 'kg' } } as never)).toEqual([]);
    expect(resourceProblems({ resourceType: 'Patient', birthDate: '1961' } as never)).toEqual([]);
    expect(resourceProblems({ resourceType: 'NutritionOrder', oralDiet: 7 } as never)).toEqual([]);
  });

  it('names the path of a wrong JSON type where the service reads', () => {
    expect(resourceProblems({ resourceType: 'MedicationRequest', dosageInstruction: 0 } as never)).toEqual([
      expect.stringMatching(/^dosageInstruction: .*array/),
    ]);
    expect(resourceProblems({ resourceType: 'Observation', valueQuantity: { value: '60' } } as never)).toEqual([
      expect.stringMatching(/^valueQuantity\.value: .*number/),
    ]);
  });

  it('refuses dates that are not FHIR dates', () => {
    expect(resourceProblems({ resourceType: 'Patient', birthDate: '15/06/1970' } as never)).toEqual([
      'birthDate: must be a FHIR date or dateTime (a time needs a time-zone offset, e.g. 2026-11-01T10:00:00-05:00)',
    ]);
    expect(resourceProblems({ resourceType: 'Condition', onsetDateTime: '2026-13-01' } as never)).toHaveLength(1);
    expect(resourceProblems({ resourceType: 'Observation', effectiveDateTime: '2026-11-20T09:30:00+01:00' } as never)).toEqual([]);
  });

  it('refuses a time without a time-zone offset (FHIR requires one; decision 22)', () => {
    for (const local of ['2026-11-01T10:00:00', '2026-11-01T10:00', '2026-11-01T10:00:00.123']) {
      expect(resourceProblems({ resourceType: 'Observation', effectiveDateTime: local } as never), local).toEqual([
        expect.stringMatching(/^effectiveDateTime: must be a FHIR date or dateTime \(a time needs a time-zone offset/),
      ]);
    }
    expect(resourceProblems({ resourceType: 'MedicationRequest', authoredOn: '2026-11-01T10:00:00' } as never)).toHaveLength(1);
    // A date alone needs no offset; a time with Z or ±hh:mm is fine.
    for (const ok of ['2026-11-01', '2026-11-01T10:00:00Z', '2026-11-01T23:00:00-05:00', '2026-11-01T10:00+14:00']) {
      expect(resourceProblems({ resourceType: 'Observation', effectiveDateTime: ok } as never), ok).toEqual([]);
    }
  });

  it('checks contained Medications a MedicationRequest refers to', () => {
    const mr = { resourceType: 'MedicationRequest', contained: [{ resourceType: 'Medication', code: 'prednisone' }] };
    expect(resourceProblems(mr as never)).toEqual([expect.stringMatching(/^contained\.0\.code: /)]);
  });
});

describe('resourceProblems: calendar sanity', () => {
  it('refuses days that do not exist rather than letting them roll over', () => {
    expect(resourceProblems({ resourceType: 'Patient', birthDate: '1961-02-30' } as never)).toEqual(['birthDate: must be a date that exists (no 30 February)']);
    expect(resourceProblems({ resourceType: 'Observation', effectiveDateTime: '2026-04-31T09:30:00+01:00' } as never)).toHaveLength(1);
    expect(resourceProblems({ resourceType: 'Observation', effectiveDateTime: '2024-02-29T09:30:00Z' } as never)).toEqual([]);
  });
});

describe('resourceProblems: only what is read is checked', () => {
  const scope = { observationLoincCodes: new Set(['29463-7']) };
  const obs = (code: string, extra: Record<string, unknown> = {}): { resourceType: string } & Record<string, unknown> => ({
    resourceType: 'Observation', id: 'o1', status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code }] }, effectiveDateTime: '2026-11-30', ...extra,
  });
  const badValue = { valueQuantity: { value: 'x' } };

  it('an Observation by an unread code: its elements past the code are not checked', () => {
    expect(resourceProblems(obs('8310-5', badValue), scope)).toEqual([]);
  });
  it('an Observation by a read code: checked in full', () => {
    expect(resourceProblems(obs('29463-7', badValue), scope)).toEqual([expect.stringContaining('valueQuantity.value')]);
  });
  it('a read code under another system is not read', () => {
    const other = obs('29463-7', { ...badValue, code: { coding: [{ system: 'urn:local', code: '29463-7' }] } });
    expect(resourceProblems(other, scope)).toEqual([]);
  });
  it('an unreadable code or id is a problem whatever the code', () => {
    expect(resourceProblems(obs('8310-5', { code: { coding: {} } }), scope)).toEqual([expect.stringContaining('code.coding')]);
    expect(resourceProblems(obs('8310-5', { id: 7 }), scope)).toEqual([expect.stringContaining('id')]);
  });
  it('without a scope everything is checked, as before', () => {
    expect(resourceProblems(obs('8310-5', badValue))).toEqual([expect.stringContaining('valueQuantity.value')]);
  });
});
