/**
 * The shared text helpers every rule's card uses (decision 19): calendar dates with their age in
 * words, units as people write them, reasons without time stamps, short order evidence.
 */
import { describe, expect, it } from 'vitest';
import { activePrednisone, daysAgo, NOW } from '../../../test/fixtures/facts.js';
import {
  cardReasonText, evidenceOf, measurementText, medicationEvidence, shortMedicationEvidence, startText, unidentifiedOrdersText, whenText,
} from './shared.js';

describe('whenText: a calendar date with its age in words', () => {
  it.each([
    [0, 'today'],
    [1, '1 day ago'],
    [5, '5 days ago'],
    [-1, 'in 1 day'],
  ])('%i days → "%s"', (ageDays, words) => {
    expect(whenText({ date: `${daysAgo(ageDays)}T08:30:00-05:00`, ageDays })).toBe(`${daysAgo(ageDays)}, ${words}`);
  });

  it('never a time stamp; the bare day without an age; "date unknown" without a date', () => {
    expect(whenText({ date: '2026-11-20T23:10:00-05:00' })).toBe('2026-11-20');
    expect(whenText({})).toBe('date unknown');
  });
});

describe('measurementText and evidenceOf: units as people write them', () => {
  it('mm[Hg] → mmHg, [lb_av] → lb, a percentage without a space; others as they are', () => {
    expect(measurementText({ value: 55, unit: 'mm[Hg]', date: daysAgo(2), ageDays: 2 }, 0)).toBe(`55 mmHg (${daysAgo(2)}, 2 days ago)`);
    expect(measurementText({ value: 60, unit: 'kg', date: daysAgo(5), ageDays: 5 })).toBe(`60.0 kg (${daysAgo(5)}, 5 days ago)`);
    expect(measurementText({ value: 7.1, unit: '%', date: daysAgo(0), ageDays: 0 })).toBe(`7.1% (${daysAgo(0)}, today)`);
    expect(evidenceOf('Weight', { value: 132, unit: '[lb_av]', date: daysAgo(1), ageDays: 1 }, 0).value).toBe('132 lb');
    expect(evidenceOf('GGT', { value: 80, unit: 'U/L' }, 0).value).toBe('80 U/L');
  });
});

describe('cardReasonText', () => {
  it('cuts time stamps to their day and writes hours and days out', () => {
    expect(cardReasonText('weights 72.4 kg (2026-11-24T08:30:00.000+01:00) and 61.0 kg (2026-11-24T02:10:00Z) within 24 h differ'))
      .toBe('weights 72.4 kg (2026-11-24) and 61.0 kg (2026-11-24) within 24 hours differ');
    expect(cardReasonText('recent SpO2/PaO2 ≤7 d; 1 d; 1 h')).toBe('recent SpO2/PaO2 ≤7 days; 1 day; 1 hour');
  });
});

describe('order evidence', () => {
  const order = activePrednisone({ start: `${daysAgo(70)}T09:00:00Z` });

  it('with the request clock, the start date carries its age; without it, as before', () => {
    expect(medicationEvidence('Active glucocorticoid', order, NOW)).toEqual({
      label: 'Active glucocorticoid', value: 'prednisone 10 MG Oral Tablet, 10 mg once daily = 10 mg/day',
      date: order.start, ageDays: 70, reference: 'MedicationRequest/active-pred',
    });
    expect(medicationEvidence('Active glucocorticoid', order).ageDays).toBeUndefined();
    expect(startText(order, NOW)).toBe(`${daysAgo(70)} (10 weeks ago)`);
  });

  it('short form: the name and mg/day, the prednisone equivalent when it differs, the reason when the dose is unknown', () => {
    expect(shortMedicationEvidence('Drafted', order, NOW).value).toBe('prednisone 10 MG Oral Tablet, 10 mg/day');
    const mp = activePrednisone({ name: 'methylprednisolone 16 MG Oral Tablet', dailyDose: { mgPerDay: 16, prednisoneEquivalentMgPerDay: 20, derivation: '16 mg' } });
    expect(shortMedicationEvidence('Drafted', mp).value).toBe('methylprednisolone 16 MG Oral Tablet, 16 mg/day (PredEq 20 mg/day)');
    const unknown = activePrednisone({ dailyDose: undefined, doseUnknownReason: 'free-text dosage' });
    expect(shortMedicationEvidence('Drafted', unknown).value).toBe('prednisone 10 MG Oral Tablet, dose could not be derived (free-text dosage)');
  });

  it('unidentified orders: one reason said once when shared, dosage texts cut short, at most two listed', () => {
    const unidentified = (n: number, reason: string, instructions?: string) => activePrednisone({
      reference: `MedicationRequest/u${n}`, identifiedBy: 'none', classes: [], dailyDose: undefined, unidentifiedReason: reason,
      ...(instructions ? { instructions } : {}),
    });
    const same = unidentifiedOrdersText([unidentified(1, 'not found', 'Take 2 tablets daily'), unidentified(2, 'not found')], 'Unidentified order', NOW);
    expect(same.sharedReason).toBe('not found');
    expect(same.evidence.map((e) => e.value)).toEqual(['"Take 2 tablets daily"', 'no dosage text']);
    const mixed = unidentifiedOrdersText([
      unidentified(1, 'not found', 'Take 4 tablets daily with breakfast, then reduce as directed'), unidentified(2, 'unreadable'), unidentified(3, 'not found'),
    ], 'Unidentified order', NOW);
    expect(mixed.sharedReason).toBeUndefined();
    expect(mixed.evidence.map((e) => e.value)).toEqual(['"Take 4 tablets daily with breakfast, th…", not found', 'no dosage text, unreadable', '1']);
    expect(mixed.evidence[2]?.label).toBe('Other unidentified orders');
  });
});
