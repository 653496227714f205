/**
 * Daily dose, planned duration and start of an order, and what extreme timings give.
 */
import { describe, expect, it } from 'vitest';
import { daysAgo } from '../../../test/fixtures/facts.js';
import {
  dailyMg, dosage, medicationRequest, medicationStatement, sandboxPrednisoneDraft, ucum,
} from '../../../test/fixtures/fhir.js';
import { deriveDailyDose, dosageSteps, plannedDuration } from './medication-dosage.js';
import { medicationFactFromRequest, medicationFactFromStatement } from './medication-record.js';

describe('daily dose', () => {
  it('derives the Sandbox draft: 1 {pill} of 312615 once daily = 20 mg/day', () => {
    const fact = medicationFactFromRequest(sandboxPrednisoneDraft(), { draft: true, selected: true });
    expect(fact.dailyDose).toEqual({ mgPerDay: 20, prednisoneEquivalentMgPerDay: 20, derivation: '1 x 20 mg tablet once daily = 20 mg/day' });
    expect(fact.selected).toBe(true);
    expect(fact.draftResource).toEqual(sandboxPrednisoneDraft());
    expect(fact.reference).toBe('MedicationRequest/draft-1');
  });

  it('keeps the original resource only for drafts', () => {
    expect(medicationFactFromRequest(sandboxPrednisoneDraft()).draftResource).toBeUndefined();
  });

  it.each([
    ['{tbl}', { value: 2, unit: '{tbl}', system: 'http://unitsofmeasure.org', code: '{tbl}' }],
    ['{tablet}', { value: 2, unit: '{tablet}' }],
    ['TAB', { value: 2, unit: 'tablet', system: 'http://terminology.hl7.org/CodeSystem/v3-orderableDrugForm', code: 'TAB' }],
  ])('turns a tablet count (%s) into mg with the product strength', (_label, dose) => {
    const d = deriveDailyDose([dosage({ dose, frequency: 1, period: 1, periodUnit: 'd' })], { strengthMg: 5, per: 'tablet', name: 'x' }, 'prednisone');
    expect(d.dailyDose?.mgPerDay).toBe(10);
  });

  it('multiplies by frequency and divides by the period in days', () => {
    const mr = (d: Parameters<typeof dosage>[0]) => medicationFactFromRequest(medicationRequest({ rxnorm: '197517', dosages: [dosage(d)] }));
    expect(mr({ dose: ucum(500, 'mg'), frequency: 2, period: 1, periodUnit: 'd' }).dailyDose).toEqual({ mgPerDay: 1000, derivation: '500 mg twice daily = 1000 mg/day' });
    expect(mr({ dose: ucum(500, 'mg'), frequency: 1, period: 12, periodUnit: 'h' }).dailyDose?.mgPerDay).toBe(1000);
    expect(mr({ dose: ucum(70, 'mg'), frequency: 1, period: 1, periodUnit: 'wk' }).dailyDose?.mgPerDay).toBe(10);
    expect(mr({ dose: ucum(500, 'mg'), period: 1, periodUnit: 'd' }).dailyDose?.mgPerDay).toBe(500);
  });

  it('converts PredEq for methylprednisolone (× 1.25)', () => {
    const fact = medicationFactFromRequest(medicationRequest({ rxnorm: '259966', dosages: [dosage({ dose: { value: 8, unit: '{tbl}' }, frequency: 1, period: 1, periodUnit: 'd' })] }));
    expect(fact.dailyDose).toMatchObject({ mgPerDay: 32, prednisoneEquivalentMgPerDay: 40 });
  });

  it.each([
    ['no dosage', [], /no dosage instruction/],
    ['no dose', [dosage({ frequency: 1, period: 1, periodUnit: 'd' })], /no dose/],
    ['no timing', [dosage({ dose: ucum(20, 'mg') })], /frequency\/period/],
    ['tablets of an unknown product', [dosage({ dose: { value: 1, unit: '{pill}' }, frequency: 1, period: 1, periodUnit: 'd' })], /strength is unknown/],
    ['mL of a product without a stated strength', [dosage({ dose: ucum(1, 'mL'), frequency: 1, period: 1, periodUnit: 'd' })], /strength per mL is unknown/],
    ['unsupported unit', [dosage({ dose: ucum(1, 'g'), frequency: 1, period: 1, periodUnit: 'd' })], /neither mg nor a tablet count/],
    ['zero dose', [dosage({ dose: ucum(0, 'mg'), frequency: 1, period: 1, periodUnit: 'd' })], /positive/],
  ])('leaves the dose unknown (never 0) with a reason: %s', (_label, dosages, reason) => {
    const fact = medicationFactFromRequest(medicationRequest({ text: 'prednisone', dosages }));
    expect(fact.dailyDose).toBeUndefined();
    expect(fact.doseUnknownReason).toMatch(reason);
  });

  it('sums concurrent parts of the first step and ignores later steps', () => {
    const d = deriveDailyDose(
      [dailyMg(20, { sequence: 1 }), dailyMg(10, { sequence: 1 }), dailyMg(5, { sequence: 2 })],
      undefined,
      'prednisolone',
    );
    expect(d.dailyDose).toEqual({ mgPerDay: 30, prednisoneEquivalentMgPerDay: 30, derivation: '20 mg once daily + 10 mg once daily = 30 mg/day' });
  });
});

describe('duration and start', () => {
  const taper = [
    dailyMg(45, { sequence: 1, boundsDays: 28 }),
    dailyMg(30, { sequence: 2, boundsDays: 28 }),
    dailyMg(20, { sequence: 3, boundsDuration: { value: 4, unit: 'wk', system: 'http://unitsofmeasure.org', code: 'wk' } }),
    dailyMg(10, { sequence: 4, boundsDays: 42 }),
    dailyMg(5, { sequence: 5, boundsDays: 42 }),
  ];

  it('sums the sequenced steps and reports the initial phase', () => {
    expect(plannedDuration(taper)).toEqual({ plannedDurationDays: 168, initialPhaseDays: 28 });
    const fact = medicationFactFromRequest(medicationRequest({ rxnorm: '312617', dosages: taper }));
    expect(fact.plannedDurationDays).toBe(168);
    expect(fact.initialPhaseDays).toBe(28);
    expect(fact.dailyDose?.mgPerDay).toBe(45);
  });

  it('orders steps by sequence', () => {
    expect(dosageSteps([dailyMg(5, { sequence: 2 }), dailyMg(45, { sequence: 1 })])[0]?.[0]?.doseAndRate?.[0]?.doseQuantity?.value).toBe(45);
  });

  it('uses a boundsPeriod length (a date-only end counts inclusively) and months', () => {
    expect(plannedDuration([dailyMg(40, { boundsPeriod: { start: '2026-01-01', end: '2026-01-28' } })])).toEqual({ plannedDurationDays: 28, initialPhaseDays: 28 });
    expect(plannedDuration([dailyMg(40, { boundsDuration: { value: 3, unit: 'months' } })]).plannedDurationDays).toBe(91);
  });

  it('leaves the total unknown when a step has no bounds', () => {
    expect(plannedDuration([dailyMg(40, { sequence: 1, boundsDays: 28 }), dailyMg(20, { sequence: 2 })])).toEqual({ initialPhaseDays: 28 });
    expect(plannedDuration([dailyMg(40)])).toEqual({});
  });

  it('starts at authoredOn, else the first boundsPeriod.start', () => {
    expect(medicationFactFromRequest(medicationRequest({ authoredOn: daysAgo(10), dosages: [dailyMg(10, { boundsPeriod: { start: daysAgo(5) } })] })).start).toBe(daysAgo(10));
    expect(medicationFactFromRequest(medicationRequest({ dosages: [dailyMg(10, { boundsPeriod: { start: daysAgo(5) } })] })).start).toBe(daysAgo(5));
  });

  it('reads MedicationStatements (effectivePeriod.start, dosage)', () => {
    const fact = medicationFactFromStatement(medicationStatement({ id: 's1', rxnorm: '198145', start: daysAgo(40), dosages: [dailyMg(10)] }));
    expect(fact).toMatchObject({ reference: 'MedicationStatement/s1', resourceType: 'MedicationStatement', start: daysAgo(40), glucocorticoid: 'prednisone', selected: false });
    expect(fact.dailyDose?.mgPerDay).toBe(10);
  });
});

describe('numeric sanity: extreme timings never give NaN, Infinity, zero or a negative dose or duration', () => {
  it('leaves the dose unknown for frequency 0 or negative, a vanishing period, or an overflowing amount', () => {
    const reasonOf = (d: Parameters<typeof dosage>[0]) => deriveDailyDose([dosage(d)], undefined, 'prednisone');
    expect(reasonOf({ dose: ucum(20, 'mg'), frequency: 0, period: 1, periodUnit: 'd' }).doseUnknownReason).toMatch(/frequency is not a positive whole number/);
    expect(reasonOf({ dose: ucum(20, 'mg'), frequency: -2, period: 1, periodUnit: 'd' }).doseUnknownReason).toMatch(/frequency/);
    expect(reasonOf({ dose: ucum(20, 'mg'), frequency: 1, period: 1e-320, periodUnit: 'd' }).doseUnknownReason).toMatch(/out of range/);
    expect(reasonOf({ dose: ucum(Number.MAX_VALUE, 'mg'), frequency: 3, period: 1, periodUnit: 'd' }).doseUnknownReason).toMatch(/out of range/);
    expect(reasonOf({ dose: ucum(1e-9, 'mg'), frequency: 1, period: 1, periodUnit: 'd' }).doseUnknownReason).toMatch(/out of range/);
    expect(reasonOf({ dose: ucum(20, 'mg'), frequency: 1, period: 1, periodUnit: 'd' }).dailyDose?.mgPerDay).toBe(20);
  });

  it('has no planned duration for negative, overflowing or reversed bounds (no date arithmetic past the calendar)', () => {
    const days = (d: Parameters<typeof dosage>[0]) => plannedDuration([dosage({ dose: ucum(20, 'mg'), ...d })]).plannedDurationDays;
    expect(days({ boundsDays: -100_020_782.5 })).toBeUndefined();
    expect(days({ boundsDays: 1e300 })).toBeUndefined();
    expect(days({ boundsDuration: { value: Number.MAX_VALUE, unit: 'mo', system: 'http://unitsofmeasure.org', code: 'mo' } })).toBeUndefined();
    expect(days({ boundsPeriod: { start: '2026-12-01', end: '2026-11-01' } })).toBeUndefined();
    expect(days({ boundsDays: 42 })).toBe(42);
  });
});
