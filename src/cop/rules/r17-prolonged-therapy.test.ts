import { describe, expect, it } from 'vitest';
import { expectWellFormed } from '../../../test/fixtures/finding-checks.js';
import { activePrednisone, baseFacts, context, daysAgo, facts, prednisoneDraft } from '../../../test/fixtures/facts.js';
import type { MedicationFact, PatientFacts } from '../facts-types.js';
import { addCalendarMonths, r17 } from './r17-prolonged-therapy.js';

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
    expect(f.summary).toMatch(/^Glucocorticoid course >12 months/);
    expect(f.summary.length).toBeLessThan(140);
    expect(f.detail.join('\n')).toContain('relapses did not adversely affect outcome');
    expect(f.detail.join('\n')).toContain('COP-R18');
    expect(f.evidence.find((e) => e.label === 'On systemic glucocorticoid')).toMatchObject({ date: daysAgo(420) });
  });
});

describe('COP-R17 prolonged therapy: a renewal past 12 months', () => {
  // Run started 2026-05-25 (184 days ago): the 12-month limit is 2027-05-25, 181 days from today.
  const start = daysAgo(184);

  it.each([
    [181, false],
    [182, true],
  ])('renewal of %s days from today → card %s', (days, fires) => {
    const f = r17.evaluate(renewal(prednisoneDraft({ plannedDurationDays: days }), { weeks: 26, start }), sign);
    expect(f !== undefined).toBe(fires);
    if (f) expect(f.detail[0]).toContain('planned to end on 2027-05-26');
  });

  it('a renewal (priorPrescription → the active order) is judged against the run start and names the order it renews', () => {
    const draft = prednisoneDraft({ plannedDurationDays: 182, priorPrescription: 'MedicationRequest/active-pred' });
    const f = r17.evaluate(renewal(draft, { weeks: 26, start }), sign);
    expectWellFormed(f);
    expect(f.detail[0]).toBe(
      `prednisone 20 MG Oral Tablet (renewal of prednisone 10 MG Oral Tablet, active since ${start}) is planned to end on 2027-05-26, more than 12 months after the course started (${start}; limit 2027-05-25).`,
    );
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
