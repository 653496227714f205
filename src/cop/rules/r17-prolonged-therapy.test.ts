import { describe, expect, it } from 'vitest';
import { expectWellFormed } from '../../../test/fixtures/finding-checks.js';
import { activePrednisone, baseFacts, context, daysAgo, facts, prednisoneDraft } from '../../../test/fixtures/facts.js';
import type { MedicationFact, PatientFacts } from '../facts-types.js';
import { addCalendarMonths, r17 } from './r17-prolonged-therapy.js';
import { expectShortReadableCard } from '../../../test/fixtures/short-card.js';

const sign = context('order-sign');


function renewal(draft: MedicationFact, run: { weeks?: number; start?: string } = {}): PatientFacts {
  const active = run.weeks === undefined ? [] : [activePrednisone({ start: run.start })];
  return facts({
    medications: {
      ...baseFacts().medications, active, drafts: [draft],
      onGlucocorticoidWeeks: run.weeks, glucocorticoidRunStart: run.start,
    },
  });
}

describe('COP-R17 prolonged therapy: P-ON-GC-WEEKS', () => {
  it.each([
    [52, false],
    [53, true],
  ])('on GC %s weeks with a renewal drafted → card %s', (weeks, fires) => {
    const f = r17.evaluate(renewal(prednisoneDraft(), { weeks, start: daysAgo(weeks * 7) }), sign);
    expect(f !== undefined).toBe(fires);
  });

  it('the limit comes from context.thresholds', () => {
    const f = renewal(prednisoneDraft(), { weeks: 40, start: daysAgo(280) });
    expect(r17.evaluate(f, context('order-sign', {}, { prolongedCourseWeeks: 39 }))).toBeDefined();
  });

  it('info card with the Lazor gist, no suggestions, LAZOR-2000', () => {
    const f = r17.evaluate(renewal(prednisoneDraft(), { weeks: 60, start: daysAgo(420) }), sign);
    expectWellFormed(f);
    expect(f.indicator).toBe('info');
    expect(f.suggestions).toBeUndefined();
    expect(f.citations).toEqual(['LAZOR-2000']);
    expect(f.summary).toBe('Glucocorticoid course >12 months: review the taper and steroid-sparing options; prolonged therapy appears unnecessary in COP.');
    expect(f.summary.length).toBeLessThan(140);
    expect(f.detail).toEqual([
      'On glucocorticoids for 60 weeks: more than 52 weeks.',
      'Lazor 2000 (48 patients): relapses did not adversely affect outcome, and prolonged therapy to suppress relapses appears unnecessary.',
    ]);
    // order-sign: the draft signed, and the run's start with its age.
    expect(f.evidence.map((e) => e.label)).toEqual(['Drafted', 'On glucocorticoids']);
    expect(f.evidence[1]).toMatchObject({ value: '60 weeks', date: daysAgo(420), ageDays: 420 });
    // patient-view: the run began with the active order, whose start (with its age) is in the data line once.
    const pv = r17.evaluate(renewal(prednisoneDraft(), { weeks: 60, start: daysAgo(420) }), context('patient-view'))!;
    expect(pv.evidence).toEqual([{ label: 'On', value: 'prednisone 10 mg/day', reference: 'MedicationRequest/active-pred', date: daysAgo(420), ageDays: 420 }]);
  });
});

describe('COP-R17 prolonged therapy: a renewal past 12 months', () => {
  // Run started 2026-05-25 (6 months ago): the 12-month limit is 2027-05-25, 181 days from today.
  const start = daysAgo(184);

  it.each([
    [181, false],
    [182, true],
  ])('renewal of %s days from today → card %s', (days, fires) => {
    const f = r17.evaluate(renewal(prednisoneDraft({ plannedDurationDays: days }), { weeks: 26, start }), sign);
    expect(f !== undefined).toBe(fires);
    if (f) expect(f.detail[0]).toBe(`Prednisone drafted for 26 weeks is planned to end on 2027-05-26 (in 6 months), more than 12 months after the course began on ${start} (6 months ago).`);
  });

  it('a renewal (priorPrescription → the active order) is judged against the run start and names the order it renews', () => {
    const draft = prednisoneDraft({ plannedDurationDays: 182, priorPrescription: 'MedicationRequest/active-pred' });
    const f = r17.evaluate(renewal(draft, { weeks: 26, start }), sign);
    expectWellFormed(f);
    expect(f.detail[0]).toBe(`The renewal of prednisone is planned to end on 2027-05-26 (in 6 months), more than 12 months after the course began on ${start} (6 months ago).`);
    expect(f.evidence.map((e) => `${e.label} ${e.value}`)).toEqual(['Drafted prednisone 20 mg/day, 26 weeks']);
    expect(f.detail.join('\n')).not.toMatch(/MedicationRequest\//);
    expect(r17.evaluate(renewal(prednisoneDraft({ plannedDurationDays: 181, priorPrescription: 'MedicationRequest/active-pred' }), { weeks: 26, start }), sign)).toBeUndefined();
  });

  it('the draft start counts when given', () => {
    const f = renewal(prednisoneDraft({ plannedDurationDays: 150, start: daysAgo(-40) }), { weeks: 26, start });
    expect(r17.evaluate(f, sign)).toBeDefined();
  });

  it('a first order planned for more than 12 months starts its own course', () => {
    expect(r17.evaluate(renewal(prednisoneDraft({ plannedDurationDays: 365 })), sign)).toBeUndefined();
    expect(r17.evaluate(renewal(prednisoneDraft({ plannedDurationDays: 366 })), sign)).toBeDefined();
  });

  it('a draft with no planned duration cannot extend the course', () => {
    expect(r17.evaluate(renewal(prednisoneDraft(), { weeks: 50, start: daysAgo(350) }), sign)).toBeUndefined();
  });
});

describe('COP-R17 prolonged therapy: scope', () => {
  const longRun = renewal(prednisoneDraft(), { weeks: 60, start: daysAgo(420) });

  it('order-sign and patient-view, not order-select', () => {
    expect(r17.evaluate(longRun, context('patient-view'))).toBeDefined();
    expect(r17.evaluate(longRun, context('order-select'))).toBeUndefined();
  });

  it('needs P-COP and a glucocorticoid being signed (the renewal)', () => {
    expect(r17.evaluate({ ...longRun, cop: { ...longRun.cop, present: false } }, sign)).toBeUndefined();
    expect(r17.evaluate({ ...longRun, medications: { ...longRun.medications, drafts: [] } }, sign)).toBeUndefined();
  });
});

describe('addCalendarMonths', () => {
  it('keeps the day of month and rolls a missing day forward', () => {
    expect(addCalendarMonths('2026-05-25', 12)).toBe('2027-05-25');
    expect(addCalendarMonths('2028-02-29', 12)).toBe('2029-03-01');
  });
});

describe('COP-R17: the longest card stays short (decisions 19, 20)', () => {
  it('order-sign: a renewal and a second draft, both planned past 12 months, before the run reaches 52 weeks', () => {
    const drafts = [
      prednisoneDraft({ plannedDurationDays: 240, priorPrescription: 'MedicationRequest/active-pred' }),
      prednisoneDraft({ reference: 'MedicationRequest/draft-2', name: 'prednisolone 1 MG Oral Tablet', glucocorticoid: 'prednisolone', dailyDose: undefined, plannedDurationDays: 200 }),
    ];
    const f = r17.evaluate(facts({ medications: { ...baseFacts().medications, active: [activePrednisone({ start: daysAgo(200) })], drafts, onGlucocorticoidWeeks: 28, glucocorticoidRunStart: daysAgo(200) } }), sign);
    expectWellFormed(f);
    expect(f.detail[0]).toBe(`Planned to end more than 12 months after the course began on ${daysAgo(200)} (7 months ago): the renewal of prednisone on ${daysAgo(-240)} (in 8 months); prednisolone drafted for 200 days on ${daysAgo(-200)} (in 7 months).`);
    expectShortReadableCard(f);
  });

  const active = [
    activePrednisone({ reference: 'MedicationRequest/active-pred', start: daysAgo(200) }),
    activePrednisone({ reference: 'MedicationRequest/active-5', name: 'prednisolone 5 MG Oral Tablet', glucocorticoid: 'prednisolone', dailyDose: { mgPerDay: 2.5, prednisoneEquivalentMgPerDay: 2.5, derivation: '0.5 x 5 mg tablet once daily = 2.5 mg/day' }, start: daysAgo(60) }),
  ];
  const medications = (drafts: MedicationFact[]) => ({ ...baseFacts().medications, active, drafts, onGlucocorticoidWeeks: 61, glucocorticoidRunStart: daysAgo(430) });

  it('order-sign: a long run, a renewal and a second draft both planned past 12 months, two active orders', () => {
    const drafts = [
      prednisoneDraft({ plannedDurationDays: 168, priorPrescription: 'MedicationRequest/active-pred' }),
      prednisoneDraft({ reference: 'MedicationRequest/draft-2', name: 'prednisolone 1 MG Oral Tablet', glucocorticoid: 'prednisolone', plannedDurationDays: 84 }),
    ];
    const f = r17.evaluate(facts({ medications: medications(drafts) }), sign);
    expectWellFormed(f);
    expect(f.detail[0]).toBe('On glucocorticoids for 61 weeks: more than 52 weeks.');
    expectShortReadableCard(f);
  });

  it('patient-view: two active orders, the run begun before either', () => {
    const f = r17.evaluate(facts({ medications: medications([]) }), context('patient-view'));
    expectWellFormed(f);
    expect(f.evidence.at(-1)).toMatchObject({ label: 'On glucocorticoids', value: '61 weeks', ageDays: 430 });
    expectShortReadableCard(f);
  });
});
