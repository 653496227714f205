import { describe, expect, it } from 'vitest';
import { expectWellFormed } from '../../../test/fixtures/finding-checks.js';
import { baseFacts, conditionFact, context, daysAgo, facts, NOW } from '../../../test/fixtures/facts.js';
import type { ConditionFact, PatientFacts } from '../facts-types.js';
import { r20, yearsBefore } from './r20-surveillance.js';
import { expectShortReadableCard } from '../../../test/fixtures/short-card.js';

const view = context('patient-view');


/** NOW is 2026-11-25: three calendar years back is 2023-11-25. */
const THREE_YEARS_AGO = '2023-11-25';
const dayShift = (day: string, days: number): string => {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
};

function firstRecorded(day: string | undefined, extra: Partial<ConditionFact> = {}): PatientFacts {
  const base = baseFacts();
  const record: ConditionFact = { ...base.cop.condition!, date: day, recordedDate: day, onset: undefined, reference: 'Condition/first', ...extra };
  if (day === undefined) delete record.recordedDate;
  delete record.onset;
  if (extra.onset) record.onset = extra.onset;
  return facts({ cop: { ...base.cop, firstRecord: record } });
}

describe('COP-R20 surveillance: the 3-year window', () => {
  it('yearsBefore counts calendar years', () => {
    expect(yearsBefore(NOW, 3)).toBe(THREE_YEARS_AGO);
    expect(yearsBefore(new Date('2028-02-29T12:00:00Z'), 3)).toBe('2025-03-01');
  });

  it.each([
    [-1, false],
    [0, true],
    [1, true],
  ])('first recorded 3 years ago %s day(s) → card %s', (shift, fires) => {
    expect(r20.evaluate(firstRecorded(dayShift(THREE_YEARS_AGO, shift)), view) !== undefined).toBe(fires);
  });

  it('places a dateTime by the day written on it, not its UTC date (decision 22)', () => {
    // Written the day before the window (its UTC date is inside it) → no card; and the reverse.
    expect(r20.evaluate(firstRecorded(`${dayShift(THREE_YEARS_AGO, -1)}T23:30:00-05:00`), view)).toBeUndefined();
    expect(r20.evaluate(firstRecorded(`${THREE_YEARS_AGO}T01:00:00+09:00`), view)).toBeDefined();
  });

  it('uses onset when there is no recordedDate; an undated record gives no card', () => {
    expect(r20.evaluate(firstRecorded(undefined, { onset: daysAgo(400) }), view)?.evidence[0]).toMatchObject({ label: 'COP onset', date: daysAgo(400), ageDays: 400 });
    expect(r20.evaluate(firstRecorded(undefined, { onset: dayShift(THREE_YEARS_AGO, -1) }), view)).toBeUndefined();
    expect(r20.evaluate(firstRecorded(undefined), view)).toBeUndefined();
  });

  it('falls back to the P-COP condition when no first record was extracted', () => {
    expect(r20.evaluate(baseFacts(), view)).toBeDefined();
  });

  it('reads the window from context.thresholds', () => {
    expect(r20.evaluate(firstRecorded(daysAgo(400)), context('patient-view', {}, { surveillanceRecentYears: 1 }))).toBeUndefined();
  });
});

describe('COP-R20 surveillance: scope and card', () => {
  it('not when P-SECONDARY holds (COP-R08 speaks), not without P-COP, patient-view only', () => {
    const withCtd = facts({ secondaryCauses: [{ ...conditionFact('69896004', 'Rheumatoid arthritis', 400), kind: 'ctd' }] });
    expect(r20.evaluate(withCtd, view)).toBeUndefined();
    const b = baseFacts();
    expect(r20.evaluate({ ...b, cop: { ...b.cop, present: false } }, view)).toBeUndefined();
    expect(r20.evaluate(b, context('order-select'))).toBeUndefined();
    expect(r20.evaluate(b, context('order-sign'))).toBeUndefined();
  });

  it('info, "a minority (about 5–30% across series)", never "up to 31%", no suggestions, the three citations', () => {
    const f = r20.evaluate(firstRecorded(daysAgo(200)), view);
    expectWellFormed(f);
    expect(f.indicator).toBe('info');
    expect(f.suggestions).toBeUndefined();
    expect(f.summary).toMatch(/^A minority first labelled COP \(about 5–30% across series\)/);
    const text = [f.summary, ...f.detail].join('\n');
    expect(f.detail[1]).toBe('In small series, 5 of 16 (COP cohort 2024), 4 of 87 (Zhou 2019) and 31 of 207 (Zhang, Ann Transl Med) patients first labelled COP were later found to have a secondary cause.');
    expect(r20.background!.join('\n')).toMatch(/a minority of patients first labelled COP \(about 5–30% across small series\)/i);
    expect([text, ...r20.background!].join('\n')).not.toMatch(/up to 31|31 ?%/);
    expect(f.citations).toEqual(['PMID-39703446', 'ZHOU-2019', 'ZHANG-ATM']);
    expect(f.evidence[0]).toMatchObject({ label: 'COP first recorded', value: 'Cryptogenic organizing pneumonia', date: daysAgo(200), ageDays: 200, reference: 'Condition/first' });
    expectShortReadableCard(f);
  });
});

describe('COP-R20 longest variant', () => {
  it('a long diagnosis name recorded with a dateTime → still a short card', () => {
    const f = r20.evaluate(firstRecorded('2024-02-29T23:30:00-05:00', { display: 'Cryptogenic organizing pneumonia (disorder), biopsy-proven, right lower lobe' }), view);
    expect(f?.evidence[0]).toMatchObject({ date: '2024-02-29' });
    expectShortReadableCard(f);
  });
});
