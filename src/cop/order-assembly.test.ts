import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { MedicationRequest } from 'fhir/r4.js';
import { SYSTEMS } from '../fhir/systems.js';
import { taperPlan, weightBasedDose } from './dosing.js';
import type { Measurement } from './facts-types.js';
import { DEFAULT_THRESHOLDS, type Thresholds } from './knowledge.js';
import {
  buildClarithromycinRequest, buildInitialPhaseRequest, buildTaperRequest, type GlucocorticoidOrderSpec,
} from './order-assembly.js';

const T: Thresholds = DEFAULT_THRESHOLDS;
const { rxnorm: RXNORM, snomed: SNOMED, ucum: UCUM, orderableDrugForm: ORDERABLE_DRUG_FORM } = SYSTEMS;

const weight = (kg: number): Measurement => ({ value: kg, unit: 'kg', date: '2026-11-20', ageDays: 5, reference: 'Observation/w1' });

const spec = (kg: number, overrides: Partial<GlucocorticoidOrderSpec> = {}): GlucocorticoidOrderSpec => ({
  patientId: 'pat-1', weight: weight(kg), thresholds: T, formulary: 'us', intent: 'order', ...overrides,
});

const rxnormCode = (mr: MedicationRequest): string | undefined =>
  mr.medicationCodeableConcept?.coding?.find((c) => c.system === RXNORM)?.code;

const dosesMg = (mr: MedicationRequest): number[] =>
  (mr.dosageInstruction ?? []).map((d) => d.doseAndRate?.[0]?.doseQuantity?.value ?? Number.NaN);

/** Paths of null, undefined, empty-string, empty-array or empty-object values (FHIR forbids them). */
function emptyPaths(value: unknown, path = '$'): string[] {
  if (value === null || value === undefined || value === '') return [path];
  if (Array.isArray(value)) return value.length === 0 ? [path] : value.flatMap((v, i) => emptyPaths(v, `${path}[${i}]`));
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    return entries.length === 0 ? [path] : entries.flatMap(([k, v]) => emptyPaths(v, `${path}.${k}`));
  }
  return [];
}

describe('buildInitialPhaseRequest (the initial phase)', () => {
  it('builds the worked example for 60 kg: 45 mg as 9 x 5 mg, 252 tablets over 28 days', () => {
    const mr = buildInitialPhaseRequest(spec(60));
    expect(mr).toMatchObject({ resourceType: 'MedicationRequest', status: 'draft', intent: 'order', subject: { reference: 'Patient/pat-1' } });
    expect(mr.id).toBeUndefined();
    expect(rxnormCode(mr)).toBe('312617');
    const dosage = mr.dosageInstruction?.[0];
    expect(dosage?.sequence).toBe(1);
    expect(dosage?.text).toBe('45 mg (9 x 5 mg tablets) by mouth once daily in the morning for 4 weeks; then taper as directed');
    expect(dosage?.timing?.repeat).toEqual({
      frequency: 1, period: 1, periodUnit: 'd', boundsDuration: { value: 28, unit: 'days', system: UCUM, code: 'd' },
    });
    expect(dosage?.route?.coding?.[0]).toMatchObject({ system: SNOMED, code: '26643006' });
    expect(dosage?.doseAndRate?.[0]?.doseQuantity).toEqual({ value: 45, unit: 'mg', system: UCUM, code: 'mg' });
    expect(mr.dispenseRequest).toEqual({
      quantity: { value: 252, unit: 'tablet', system: ORDERABLE_DRUG_FORM, code: 'TAB' },
      expectedSupplyDuration: { value: 28, unit: 'days', system: UCUM, code: 'd' },
    });
    expect(mr.reasonCode?.[0]?.coding?.map((c) => `${c.system}|${c.code}`)).toEqual([
      'http://snomed.info/sct|719218000', 'http://hl7.org/fhir/sid/icd-10-cm|J84.116',
    ]);
    expect(mr.note?.[0]?.text).toBe(
      'CDS: 0.75 mg/kg x 60.0 kg (weighed 2026-11-20) = 45 mg; range 0.5-1.0 mg/kg = 30-60 mg',
    );
    expect(mr.supportingInformation).toEqual([{ reference: 'Observation/w1' }]);
    expect(emptyPaths(mr)).toEqual([]);
  });

  it('explains rounding and capping in the note', () => {
    expect(buildInitialPhaseRequest(spec(59.9)).note?.[0]?.text).toContain('= 44.925 mg -> 45 mg (rounded to 5 mg)');
    const heavy = buildInitialPhaseRequest(spec(100));
    expect(heavy.note?.[0]?.text).toContain('= 75 mg -> 60 mg (capped at 60 mg/day)');
    expect(dosesMg(heavy)).toEqual([60]);
    expect(rxnormCode(heavy)).toBe('312615');
    expect(heavy.dispenseRequest?.quantity?.value).toBe(3 * 28);
  });

  it('uses 20 mg tablets for 40 mg and 10 mg tablets for 30 mg', () => {
    const forty = buildInitialPhaseRequest(spec(53.3)); // 39.975 → 40
    expect(dosesMg(forty)).toEqual([40]);
    expect(rxnormCode(forty)).toBe('312615');
    expect(forty.dispenseRequest?.quantity?.value).toBe(56);
    const thirty = buildInitialPhaseRequest(spec(40));
    expect(dosesMg(thirty)).toEqual([30]);
    expect(rxnormCode(thirty)).toBe('198145');
    expect(thirty.dosageInstruction?.[0]?.text).toContain('30 mg (3 x 10 mg tablets)');
  });

  it('follows the configured initial phase and intent', () => {
    const mr = buildInitialPhaseRequest(spec(60, { thresholds: { ...T, initialPhaseDays: 42 }, intent: 'proposal' }));
    expect(mr.intent).toBe('proposal');
    expect(mr.dosageInstruction?.[0]?.timing?.repeat?.boundsDuration?.value).toBe(42);
    expect(mr.dispenseRequest?.expectedSupplyDuration?.value).toBe(42);
    expect(mr.dispenseRequest?.quantity?.value).toBe(9 * 42);
  });

  it('builds the UK order in prednisolone 5 mg tablets', () => {
    const mr = buildInitialPhaseRequest(spec(60, { formulary: 'uk' }));
    expect(rxnormCode(mr)).toBeUndefined();
    expect(mr.medicationCodeableConcept?.text).toBe('prednisolone 5 mg tablets');
    expect(dosesMg(mr)).toEqual([45]);
    expect(mr.dispenseRequest?.quantity?.value).toBe(252);
    expect(emptyPaths(mr)).toEqual([]);
  });

  it('updates a selected draft: same id, subject and status; product for the dose (decision 4)', () => {
    const draft: MedicationRequest = {
      resourceType: 'MedicationRequest', id: 'draft-pred', status: 'draft', intent: 'order',
      subject: { reference: 'Patient/other-form-of-ref' }, authoredOn: '2026-11-25', requester: { reference: 'Practitioner/p1' },
      medicationCodeableConcept: { coding: [{ system: RXNORM, code: '312615' }] },
    };
    const mr = buildInitialPhaseRequest(spec(60, { draft: { resource: draft } }));
    expect(mr).toMatchObject({ id: 'draft-pred', status: 'draft', subject: { reference: 'Patient/other-form-of-ref' } });
    expect(mr).toMatchObject({ authoredOn: '2026-11-25', requester: { reference: 'Practitioner/p1' } });
    expect(rxnormCode(mr)).toBe('312617'); // 45 mg needs 5 mg tablets, not the draft's 20 mg product
  });
});

describe('buildTaperRequest (the sequenced taper)', () => {
  it('builds five sequenced steps for 60 kg: 45, 30, 20, 10, 5 mg over 168 days', () => {
    const mr = buildTaperRequest(spec(60));
    expect(mr.dosageInstruction?.map((d) => d.sequence)).toEqual([1, 2, 3, 4, 5]);
    expect(dosesMg(mr)).toEqual([45, 30, 20, 10, 5]);
    expect(mr.dosageInstruction?.map((d) => d.timing?.repeat?.boundsDuration?.value)).toEqual([28, 28, 28, 42, 42]);
    expect(mr.dosageInstruction?.every((d) => d.timing?.repeat?.frequency === 1 && d.timing.repeat.periodUnit === 'd')).toBe(true);
    expect(mr.dosageInstruction?.every((d) => d.doseAndRate?.[0]?.doseQuantity?.code === 'mg')).toBe(true);
    expect(mr.dispenseRequest?.expectedSupplyDuration?.value).toBe(168);
    // 5 mg tablets cover every step: 9x28 + 6x28 + 4x28 + 2x42 + 1x42
    expect(rxnormCode(mr)).toBe('312617');
    expect(mr.dispenseRequest?.quantity).toEqual({ value: 658, unit: 'tablet', system: ORDERABLE_DRUG_FORM, code: 'TAB' });
    expect(mr.dosageInstruction?.[3]?.text).toBe('Weeks 13-18: 10 mg (2 x 5 mg tablets) by mouth once daily in the morning');
    expect(emptyPaths(mr)).toEqual([]);
  });


  it('30 kg: 25 → 15 mg for 8 weeks (row 3 merged into row 2, not raised to 20) → 10 → 5', () => {
    const steps = taperPlan(30, T);
    expect(steps.map((s) => s.doseMg)).toEqual([25, 15, 10, 5]);
    expect(steps.map((s) => s.tableSteps)).toEqual([[1], [2, 3], [4], [5]]);
    expect(steps.map((s) => s.sequence)).toEqual([1, 2, 3, 4]);
    const mr = buildTaperRequest(spec(30));
    expect(mr.dosageInstruction?.map((d) => d.sequence)).toEqual([1, 2, 3, 4]);
    expect(dosesMg(mr)).toEqual([25, 15, 10, 5]);
    expect(mr.dosageInstruction?.map((d) => d.timing?.repeat?.boundsDuration?.value)).toEqual([28, 56, 42, 42]);
    expect(mr.dosageInstruction?.[1]?.text).toBe('Weeks 5-12: 15 mg (3 x 5 mg tablets) by mouth once daily in the morning');
    expect(mr.dispenseRequest?.expectedSupplyDuration?.value).toBe(168);
    // 5x28 + 3x56 + 2x42 + 1x42
    expect(mr.dispenseRequest?.quantity?.value).toBe(434);
    expect(mr.note?.[0]?.text).toContain('merged');
    expect(mr.note?.[0]?.text).not.toMatch(/sign-off/);
    expect(emptyPaths(mr)).toEqual([]);
  });

  it('250 kg: 60 → 40 → 20 → 10 → 5 (no repeated 60 mg step)', () => {
    expect(dosesMg(buildTaperRequest(spec(250)))).toEqual([60, 40, 20, 10, 5]);
  });

  it('property (decision 13): over 30–250 kg every plan is non-increasing, lasts 168 days, starts at the capped initial dose and stays within the cap', () => {
    fc.assert(
      fc.property(fc.double({ min: 30, max: 250, noNaN: true }), (kg) => {
        const steps = taperPlan(kg, T);
        const initial = weightBasedDose(kg, T.mgPerKg, T).doseMg;
        expect(steps[0]!.doseMg).toBe(initial);
        expect(steps.reduce((n, s) => n + s.days, 0)).toBe(168);
        steps.forEach((s, i) => {
          expect(s.doseMg).toBeLessThanOrEqual(T.maxDailyDoseMg);
          expect(s.doseMg).toBeLessThanOrEqual(initial);
          expect(s.sequence).toBe(i + 1);
          if (i > 0) {
            expect(s.doseMg).toBeLessThan(steps[i - 1]!.doseMg); // merged, so strictly falling
            expect(s.fromDay).toBe(steps[i - 1]!.toDay + 1);
          }
        });
        expect(steps.at(-1)!.toDay).toBe(168);
        const mr = buildTaperRequest(spec(kg));
        expect(dosesMg(mr)).toEqual(steps.map((s) => s.doseMg));
        expect(mr.dispenseRequest?.expectedSupplyDuration?.value).toBe(168);
      }),
      { numRuns: 500 },
    );
  });


  it('keeps the draft identity on update', () => {
    const mr = buildTaperRequest(spec(60, { draft: { id: 'draft-pred' } }));
    expect(mr).toMatchObject({ id: 'draft-pred', status: 'draft', subject: { reference: 'Patient/pat-1' } });
  });
});

describe('buildClarithromycinRequest', () => {
  it('builds 500 mg b.d. x 90 days with RxNorm 197517, never 359385', () => {
    const mr = buildClarithromycinRequest({ patientId: 'pat-1', thresholds: T, intent: 'order' });
    expect(rxnormCode(mr)).toBe('197517');
    expect(JSON.stringify(mr)).not.toContain('359385');
    const dosage = mr.dosageInstruction?.[0];
    expect(dosage?.timing?.repeat).toEqual({
      frequency: 2, period: 1, periodUnit: 'd', boundsDuration: { value: 90, unit: 'days', system: UCUM, code: 'd' },
    });
    expect(dosage?.doseAndRate?.[0]?.doseQuantity).toEqual({ value: 500, unit: 'mg', system: UCUM, code: 'mg' });
    expect(dosage?.text).toBe('500 mg (1 x 500 mg tablet) by mouth twice daily for 3 months (90 days)');
    expect(mr.dispenseRequest).toEqual({
      quantity: { value: 180, unit: 'tablet', system: ORDERABLE_DRUG_FORM, code: 'TAB' },
      expectedSupplyDuration: { value: 90, unit: 'days', system: UCUM, code: 'd' },
    });
    expect(mr).toMatchObject({ status: 'draft', intent: 'order', subject: { reference: 'Patient/pat-1' } });
    expect(mr.reasonCode?.[0]?.coding?.[0]?.code).toBe('719218000');
    expect(emptyPaths(mr)).toEqual([]);
  });
});

describe('safety property: no glucocorticoid dose exceeds maxDailyDoseMg', () => {
  const kgArb = fc.double({ min: 30, max: 250, noNaN: true });
  const mgPerKgArb = fc.double({ min: 0.5, max: 1.0, noNaN: true });

  it('holds for the initial phase and every taper step over 30–250 kg and 0.5–1.0 mg/kg', () => {
    fc.assert(
      fc.property(kgArb, mgPerKgArb, fc.constantFrom<'us' | 'uk'>('us', 'uk'), (kg, mgPerKg, formulary) => {
        const thresholds = { ...T, mgPerKg };
        const s = spec(kg, { thresholds, formulary });
        for (const mr of [buildInitialPhaseRequest(s), buildTaperRequest(s)]) {
          for (const dose of dosesMg(mr)) {
            expect(dose).toBeLessThanOrEqual(T.maxDailyDoseMg);
            expect(dose).toBeGreaterThanOrEqual(5);
            expect(dose % 5).toBe(0);
          }
          expect(Number.isInteger(mr.dispenseRequest?.quantity?.value)).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('holds for any configured cap between 20 and 60 mg', () => {
    fc.assert(
      fc.property(kgArb, mgPerKgArb, fc.integer({ min: 20, max: 60 }), (kg, mgPerKg, maxDailyDoseMg) => {
        const thresholds = { ...T, mgPerKg, maxDailyDoseMg };
        expect(weightBasedDose(kg, mgPerKg, thresholds).doseMg).toBeLessThanOrEqual(maxDailyDoseMg);
        expect(Math.max(...dosesMg(buildTaperRequest(spec(kg, { thresholds }))))).toBeLessThanOrEqual(maxDailyDoseMg);
      }),
      { numRuns: 300 },
    );
  });
});
