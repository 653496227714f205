/**
 * Fact additions for the patient-view rules: P-COP condition list (relapse records with dates),
 * the first COP record (COP-R20), and FVC % predicted placed before/after the start of the
 * current glucocorticoid run (COP-R16 baseline vs on-treatment).
 */
import { describe, expect, it } from 'vitest';
import { daysAgo, NOW } from '../../../test/fixtures/facts.js';
import {
  condition, copCondition, dailyMg, emptyPool, medicationRequest, patient, percentPredicted, SNOMED,
} from '../../../test/fixtures/fhir.js';
import { extractFacts } from '../facts.js';
import type { PatientFacts, ResourcePool } from '../facts-types.js';
import { DEFAULT_THRESHOLDS } from '../knowledge.js';

function factsFor(pool: Partial<ResourcePool>): PatientFacts {
  return extractFacts(emptyPool({ patient: patient({ birthDate: '1972-03-01' }), ...pool }), { patientId: 'pat-1', selections: [] }, NOW, DEFAULT_THRESHOLDS);
}

/** Prednisone 10 mg tablet, 40 mg once daily, open-ended, authored `start` days ago. */
const prednisoneSince = (start: number) =>
  medicationRequest({ id: `pred-${start}`, rxnorm: '198145', authoredOn: daysAgo(start), dosages: [dailyMg(40)] });

describe('CopFact.conditions and firstRecord', () => {
  it('lists every P-COP condition newest first, with clinicalStatus and dates', () => {
    const f = factsFor({
      conditions: [
        copCondition({ id: 'c1', recordedDate: daysAgo(200) }),
        copCondition({ id: 'c2', clinicalStatus: 'relapse', recordedDate: daysAgo(30) }),
        copCondition({ id: 'c3', clinicalStatus: 'resolved', recordedDate: daysAgo(900) }),
      ],
    }).cop;
    expect(f.conditions?.map((c) => [c.reference, c.clinicalStatus, c.recordedDate])).toEqual([
      ['Condition/c2', 'relapse', daysAgo(30)],
      ['Condition/c1', 'active', daysAgo(200)],
    ]);
    expect(f.relapseRecords).toBe(1);
    // The resolved record is not P-COP, but it is when the patient was first labelled COP.
    expect(f.firstRecord?.reference).toBe('Condition/c3');
  });

  it('dates the first record by recordedDate, else onset; refuted records never count', () => {
    const noRecorded = { ...copCondition({ id: 'onset-only', onset: daysAgo(500) }), recordedDate: undefined };
    delete noRecorded.recordedDate;
    const f = factsFor({
      conditions: [
        copCondition({ id: 'recent', recordedDate: daysAgo(40) }),
        noRecorded,
        copCondition({ id: 'refuted', verificationStatus: 'refuted', recordedDate: daysAgo(3000) }),
      ],
    }).cop;
    expect(f.firstRecord?.reference).toBe('Condition/onset-only');
  });

  it('BOOP counts for the first record only when no secondary cause is coded (as in P-COP)', () => {
    const boop = condition({ id: 'boop', system: SNOMED, code: '129458007', clinicalStatus: 'inactive', recordedDate: daysAgo(2000) });
    const cop = copCondition({ id: 'cop', recordedDate: daysAgo(100) });
    expect(factsFor({ conditions: [boop, cop] }).cop.firstRecord?.reference).toBe('Condition/boop');
    const ra = condition({ id: 'ra', system: SNOMED, code: '69896004', recordedDate: daysAgo(50) });
    expect(factsFor({ conditions: [boop, cop, ra] }).cop.firstRecord?.reference).toBe('Condition/cop');
  });

  it('has no conditions list or first record without COP', () => {
    const f = factsFor({}).cop;
    expect(f.conditions).toBeUndefined();
    expect(f.firstRecord).toBeUndefined();
  });
});

describe('PftFact.fvcBaseline / fvcOnTreatment (COP-R16)', () => {
  const fvc = (value: number, ageDays: number, loinc = '19872-1') => percentPredicted(loinc, value, ageDays);

  it('takes the latest FVC on or before the run start as baseline and the latest after it as on-treatment', () => {
    const f = factsFor({
      medicationRequests: [prednisoneSince(56)],
      observations: [fvc(70, 80), fvc(72, 56), fvc(73, 20), fvc(74, 3)],
    }).pft;
    expect(f.fvcBaseline).toMatchObject({ value: 72, date: daysAgo(56), daysFromRunStart: 0, loinc: '19872-1' });
    expect(f.fvcOnTreatment).toMatchObject({ value: 74, date: daysAgo(3), daysFromRunStart: 53 });
    // The existing latest-within-90-days fact is unchanged.
    expect(f.fvcPercentPredicted?.value).toBe(74);
  });

  it('places an FVC by the day written on it, not its UTC date (decision 22)', () => {
    // 23:30−05:00 on the run's start day is the next day in UTC: still the baseline (day 0).
    const lateEvening = { ...fvc(72, 56), effectiveDateTime: `${daysAgo(56)}T23:30:00-05:00` };
    const f = factsFor({ medicationRequests: [prednisoneSince(56)], observations: [lateEvening] }).pft;
    expect(f.fvcBaseline).toMatchObject({ value: 72, daysFromRunStart: 0 });
    expect(f.fvcOnTreatment).toBeUndefined();
  });

  it('a baseline is at most pftBaselineWindowDays (90) before the run start', () => {
    const at = (ageDays: number) => factsFor({ medicationRequests: [prednisoneSince(56)], observations: [fvc(70, ageDays)] }).pft.fvcBaseline;
    expect(at(56 + 90)?.daysFromRunStart).toBe(-90);
    expect(at(56 + 91)).toBeUndefined();
  });

  it('the on-treatment value must be within the PFT window and prefers the baseline’s code', () => {
    const f = factsFor({
      medicationRequests: [prednisoneSince(200)],
      observations: [fvc(60, 210, '19871-3'), fvc(65, 100), fvc(66, 10, '19871-3'), fvc(67, 5)],
    }).pft;
    expect(f.fvcBaseline).toMatchObject({ loinc: '19871-3', value: 60 });
    expect(f.fvcOnTreatment).toMatchObject({ loinc: '19871-3', value: 66 });
    const stale = factsFor({ medicationRequests: [prednisoneSince(200)], observations: [fvc(60, 210), fvc(65, 100)] }).pft;
    expect(stale.fvcOnTreatment).toBeUndefined();
  });

  it('both are absent when not on a systemic glucocorticoid', () => {
    const f = factsFor({ observations: [fvc(70, 80), fvc(74, 3)] }).pft;
    expect(f.fvcBaseline).toBeUndefined();
    expect(f.fvcOnTreatment).toBeUndefined();
  });
});
